# Sourced by run.sh and test.sh: a private Postgres cluster unless database
# URLs are given, and a development JWT secret unless one is given.
# Sets STARTED_PG=1 when this shell started the cluster.

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STARTED_PG=0

# Starts the private cluster (if not already running) and exports its admin URL.
use_private_postgres() {
  if ! "$root/scripts/pg.sh" url >/dev/null 2>&1; then
    STARTED_PG=1
  fi
  PG_ADMIN_URL=$("$root/scripts/pg.sh" start)
  export PG_ADMIN_URL
}

# The admin URL with another database.
pg_url_for() {
  echo "${PG_ADMIN_URL%/postgres}/$1"
}

stop_private_postgres_if_started() {
  if [[ "$STARTED_PG" == 1 ]]; then
    "$root/scripts/pg.sh" stop || true
  fi
}

# A random JWT secret (and page-token key) kept under .dev, so tokens
# survive restarts of `make run`.
ensure_jwt_secret() {
  if [[ -z "${JWT_SECRET:-}" ]]; then
    mkdir -p "$root/.dev"
    if [[ ! -s "$root/.dev/jwt-secret" ]]; then
      (umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n' > "$root/.dev/jwt-secret")
    fi
    JWT_SECRET=$(cat "$root/.dev/jwt-secret")
    export JWT_SECRET
  fi
  # Likewise the key page tokens are sealed with.
  if [[ -z "${PAGE_TOKEN_SECRET:-}" ]]; then
    if [[ ! -s "$root/.dev/page-token-secret" ]]; then
      (umask 077; head -c 48 /dev/urandom | base64 | tr -d '\n' > "$root/.dev/page-token-secret")
    fi
    PAGE_TOKEN_SECRET=$(cat "$root/.dev/page-token-secret")
    export PAGE_TOKEN_SECRET
  fi
}

# web/'s packages, as the lock file pins them (Playwright's browser download
# skipped: the tests use the system's Chromium).
install_web() {
  if [[ ! -x "$root/web/node_modules/.bin/vite" || "$root/web/package-lock.json" -nt "$root/web/node_modules/.bin/vite" ]]; then
    # `npm ci` refuses lock files without the optional per-platform buf
    # packages (an npm bug with optionalDependencies); install honours the lock.
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$root/web" --no-audit --no-fund
    touch "$root/web/node_modules/.bin/vite"
  fi
}

# Builds the web app into web/dist (generated clients, type check, bundle).
build_web() {
  install_web
  npm run --prefix "$root/web" --silent build
}
