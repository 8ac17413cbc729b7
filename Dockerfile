# One image with the three binaries and the web app; docker-compose.yml
# (and deploy/) run each binary from it.
# Build: docker build -t completionist .

# The dependencies, built in a layer of their own (cargo-chef): changing
# the project's code rebuilds only the project.
FROM rust:1.95-bookworm AS chef
RUN cargo install cargo-chef --locked
WORKDIR /src

FROM chef AS plan
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=plan /src/recipe.json recipe.json
RUN cargo chef cook --release --locked --recipe-path recipe.json \
    --bin auth-service --bin media-service --bin gateway
COPY . .
RUN cargo build --release --locked --bin auth-service --bin media-service --bin gateway

# The web app: clients generated from proto/, type-checked and bundled.
# Playwright's browser is for the tests only and is never downloaded.
FROM node:20-bookworm-slim AS web
ENV PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm install --no-audit --no-fund
COPY proto /src/proto
COPY web ./
RUN npm run build

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 completionist
COPY --from=build /src/target/release/auth-service /src/target/release/media-service /src/target/release/gateway /usr/local/bin/
COPY --from=web /src/web/dist /srv/web
USER 10001
ENV LOG_FORMAT=json RUST_LOG=info GATEWAY_WEB_DIR=/srv/web
