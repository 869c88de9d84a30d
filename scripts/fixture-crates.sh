#!/usr/bin/env bash
# Generates a crate for every valid fixture under tests/fixtures/valid, and for every official
# AsyncAPI example document (ASYNCAPI_EXAMPLES_DIR, fetched by scripts/install-test-deps.sh), into
# one scratch workspace (sharing a target dir), in both runtime modes: crates/NAME depends on
# runtime/ (asyncapi-runtime), vendored/NAME carries a copy of it (--vendor-runtime). Then
# lints them with the default features (the models alone), then lints and tests them all with
# every feature on:
#   cargo clippy --all-targets --all-features -D warnings, then cargo test --all-features (the
#   example round-trip tests, and the vendored runtime's own unit tests).
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
rm -rf "$work/crates" "$work/vendored"
mkdir -p "$work/crates" "$work/vendored"
members=()
# generate SPEC NAME [FLAGS...]: the crate in both runtime modes.
generate() {
  local spec="$1" name="$2"
  shift 2
  "$bin" generate "$spec" --out "$work/crates/$name" --crate-name "$name" --runtime-path "$root/runtime" "$@" >/dev/null
  "$bin" generate "$spec" --out "$work/vendored/$name" --crate-name "$name-vendored" --vendor-runtime "$@" >/dev/null
  members+=("\"crates/$name\"" "\"vendored/$name\"")
}
for fixture in tests/fixtures/valid/*; do
  name="$(basename "$fixture")"
  name="${name%.yaml}"; name="${name%.json}"
  [ "$name" = "README.md" ] && continue
  generate "$fixture" "fixture-$name"
done
# Avro date and time logical types as chrono values, through JSON and binary Avro.
generate tests/fixtures/valid/avro-bytes-and-logical-types.yaml fixture-avro-bytes-and-logical-types-typed --chrono --uuid
for wrapper in "avro_time::TimestampMillis" "avro_time::TimestampMicros" "avro_time::Date" "::uuid::Uuid"; do
  grep -q "$wrapper" "$work/crates/fixture-avro-bytes-and-logical-types-typed/src/avro_bytes_and_logical_types/models.rs"
done
# Behaviour tests written for one fixture's crate (tests/fixture-tests/<fixture>.rs, or
# <fixture>-typed.rs for a crate generated with --chrono --uuid), run in both runtime modes.
for test in tests/fixture-tests/*.rs; do
  fixture="$(basename "$test" .rs)"
  ident="fixture_${fixture//-/_}"
  for mode in crates vendored; do
    mkdir -p "$work/$mode/fixture-$fixture/tests"
    cp "$test" "$work/$mode/fixture-$fixture/tests/$fixture.rs"
  done
  sed -i "s/^use ${ident}::/use ${ident}_vendored::/" "$work/vendored/fixture-$fixture/tests/$fixture.rs"
done
# The same specs with the optional chrono/uuid mapping, so that path is built and tested too.
generate tests/fixtures/valid/numbers-and-formats.yaml fixture-numbers-and-formats-typed --chrono --uuid
grep -q "::chrono::DateTime<::chrono::Utc>" "$work/crates/fixture-numbers-and-formats-typed/src/numbers_and_formats/models.rs"
grep -q "::uuid::Uuid" "$work/crates/fixture-numbers-and-formats-typed/src/numbers_and_formats/models.rs"
# Vendored crates carry the runtime's sources and do not depend on it.
grep -q "^pub mod codegen;" "$work/vendored/fixture-numbers-and-formats-typed/src/runtime/mod.rs"
if grep -q "asyncapi-runtime" "$work/vendored/fixture-numbers-and-formats-typed/Cargo.toml"; then
  echo "a vendored crate still depends on asyncapi-runtime" >&2
  exit 1
fi
# With neither flag, a crate generated from a checkout depends on its runtime/ by path (the
# runtime is not on crates.io), so it builds wherever it is written.
"$bin" generate tests/fixtures/valid/realistic-chat-websocket.yaml --out "$work/crates/fixture-default-runtime" --crate-name fixture-default-runtime >/dev/null
grep -qF "path = \"$(cd runtime && pwd -P)\"" "$work/crates/fixture-default-runtime/Cargo.toml"
members+=("\"crates/fixture-default-runtime\"")
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
  generate "$doc" "$name"
  official=$((official + 1))
done
[ "$official" -ge 20 ] || { echo "expected at least 20 official example documents, found $official" >&2; exit 1; }
{
  echo "[workspace]"
  echo "resolver = \"2\""
  echo "members = [$(IFS=,; echo "${members[*]}")]"
  # No debug info and no incremental state: the crates are only checked and tested, and with
  # them the shared target directory grows past 40 GB.
  echo ""
  echo "[profile.dev]"
  echo "debug = false"
  echo "incremental = false"
} > "$work/Cargo.toml"
cd "$work"
# The fixture tests that talk to a broker or an independent reader find their inputs here.
export ASYNCAPI_FIXTURES_DIR="$root/tests/fixtures/valid"
export RUSTFLAGS="-D warnings"
# The default features (the models alone) first, then everything.
cargo clippy -q --workspace --lib -- -D warnings
cargo clippy -q --workspace --all-targets --all-features -- -D warnings
cargo test -q --workspace --all-features 2>&1 | tee "$work/test.log" | grep -E "^test result|FAILED|panicked" || true
if grep -q "FAILED\|panicked" "$work/test.log"; then
  echo "fixture crates: tests failed (see $work/test.log)" >&2
  exit 1
fi
echo "fixture crates: ${#members[@]} crates (both runtime modes; $official documents from the official examples) built, clippy-clean and tested"
