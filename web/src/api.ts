// The two services, over gRPC-Web to the gateway that served this page.
// Every call carries the access token; one refused as expired is retried
// once after rotating the refresh token; a session the server ended
// (revoked, reused, expired refresh token) signs the user out.
import { Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";
import { AuthService } from "./gen/completionist/auth/v1/auth_pb";
import { MediaService } from "./gen/completionist/media/v1/media_pb";
import { problem } from "./errors";
import { session } from "./session";

const ENDED = new Set([
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
    if (p.reason === "TOKEN_EXPIRED" && !request.stream && (await refresh())) {
      request.header.set("authorization", `Bearer ${session.accessToken()}`);
      return await next(request);
    }
    if (ENDED.has(p.reason) || p.reason === "TOKEN_EXPIRED") session.clear();
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

/** Rotates the refresh token for a new pair; one at a time. */
export function refresh(): Promise<boolean> {
  refreshing ??= (async () => {
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
  })().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

export { ConnectError };
