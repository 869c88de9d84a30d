#!/usr/bin/env bash
# Generates a crate for every valid fixture under tests/fixtures/valid, and for every official
# AsyncAPI example document (ASYNCAPI_EXAMPLES_DIR, fetched by scripts/install-test-deps.sh), into
# one scratch workspace (sharing a target dir), then builds, lints and tests them all:
#   cargo clippy --all-targets -D warnings, then cargo test (the example round-trip tests).
# The one official example whose payloads are remote Avro files must fail with a located
# `remote-ref` error instead.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${FIXTURE_CRATES_DIR:-$root/target/fixture-crates}"
cd "$root"
if [ -z "${ASYNCAPI_EXAMPLES_DIR:-}" ]; then
  while IFS= read -r line; do export "${line?}"; done < <(scripts/install-test-deps.sh)
fi
cargo build -q -p asyncapi-codegen
bin="$root/target/debug/asyncapi-codegen"
rm -rf "$work/crates"
mkdir -p "$work/crates"
members=()
for fixture in tests/fixtures/valid/*; do
  name="$(basename "$fixture")"
  name="${name%.yaml}"; name="${name%.json}"
  [ "$name" = "README.md" ] && continue
  "$bin" generate "$fixture" --out "$work/crates/$name" --crate-name "fixture-$name" >/dev/null
  members+=("\"crates/$name\"")
done
# The same spec with the optional chrono/uuid mapping, so that path is built and tested too.
"$bin" generate tests/fixtures/valid/numbers-and-formats.yaml --out "$work/crates/numbers-and-formats-typed" \
  --crate-name fixture-numbers-and-formats-typed --chrono --uuid >/dev/null
grep -q "::chrono::DateTime<::chrono::Utc>" "$work/crates/numbers-and-formats-typed/src/numbers_and_formats/models.rs"
grep -q "::uuid::Uuid" "$work/crates/numbers-and-formats-typed/src/numbers_and_formats/models.rs"
members+=("\"crates/numbers-and-formats-typed\"")
official=0
for doc in "$ASYNCAPI_EXAMPLES_DIR"/*.yml "$ASYNCAPI_EXAMPLES_DIR"/*.yaml "$ASYNCAPI_EXAMPLES_DIR"/*.json; do
  grep -q '"asyncapi"\|^asyncapi:' "$doc" || continue
  file="$(basename "$doc")"
  name="official-${file%.*}-${file##*.}"
  if [ "$file" = "adeo-kafka-request-reply-asyncapi.yml" ]; then
    # Payloads are remote Avro schemas: a located error, never a crate.
    set +e
    out="$("$bin" generate "$doc" --out "$work/crates/$name" 2>&1)"
    status=$?
    set -e
    if [ "$status" != 2 ] || ! grep -q "^error\[remote-ref\]: .*$file:[0-9]* at /components/messages/" <<<"$out"; then
      echo "official example $file: expected a located remote-ref error, got exit $status:" >&2
      echo "$out" >&2
      exit 1
    fi
    continue
  fi
  "$bin" generate "$doc" --out "$work/crates/$name" --crate-name "$name" >/dev/null
  members+=("\"crates/$name\"")
  official=$((official + 1))
done
[ "$official" -ge 20 ] || { echo "expected at least 20 official example documents, found $official" >&2; exit 1; }
{
  echo "[workspace]"
  echo "resolver = \"2\""
  echo "members = [$(IFS=,; echo "${members[*]}")]"
} > "$work/Cargo.toml"
cd "$work"
export RUSTFLAGS="-D warnings"
cargo clippy -q --workspace --all-targets -- -D warnings
cargo test -q --workspace 2>&1 | tee "$work/test.log" | grep -E "^test result|FAILED|panicked" || true
if grep -q "FAILED\|panicked" "$work/test.log"; then
  echo "fixture crates: tests failed (see $work/test.log)" >&2
  exit 1
fi
echo "fixture crates: ${#members[@]} crates ($official from the official examples) built, clippy-clean and tested"
