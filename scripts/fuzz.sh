#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# SECONDS (default 60) from its seed corpus in tests/fuzz/corpus/NAME, as many
# targets at once as there are cores. New
# inputs go to a scratch corpus, never into the repository; a crash leaves its
# input in build-fuzz/findings/ and fails the script. The soak version is the
# same script with a larger SECONDS, e.g. scripts/fuzz.sh 3600, or with
# FUZZ_RUNS=N, which runs each target for N executions instead of SECONDS
# (e.g. FUZZ_RUNS=1000000 scripts/fuzz.sh).
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(record_decoder segment_reader snapshot_loader apply_parser time_parser key_index envelope)

cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang \
  -DCMAKE_CXX_COMPILER=clang++ -DPA_JOURNAL_FUZZ=ON -DPA_JOURNAL_TESTS=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target $(printf '%s_fuzz ' "${targets[@]}") >/dev/null

mkdir -p build-fuzz/findings
limit=(-max_total_time="$seconds")
[ -n "${FUZZ_RUNS:-}" ] && limit=(-runs="$FUZZ_RUNS")
# One target per core at a time: each still gets SECONDS of its own.
run_one() {
  local t=$1 scratch log started=$SECONDS
  scratch=$(mktemp -d)
  log=build-fuzz/findings/$t.log
  if build-fuzz/tests/fuzz/${t}_fuzz "${limit[@]}" -print_final_stats=1 \
      -artifact_prefix=build-fuzz/findings/"$t"- -max_len=65536 \
      "$scratch" "tests/fuzz/corpus/$t" >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$')
    echo "fuzz $t: ${runs:-?} executions in $((SECONDS - started))s, no finding"
    rm -rf "$scratch"
  else
    echo "fuzz $t: FINDING, see $log and build-fuzz/findings/$t-*"
    tail -n 30 "$log"
    rm -rf "$scratch"
    return 1
  fi
}

status=0
running=0
for t in "${targets[@]}"; do
  if [ "$running" -ge "$(nproc)" ]; then
    wait -n || status=1
    running=$((running - 1))
  fi
  run_one "$t" &
  running=$((running + 1))
done
while [ "$running" -gt 0 ]; do
  wait -n || status=1
  running=$((running - 1))
done
exit $status
