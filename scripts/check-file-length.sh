#!/usr/bin/env bash
# No source file over 350 lines, its tests included (STYLE.md): a module
# that grows past it is split, its tests moving to `tests.rs` beside it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
max=350
long=$(git ls-files -co --exclude-standard -- '*.rs' '*.ts' '*.tsx' ':!web/src/gen/**' \
  | while read -r file; do if [[ -f $file ]]; then echo "$file"; fi; done \
  | xargs -r wc -l | awk -v max="$max" '$2 != "total" && $1 > max { print "  " $2 ": " $1 " lines" }')
if [[ -n "$long" ]]; then
  echo "source files over $max lines (split them):" >&2
  echo "$long" >&2
  exit 1
fi
