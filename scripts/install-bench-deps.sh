#!/usr/bin/env bash
# Baselines for the benchmarks that the test suite does not need, cached in .cache/ (idempotent).
# Prints KEY=VALUE lines to export, like install-test-deps.sh:
#   - the official Modelina generator (npm @asyncapi/modelina) for the generator bench.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$root/.cache"
mkdir -p "$cache"

modelina_version=5.10.1
modelina_dir="$cache/modelina-$modelina_version"
if [ ! -f "$modelina_dir/node_modules/@asyncapi/modelina/package.json" ]; then
  command -v npm >/dev/null || { echo "npm is required to fetch @asyncapi/modelina" >&2; exit 1; }
  rm -rf "$modelina_dir.tmp"
  mkdir -p "$modelina_dir.tmp"
  (cd "$modelina_dir.tmp" && echo '{"private": true}' > package.json &&
    npm install --silent --no-audit --no-fund "@asyncapi/modelina@$modelina_version" >/dev/null)
  rm -rf "$modelina_dir"
  mv "$modelina_dir.tmp" "$modelina_dir"
fi
echo "MODELINA_NODE_MODULES=$modelina_dir/node_modules"
