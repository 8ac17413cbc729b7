# Completionist. `make run` starts everything; `make test` tests everything.
.PHONY: run test test-web web lint fmt schema bench bench-quick release

run:
	scripts/run.sh

test: node/node_modules/.bin/buf
	scripts/test.sh

# Only the browser tests (Playwright, the system's Chromium).
test-web:
	scripts/test-web.sh

# Builds the web app into web/dist (make run does too).
web:
	bash -c 'source scripts/dev-env.sh && build_web'

lint: node/node_modules/.bin/buf
	scripts/check-file-length.sh
	scripts/check-deploy.sh
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	node/node_modules/.bin/buf lint proto
	bash -c 'source scripts/dev-env.sh && install_web' && npm run --prefix web --silent typecheck

fmt:
	cargo fmt --all

release:
	cargo build --release --locked -p auth-service -p media-service -p gateway -p bench

# Measures the whole stack (release binaries, private Postgres, seeded data)
# and writes bench/results/latest.md and latest.json. Minutes; by hand.
bench: release
	target/release/loadgen

# The same harness for a few seconds per case (CI runs it so it cannot rot);
# writes bench/results/quick.md.
bench-quick: release
	target/release/loadgen --quick

node/node_modules/.bin/buf: node/package.json node/package-lock.json
	bash -c 'source scripts/dev-env.sh && npm_install "$$root/node"'
	touch $@

# Regenerates the Diesel schemas from the migrations (needs diesel_cli:
# cargo install diesel_cli --no-default-features --features postgres).
schema:
	scripts/schema.sh
