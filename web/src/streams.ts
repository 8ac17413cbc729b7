// Server streams that outlive what ends them: a dropped connection (a
// laptop asleep, a service restarting) and an expired access token. As a
// unary call is retried after a refresh (api.ts), `follow` reopens a
// stream from where the last one left off, after refreshing the token if
// that is why it ended.
import { Code } from "@connectrpc/connect";
import { ENDED, refresh } from "./api";
import { problem, type Problem } from "./errors";
import { session } from "./session";

export interface Stream<T> {
  /** Opens the stream again from where the last one left off. */
  open: (signal: AbortSignal) => AsyncIterable<T>;
  onMessage: (message: T) => void;
  /** A refusal the caller deals with itself (a resume position too old):
   * true when it has, and the stream is to be opened again at once. */
  onRefusal?: (p: Problem) => boolean;
  /** Whether the stream is meant to run until closed from this side (the
   * live list): the server ending it means open it again. */
  endless?: boolean;
  /** Failed opens after which to give up and throw; unlimited if unset. */
  tries?: number;
}

/** Refusals that asking again will not change. */
const FINAL = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.PermissionDenied,
  Code.FailedPrecondition,
  Code.Unimplemented,
]);

/**
 * Follows `stream` until it ends (true), or (false) until `signal` aborts
 * or the session ends. An `endless` stream is followed until one of the
 * latter. Throws a refusal that asking again will not change, or the last
 * one after `tries` failures.
 */
export async function follow<T>(stream: Stream<T>, signal = new AbortController().signal): Promise<boolean> {
  let failures = 0;
  let backoff = 500;
  /** A refresh since the last message: a fresh token refused as expired
   * too (clocks apart) waits like any failure instead of spinning. */
  let refreshed = false;
  while (!signal.aborted) {
    const token = session.accessToken();
    if (!token) return false;
    let retryAfter = 0;
    try {
      for await (const message of stream.open(signal)) {
        failures = 0;
        backoff = 500;
        refreshed = false;
        stream.onMessage(message);
      }
      if (!stream.endless) return true;
    } catch (error) {
      if (signal.aborted) return false;
      const p = problem(error);
      if (stream.onRefusal?.(p)) continue;
      if (p.code === Code.Unauthenticated) {
        if (p.reason === "TOKEN_EXPIRED") {
          if ((await refresh(token)) && !refreshed) {
            refreshed = true;
            continue;
          }
          // Refused: the session is over. Otherwise the service could not
          // be reached to refresh: like any lost connection, try again.
          if (!session.refreshToken()) return false;
        } else {
          if (ENDED.has(p.reason)) session.clear();
          return false;
        }
      } else if (FINAL.has(p.code)) {
        throw error;
      }
      if (stream.tries !== undefined && ++failures >= stream.tries) throw error;
      retryAfter = (p.retryAfter ?? 0) * 1000;
    }
    await pause(retryAfter + backoff, signal);
    backoff = Math.min(backoff * 2, 15_000);
  }
  return false;
}

/** Waits `ms`, less if the browser comes back online or `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      removeEventListener("online", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    addEventListener("online", done);
    signal.addEventListener("abort", done);
  });
}
