// The tracker: an app shell with navigation, each screen at its own path
// (the gateway answers every unknown path with index.html).
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { LocationProvider, Route, Router, useLocation } from "preact-iso";
import { auth, refresh } from "./api";
import { Calendar } from "./screens/Calendar";
import { Entry } from "./screens/Entry";
import { Integrations } from "./screens/Integrations";
import { List } from "./screens/List";
import { Search } from "./screens/Search";
import { Login, Register } from "./screens/SignIn";
import { Stats } from "./screens/Stats";
import { Transfer } from "./screens/Transfer";
import { Users } from "./screens/Users";
import { Role } from "./gen/completionist/auth/v1/auth_pb";
import { session } from "./session";

const OPEN = new Set(["/login", "/register"]);

function useSession() {
  const [, bump] = useState(0);
  useEffect(() => session.subscribe(() => bump((n) => n + 1)), []);
  return session.signedIn();
}

function Shell() {
  const signedIn = useSession();
  const { path, route } = useLocation();
  const [restoring, setRestoring] = useState(!signedIn && session.refreshToken() !== "");

  useEffect(() => {
    if (restoring) void refresh().finally(() => setRestoring(false));
  }, []);
  useEffect(() => {
    if (!restoring && !signedIn && !OPEN.has(path)) route("/login", true);
  }, [restoring, signedIn, path]);
  // A new screen takes the focus, as a new page would: keyboard and screen
  // reader users carry on from its top, not from a control that is gone.
  const loaded = useRef(false);
  useEffect(() => {
    if (loaded.current) document.getElementById("main")?.focus();
    loaded.current = true;
  }, [path]);
  const [admin, setAdmin] = useState(false);
  useEffect(() => {
    if (!signedIn) return setAdmin(false);
    auth.getCurrentUser({}).then(
      ({ user }) => setAdmin(user?.role === Role.ADMIN),
      () => setAdmin(false),
    );
  }, [signedIn]);

  if (restoring) return <p class="loading">Loading…</p>;
  const logOut = async () => {
    try {
      await auth.logout({});
    } finally {
      session.clear();
    }
  };
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <a href="/" class="brand">
          Completionist
        </a>
        {signedIn && (
          <nav aria-label="Main">
            <a href="/">List</a>
            <a href="/search">Search</a>
            <a href="/calendar">Calendar</a>
            <a href="/stats">Stats</a>
            <a href="/transfer">Import/export</a>
            <a href="/servers">Media servers</a>
            {admin && <a href="/users">Users</a>}
            <button type="button" class="link" onClick={() => void logOut()}>
              Log out
            </button>
          </nav>
        )}
      </header>
      <div id="main" tabIndex={-1}>
        <Router>
          <Route path="/login" component={Login} />
          <Route path="/register" component={Register} />
          <Route path="/search" component={Search} />
          <Route path="/entries/:id" component={Entry} />
          <Route path="/calendar" component={Calendar} />
          <Route path="/stats" component={Stats} />
          <Route path="/transfer" component={Transfer} />
          <Route path="/servers" component={Integrations} />
          <Route path="/users" component={Users} />
          <Route default component={List} />
        </Router>
      </div>
    </>
  );
}

render(
  <LocationProvider>
    <Shell />
  </LocationProvider>,
  document.getElementById("app")!,
);
