#!/usr/bin/env bash
# The test command: installs what the tests need, then runs every check and test.
#   1. test dependencies into .cache/ (official AsyncAPI schemas, Chromium, Python clients, the Tansu broker)
#   2. drift check: generated/ must match asyncapi/ (`asyncapi-codegen check --strict`: no warnings either)
#   3. `asyncapi-codegen validate --strict` on the spec set (examples match their schemas)
#   4. clippy -D warnings over the workspace (generator, runtime, generated crate, tests), then the
#      runtime with every feature (tls too) and the generated crate with its default features alone;
#      the runtime's and the generator library's API docs build without warnings
#   5. every fixture spec generated into a crate in both runtime modes, clippy-checked and tested
#      (scripts/fixture-crates.sh)
#   6. cargo test --workspace (unit, CLI, spec-set, error, golden, runtime, socket and Kafka tests,
#      the durable-broker, consumer-group and slow-reader tests; the generated crate's example
#      tests); the Kafka tests start their own Tansu broker per test; then
#      the runtime's tests and doc examples with every feature
#   7. fuzz smoke: every cargo-fuzz target of fuzz/ for FUZZ_SECONDS (default 20) from its seeds
#      (scripts/fuzz.sh)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
while IFS= read -r line; do export "${line?}"; done < <(scripts/install-test-deps.sh)
echo "== drift check"
cargo run -q -p asyncapi-codegen -- check --strict
echo "== validate"
cargo run -q -p asyncapi-codegen -- validate --strict
echo "== clippy"
cargo clippy -q --workspace --all-targets -- -D warnings
cargo clippy -q -p asyncapi-runtime --all-targets --all-features -- -D warnings
cargo clippy -q -p agent-assist-api --all-targets -- -D warnings
echo "== API docs"
RUSTDOCFLAGS="-D warnings" cargo doc -q -p asyncapi-runtime --all-features --no-deps
RUSTDOCFLAGS="-D warnings" cargo doc -q -p asyncapi-codegen --no-deps
echo "== fixture crates"
scripts/fixture-crates.sh
echo "== cargo test"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
set +e
cargo test --workspace 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
echo "== runtime, every feature"
set +e
cargo test -p asyncapi-runtime --all-features 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" = 0 ] || status=1
set -e
echo "== fuzz smoke"
scripts/fuzz.sh || status=1
# One closing line over every test binary of the workspace (and the fixture crates above).
fixture_log="${FIXTURE_CRATES_DIR:-$root/target/fixture-crates}/test.log"
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log" "$fixture_log"
exit "$status"
