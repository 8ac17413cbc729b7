// Who is signed in. The access token lives in memory only; the refresh
// token is kept in localStorage so a reload stays signed in.
//
// The trade-off: script running in the page could read the refresh token,
// where an httpOnly cookie would hide it. That would make the gateway issue
// and read cookies (and defend against CSRF) instead of staying a thin
// forwarder; the strict Content-Security-Policy (no inline or foreign
// script) is what guards the page instead. A refresh token is single-use:
// each use rotates it, and presenting a used one again ends the session
// (auth-service's reuse detection), so a stolen copy stops working as soon
// as either side uses it.
import type { TokenPair } from "./gen/completionist/auth/v1/auth_pb";

const REFRESH_KEY = "completionist.refresh";

type Listener = () => void;

let accessToken = "";
const listeners = new Set<Listener>();

export const session = {
  accessToken: () => accessToken,
  refreshToken: () => localStorage.getItem(REFRESH_KEY) ?? "",
  signedIn: () => accessToken !== "",

  /** Keeps a fresh pair (login, register, refresh). */
  store(tokens: TokenPair | undefined) {
    if (!tokens) return;
    accessToken = tokens.accessToken;
    localStorage.setItem(REFRESH_KEY, tokens.refreshToken);
    listeners.forEach((l) => l());
  },

  /** Forgets both tokens (log out, or a session the server ended). */
  clear() {
    accessToken = "";
    localStorage.removeItem(REFRESH_KEY);
    listeners.forEach((l) => l());
  },

  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
};
