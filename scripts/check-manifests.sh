#!/usr/bin/env bash
# Checks deploy/kubernetes against Kubernetes' own schemas with
# kubernetes-validate (PyPI), installed into .dev/venv when the machine
# has none. kustomization.yaml has no schema there and is left out.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

validate=$(command -v kubernetes-validate || true)
if [[ -z "$validate" ]]; then
  validate=.dev/venv/bin/kubernetes-validate
  if [[ ! -x "$validate" ]]; then
    if python3 -m venv .dev/venv; then
      .dev/venv/bin/pip install --quiet --disable-pip-version-check kubernetes-validate
    else
      # No venv module (Debian without python3-venv): the user's site.
      python3 -m pip install --quiet --user kubernetes-validate
      validate="$(python3 -m site --user-base)/bin/kubernetes-validate"
    fi
  fi
fi
manifests=()
for file in deploy/kubernetes/*.yaml; do
  [[ "$(basename "$file")" == kustomization.yaml ]] || manifests+=("$file")
done
"$validate" --strict --quiet "${manifests[@]}"
