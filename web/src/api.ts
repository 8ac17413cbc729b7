// The two services, over gRPC-Web to the gateway that served this page.
// Every call carries the access token; a unary call refused as expired is
// retried once after a refresh (a stream is reopened by `follow`, in
// streams.ts); a session the server ended (revoked, reused, expired refresh
// token) signs the user out.
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { AuthService } from "./gen/completionist/auth/v1/auth_pb";
import { MediaService } from "./gen/completionist/media/v1/media_pb";
import { problem } from "./errors";
import { session } from "./session";

/** Refusals that mean the session is over, not just its access token. */
export const ENDED = new Set([
  "TOKEN_REVOKED",
  "TOKEN_INVALID",
  "REFRESH_TOKEN_INVALID",
  "REFRESH_TOKEN_EXPIRED",
  "REFRESH_TOKEN_REUSED",
  "ACCOUNT_DISABLED",
]);

const bearer: Interceptor = (next) => async (request) => {
  const token = session.accessToken();
  if (token) request.header.set("authorization", `Bearer ${token}`);
  try {
    return await next(request);
  } catch (error) {
    const p = problem(error);
    if (p.code !== Code.Unauthenticated || !token) throw error;
    if (p.reason === "TOKEN_EXPIRED" && !request.stream && (await refresh(token))) {
      request.header.set("authorization", `Bearer ${session.accessToken()}`);
      return await next(request);
    }
    if (ENDED.has(p.reason)) session.clear();
    throw error;
  }
};

const transport = createGrpcWebTransport({
  baseUrl: location.origin,
  interceptors: [bearer],
});

export const auth = createClient(AuthService, transport);
export const media = createClient(MediaService, transport);

let refreshing: Promise<boolean> | undefined;

/**
 * A fresh access token in place of `stale` (the one refused, or "" when
 * the tab has none): rotates the refresh token, one tab at a time. The
 * tabs share one refresh token, and presenting it after another tab has
 * rotated it would end the session; so a tab that had to wait for the
 * lock takes the tokens the tab before it shares instead. False when
 * there is no session (the server ended it, or none was kept) or the
 * service could not be reached.
 */
export function refresh(stale = ""): Promise<boolean> {
  if (replaced(stale)) return Promise.resolve(true);
  refreshing ??= oneTabAtATime(async (waited) => {
    if (waited) {
      if (!replaced(stale)) await session.heardFromAnotherTab(1_000);
      if (replaced(stale)) return true;
    }
    const refreshToken = session.refreshToken();
    if (!refreshToken) return false;
    try {
      const { tokens } = await auth.refresh({ refreshToken });
      session.store(tokens);
      return true;
    } catch (error) {
      const p = problem(error);
      if (p.code === Code.Unauthenticated || p.code === Code.InvalidArgument) session.clear();
      return false;
    }
  }).finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

/** Whether the tab holds an access token other than `stale`. */
const replaced = (stale: string) => session.signedIn() && session.accessToken() !== stale;

/** Runs `task` under a lock held by one tab of this origin at a time;
 * `waited` says another tab held it first. Without Web Locks (a page not
 * served over https or from localhost) the task runs at once. */
async function oneTabAtATime<T>(task: (waited: boolean) => Promise<T>): Promise<T> {
  const locks: LockManager | undefined = navigator.locks;
  if (!locks) return task(false);
  const name = "completionist.refresh";
  const first = await locks.request(name, { ifAvailable: true }, async (lock) =>
    lock ? { value: await task(false) } : undefined,
  );
  return first ? first.value : locks.request(name, () => task(true));
}

export { ConnectError };
