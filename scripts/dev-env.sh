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

# A package directory's npm packages, as its lock file pins them (Playwright's
# browser download skipped: the tests use the system's Chromium). `npm ci`
# refuses lock files without the optional per-platform buf packages (an npm bug
# with optionalDependencies), so install, which honours the lock. npm also
# shrugs off an optional package it failed to fetch, and buf's binary comes in
# one (a CI run lost it): so buf is run before this counts as done.
npm_install() {
  local dir=${1:?npm_install needs a directory} attempt status
  for attempt in 1 2 3; do
    status=0
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$dir" --no-audit --no-fund || status=$?
    if [[ $status == 0 ]] && "$dir/node_modules/.bin/buf" --version >/dev/null 2>&1; then
      return 0
    fi
    echo "npm install in $dir left no working buf (npm exited $status; try $attempt of 3)" >&2
    [[ $attempt == 3 ]] && break
    rm -rf "$dir/node_modules/@bufbuild/buf" "$dir"/node_modules/@bufbuild/buf-*
    sleep $((attempt * 5))
  done
  echo "npm install in $dir failed, or left buf's binary package (@bufbuild/buf-<platform>) out" >&2
  return 1
}

# web/'s packages (vite is the mark they are current).
install_web() {
  if [[ ! -x "$root/web/node_modules/.bin/vite" || "$root/web/package-lock.json" -nt "$root/web/node_modules/.bin/vite" ]]; then
    npm_install "$root/web" || return 1
    touch "$root/web/node_modules/.bin/vite"
  fi
}

# Builds the web app into web/dist (generated clients, type check, bundle).
build_web() {
  install_web || return 1
  npm run --prefix "$root/web" --silent build
}
