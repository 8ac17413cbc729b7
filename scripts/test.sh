#!/usr/bin/env bash
# `make test`: every test of the workspace against a real Postgres, then
# the web app's tests in Chromium (scripts/test-web.sh). Uses
# TEST_DATABASE_URL (an admin URL that may create databases) when given;
# otherwise the private cluster of scripts/pg.sh, stopped again afterwards
# if this run started it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"
cd "$root"

if [[ -z "${TEST_DATABASE_URL:-}" ]]; then
  use_private_postgres
  trap stop_private_postgres_if_started EXIT
  export TEST_DATABASE_URL="$PG_ADMIN_URL"
fi

cargo test --workspace --locked "$@"
# The browser tests, unless only some Rust tests were asked for.
if [[ $# -eq 0 ]]; then
  scripts/test-web.sh
fi
