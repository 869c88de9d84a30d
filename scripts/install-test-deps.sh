#!/usr/bin/env bash
# Installs what the tests need that cargo does not fetch, idempotently, into .cache/:
#   - the official AsyncAPI JSON Schemas (npm package @asyncapi/specs), for the spec-set test.
# Prints the environment the tests read (ASYNCAPI_SPECS_DIR).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="${ASYNCAPI_CACHE_DIR:-$root/.cache}"
specs_version="6.11.1"
specs_dir="$cache/asyncapi-specs-$specs_version"
if [ ! -f "$specs_dir/package/schemas/3.0.0-without-\$id.json" ]; then
  command -v npm >/dev/null || { echo "npm is required to fetch @asyncapi/specs" >&2; exit 1; }
  rm -rf "$specs_dir.tmp" && mkdir -p "$specs_dir.tmp"
  (cd "$specs_dir.tmp" && npm pack --silent "@asyncapi/specs@$specs_version" >/dev/null && tar xzf asyncapi-specs-*.tgz)
  rm -rf "$specs_dir" && mv "$specs_dir.tmp" "$specs_dir"
fi
echo "ASYNCAPI_SPECS_DIR=$specs_dir/package/schemas"
