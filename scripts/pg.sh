#!/usr/bin/env bash
# A private PostgreSQL cluster for development and tests, under .dev/pg (or a
# folder in /tmp when the postgres user cannot reach the checkout), on a free
# loopback port, with a generated password. Postgres refuses to run as root,
# so as root the cluster runs as the `postgres` user.
#
#   scripts/pg.sh start    start (initialising on first use); print the admin URL
#   scripts/pg.sh url      print the admin URL of the running cluster
#   scripts/pg.sh stop     stop the cluster
#   scripts/pg.sh createdb NAME   create database NAME unless it exists
#   scripts/pg.sh dropdb NAME     drop database NAME if it exists
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() { echo "pg.sh: $*" >&2; exit 1; }

find_bindir() {
  if [[ -n "${PG_BINDIR:-}" ]]; then echo "$PG_BINDIR"; return; fi
  if command -v pg_config >/dev/null && [[ -x "$(pg_config --bindir)/initdb" ]]; then
    pg_config --bindir; return
  fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  [[ -n "$dir" && -x "$dir/initdb" ]] || die "no PostgreSQL server binaries found (install postgresql, or set PG_BINDIR)"
  echo "$dir"
}

bindir=$(find_bindir)

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

state_dir() {
  local dir="$root/.dev/pg"
  if [[ $(id -u) -eq 0 ]]; then
    id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user to run the server as"
    # The postgres user must be able to reach the data directory.
    if ! runuser -u postgres -- test -x "$root"; then
      dir="/tmp/completionist-pg-$(printf '%s' "$root" | sha256sum | cut -c1-12)"
    fi
  fi
  echo "$dir"
}

dir=$(state_dir)
data="$dir/data"
socket="$dir/socket"

url() {
  local port password
  port=$(cat "$dir/port")
  password=$(cat "$dir/password")
  echo "postgres://postgres:${password}@127.0.0.1:${port}/postgres"
}

running() {
  [[ -f "$data/PG_VERSION" ]] && as_owner "$bindir/pg_ctl" -D "$data" status >/dev/null 2>&1
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

init() {
  mkdir -p "$dir" "$socket"
  chmod 700 "$dir"
  head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' > "$dir/password"
  chmod 600 "$dir/password"
  if [[ $(id -u) -eq 0 ]]; then chown -R postgres: "$dir"; fi
  as_owner "$bindir/initdb" -D "$data" -U postgres --pwfile="$dir/password" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
}

start() {
  [[ -f "$data/PG_VERSION" ]] || init
  if running; then url; return; fi
  local port
  port=$(free_port)
  echo "$port" > "$dir/port"
  if [[ $(id -u) -eq 0 ]]; then chown postgres: "$dir/port"; fi
  as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $socket -c listen_addresses=127.0.0.1 -c max_connections=300 -c synchronous_commit=off" \
    start >/dev/null || { tail -n 20 "$dir/server.log" >&2; die "postgres did not start"; }
  url
}

stop() {
  if running; then as_owner "$bindir/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi
}

createdb() {
  local name=$1
  [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad database name: $name"
  local port
  port=$(cat "$dir/port")
  if ! as_owner "$bindir/psql" -h "$socket" -p "$port" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1; then
    as_owner "$bindir/psql" -h "$socket" -p "$port" -U postgres -d postgres -qc "CREATE DATABASE $name" >/dev/null
  fi
}

dropdb() {
  local name=$1
  [[ "$name" =~ ^[a-z_][a-z0-9_]*$ ]] || die "bad database name: $name"
  PGOPTIONS="-c client_min_messages=warning" as_owner "$bindir/psql" -h "$socket" -p "$(cat "$dir/port")" -U postgres -d postgres -qc \
    "DROP DATABASE IF EXISTS $name WITH (FORCE)" >/dev/null
}

case "${1:-}" in
  start) start ;;
  url) running || die "not running (scripts/pg.sh start)"; url ;;
  stop) stop ;;
  createdb) [[ -n "${2:-}" ]] || die "usage: pg.sh createdb NAME"; createdb "$2" ;;
  dropdb) [[ -n "${2:-}" ]] || die "usage: pg.sh dropdb NAME"; dropdb "$2" ;;
  *) die "usage: pg.sh start|url|stop|createdb NAME|dropdb NAME" ;;
esac
