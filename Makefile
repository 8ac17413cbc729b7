# Completionist. `make run` starts everything; `make test` tests everything.
.PHONY: run test lint fmt schema

run:
	scripts/run.sh

test: node/node_modules/.bin/buf
	scripts/test.sh

lint: node/node_modules/.bin/buf
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --locked -- -D warnings
	node/node_modules/.bin/buf lint proto

fmt:
	cargo fmt --all

node/node_modules/.bin/buf: node/package.json node/package-lock.json
	# `npm ci` refuses lockfiles without the optional per-platform buf
	# packages (an npm bug with optionalDependencies); install honours the lock.
	npm install --prefix node --no-audit --no-fund
	touch $@

# Regenerates the Diesel schemas from the migrations (needs diesel_cli:
# cargo install diesel_cli --no-default-features --features postgres).
schema:
	scripts/schema.sh
