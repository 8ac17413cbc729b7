#!/usr/bin/env bash
# Checks the deployments: deploy/kubernetes against Kubernetes' own schemas
# with kubernetes-validate (PyPI; kustomization.yaml has no schema there and
# is left out), then that docker-compose.yml, the Dockerfile and the
# manifests agree with the binaries' configuration
# (scripts/check-deploy.py). Both run on a Python of their own in
# .dev/venv, made on first use (or on the user's site where Python has no
# venv module).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

python=.dev/venv/bin/python
if [[ ! -x .dev/venv/bin/kubernetes-validate ]]; then
  if python3 -m venv .dev/venv; then
    "$python" -m pip install --quiet --disable-pip-version-check kubernetes-validate
  else
    python=python3
    python3 -m pip install --quiet --user kubernetes-validate
  fi
fi
manifests=()
for file in deploy/kubernetes/*.yaml; do
  [[ "$(basename "$file")" == kustomization.yaml ]] || manifests+=("$file")
done
"$python" -m kubernetes_validate --strict --quiet "${manifests[@]}"
"$python" scripts/check-deploy.py
