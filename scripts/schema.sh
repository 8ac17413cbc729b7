#!/usr/bin/env bash
# Regenerates each service's src/schema.rs from its migrations, on scratch
# databases of the private cluster. Never edit schema.rs by hand.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"
cd "$root"
command -v diesel >/dev/null || { echo "needs diesel_cli (see Makefile)" >&2; exit 1; }
use_private_postgres
trap stop_private_postgres_if_started EXIT
for service in auth media; do
  db="schema_${service}"
  "$root/scripts/pg.sh" dropdb "$db"
  "$root/scripts/pg.sh" createdb "$db"
  url=$(pg_url_for "$db")
  diesel migration run --database-url "$url" --migration-dir "migrations/$service" >/dev/null
  diesel print-schema --database-url "$url" > "$service-service/src/schema.rs"
  "$root/scripts/pg.sh" dropdb "$db"
done
