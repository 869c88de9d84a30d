#!/usr/bin/env bash
# Generates a crate for every valid fixture under tests/fixtures/valid into one scratch
# workspace (sharing a target dir), then builds, lints and tests them all:
#   cargo clippy --all-targets -D warnings, then cargo test (the example round-trip tests).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="${FIXTURE_CRATES_DIR:-$root/target/fixture-crates}"
cd "$root"
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
echo "fixture crates: ${#members[@]} crates built, clippy-clean and tested"
