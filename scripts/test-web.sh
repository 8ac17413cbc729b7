#!/usr/bin/env bash
# The browser tests (web/e2e, Playwright with the system's Chromium)
# against the stack scripts/run.sh starts — on ports of its own, with fresh
# databases and the provider stand-ins. Called by scripts/test.sh, which has
# the cluster running; usable alone with TEST_DATABASE_URL or the private
# cluster. Artifacts (screenshots, traces, timing) land in web/test-results.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"
cd "$root"

chromium=${CHROMIUM_PATH:-$(command -v chromium || command -v chromium-browser || true)}
if [[ -z "$chromium" ]]; then
  echo "the browser tests need Chromium: apt-get install chromium (or set CHROMIUM_PATH)" >&2
  exit 1
fi
export CHROMIUM_PATH=$chromium

if [[ -z "${TEST_DATABASE_URL:-}" ]]; then
  use_private_postgres
  trap stop_private_postgres_if_started EXIT
  TEST_DATABASE_URL="$PG_ADMIN_URL"
fi
admin=${TEST_DATABASE_URL%/*}
psql_admin() { psql -X -q -v ON_ERROR_STOP=1 "$TEST_DATABASE_URL" -c "$1" >/dev/null; }
for db in completionist_e2e_auth completionist_e2e_media; do
  psql_admin "DROP DATABASE IF EXISTS $db WITH (FORCE)"
  psql_admin "CREATE DATABASE $db"
done
export AUTH_DATABASE_URL=$admin/completionist_e2e_auth
export MEDIA_DATABASE_URL=$admin/completionist_e2e_media

# A stack of its own beside any `make run`.
export AUTH_LISTEN_ADDR=127.0.0.1:15051 MEDIA_LISTEN_ADDR=127.0.0.1:15052 GATEWAY_LISTEN_ADDR=127.0.0.1:18080
export AUTH_SERVICE_URL=http://$AUTH_LISTEN_ADDR MEDIA_SERVICE_URL=http://$MEDIA_LISTEN_ADDR
export AUTH_METRICS_ADDR=127.0.0.1:0 MEDIA_METRICS_ADDR=127.0.0.1:0 GATEWAY_METRICS_ADDR=127.0.0.1:0
export E2E_ALLOWED_ORIGIN=http://127.0.0.1:18081
export GATEWAY_CORS_ALLOWED_ORIGINS=$E2E_ALLOWED_ORIGIN
export FAKE_PROVIDERS=1
# Access tokens of a few seconds and no leeway: the tests live through
# their expiry and refresh, as a person does over 15 minutes (expiry.spec.ts
# counts on it).
export JWT_ACCESS_TTL_SECONDS=${JWT_ACCESS_TTL_SECONDS:-5} JWT_LEEWAY_SECONDS=${JWT_LEEWAY_SECONDS:-0}
# The tests run auth-service's grant-admin, which reads the same secret.
ensure_jwt_secret
export RUST_LOG=${RUST_LOG:-warn}

install_web
cd web
exec npx playwright test "$@"
