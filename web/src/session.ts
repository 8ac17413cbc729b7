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
//
// Every tab of the browser shares that one refresh token, so a tab that
// gets a new pair tells the others (a BroadcastChannel of this origin):
// they take its access token, and a tab that was waiting to refresh (see
// `refresh` in api.ts) need not present the token just rotated.
import type { TokenPair } from "./gen/completionist/auth/v1/auth_pb";

const REFRESH_KEY = "completionist.refresh";

type Listener = () => void;

let accessToken = "";
const listeners = new Set<Listener>();

/** Carries the new access token to the other tabs; "" when signed out. */
const tabs = typeof BroadcastChannel === "undefined" ? undefined : new BroadcastChannel("completionist.session");

function set(token: string) {
  accessToken = token;
  listeners.forEach((l) => l());
}

if (tabs) tabs.onmessage = (event: MessageEvent<string>) => set(event.data);

export const session = {
  accessToken: () => accessToken,
  refreshToken: () => localStorage.getItem(REFRESH_KEY) ?? "",
  signedIn: () => accessToken !== "",

  /** Keeps a fresh pair (login, register, refresh), for every tab. */
  store(tokens: TokenPair | undefined) {
    if (!tokens) return;
    localStorage.setItem(REFRESH_KEY, tokens.refreshToken);
    tabs?.postMessage(tokens.accessToken);
    set(tokens.accessToken);
  },

  /** Forgets both tokens (log out, or a session the server ended), in
   * every tab: they shared the one session. */
  clear() {
    localStorage.removeItem(REFRESH_KEY);
    tabs?.postMessage("");
    set("");
  },

  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },

  /** Resolves when another tab next shares its tokens, or after `ms`. */
  heardFromAnotherTab(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (!tabs) return resolve();
      const done = () => {
        clearTimeout(timer);
        tabs.removeEventListener("message", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      tabs.addEventListener("message", done);
    });
  },
};
