// Changes to the user's list as they happen anywhere (WatchListEntries):
// resumes after a dropped connection from the last position, so nothing
// is missed or repeated; a position too old to resume means refetch.
import { Code } from "@connectrpc/connect";
import { useEffect, useRef } from "preact/hooks";
import { refresh, media } from "./api";
import { problem } from "./errors";
import type { ListEntryChange } from "./gen/completionist/media/v1/media_pb";
import { session } from "./session";

export interface LiveHandlers {
  onChange: (change: ListEntryChange) => void;
  /** History is gone: the list must be fetched again. */
  onReset: () => void;
}

export function useLiveList(handlers: LiveHandlers) {
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    const stop = new AbortController();
    void follow(stop.signal, latest);
    return () => stop.abort();
  }, []);
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    });
  });

async function follow(signal: AbortSignal, handlers: { current: LiveHandlers }) {
  let resumeToken = "";
  let retry = 500;
  while (!signal.aborted && session.signedIn()) {
    try {
      for await (const message of media.watchListEntries({ resumeToken }, { signal })) {
        resumeToken = message.resumeToken;
        retry = 500;
        if (message.event.case === "change") handlers.current.onChange(message.event.value);
      }
    } catch (error) {
      if (signal.aborted) return;
      const p = problem(error);
      if (p.reason === "RESUME_TOKEN_EXPIRED") {
        resumeToken = "";
        handlers.current.onReset();
        continue;
      }
      if (p.code === Code.Unauthenticated) {
        if (p.reason !== "TOKEN_EXPIRED" || !(await refresh())) {
          session.clear();
          return;
        }
        continue;
      }
      await sleep((p.retryAfter ?? 0) * 1000 + retry, signal);
      retry = Math.min(retry * 2, 15_000);
    }
  }
}
