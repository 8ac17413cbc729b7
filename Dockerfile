# One image with the three binaries; docker-compose.yml runs each.
# Build: docker build -t completionist .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin auth-service --bin media-service --bin gateway

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 completionist
COPY --from=build /src/target/release/auth-service /src/target/release/media-service /src/target/release/gateway /usr/local/bin/
USER completionist
ENV LOG_FORMAT=json RUST_LOG=info
