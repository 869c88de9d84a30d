#!/usr/bin/env bash
# Builds the cargo-fuzz targets (fuzz/) and runs each one from its committed seeds
# (fuzz/seeds/<target>). The test command runs it as a smoke test (20 s per target), so a
# regression that panics at once fails CI; campaigns run it for longer (RELIABILITY.md):
#   FUZZ_SECONDS   seconds per target (default 20)
#   FUZZ_TARGETS   space-separated targets (default: all)
#   FUZZ_CORPUS    where new inputs go, per target (default: a temporary directory; campaigns use
#                  fuzz/corpus, which is not committed)
# One line per target: runs, coverage (`cov`: edges, `ft`: features), corpus size; a finding
# prints its report and leaves its input in fuzz/artifacts/<target>/ (exit 1).
# cargo-fuzz comes from scripts/install-test-deps.sh (CARGO_FUZZ); the toolchain is stable, so the
# sanitizer flags need RUSTC_BOOTSTRAP=1.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cargo_fuzz="${CARGO_FUZZ:-$root/.cache/cargo-fuzz-0.13.2/bin/cargo-fuzz}"
[ -x "$cargo_fuzz" ] || { echo "$cargo_fuzz missing: run scripts/install-test-deps.sh" >&2; exit 1; }
seconds="${FUZZ_SECONDS:-20}"
export RUSTC_BOOTSTRAP=1
cd "$root/fuzz"
"$cargo_fuzz" build -O
targets="${FUZZ_TARGETS:-$("$cargo_fuzz" list)}"
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
corpus="${FUZZ_CORPUS:-$logs/corpus}"
status=0
for target in $targets; do
  mkdir -p "$corpus/$target"
  # The first directory receives new inputs; the seeds are only read.
  if "$cargo_fuzz" run -O "$target" "$corpus/$target" "seeds/$target" -- \
      -max_total_time="$seconds" -max_len=16384 -timeout=30 -rss_limit_mb=4096 -print_final_stats=1 \
      > "$logs/$target.log" 2>&1; then
    runs="$(awk '/^stat::number_of_executed_units/ {print $2}' "$logs/$target.log")"
    done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$logs/$target.log" | tail -1 | grep -oE 'cov: [0-9]+ ft: [0-9]+ corp: [0-9]+/[^ ]+' || true)"
    echo "fuzz $target: $runs runs in ${seconds}s, $done_line, no finding"
  else
    status=1
    echo "fuzz $target: FINDING (input in fuzz/artifacts/$target)" >&2
    grep -E "panicked|ERROR|SUMMARY|Test unit written|Base64" "$logs/$target.log" | head -20 >&2
  fi
done
exit $status
