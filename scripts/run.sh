#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (and for CI):
#   scripts/run.sh demo    install what is needed, build, run the demo on a throwaway store
#   scripts/run.sh test    install what is needed, build, run the whole test suite:
#                          the tests, again under AddressSanitizer + UBSan, again
#                          under ThreadSanitizer, and every fuzz target for
#                          FUZZ_SECONDS (default 60) each
#   scripts/run.sh quick   install, build, run the tests once (no sanitizers, no fuzzing)
# Safe to run again: installing is skipped when every package is present and
# the builds are incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ make cmake pkg-config git capnproto libcapnp-dev nlohmann-json3-dev
          libxxhash-dev libgtest-dev libcli11-dev libhowardhinnant-date-dev
          clang libclang-rt-14-dev libsqlite3-dev sqlite3 libbenchmark-dev libsimdjson-dev
          pybind11-dev python3-dev python3-pytest help2man man-db dpkg-dev
          libzstd-dev zstd libsodium-dev libnats-dev nats-server)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

install_packages() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "installing: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
}

jobs=$(nproc)

# -O2, as a RelWithDebInfo build, without its debug information: a fifth less
# to compile and a tenth of the bytes to link into each test executable, and
# these builds are run, not debugged. Options given to build() come after, so
# the sanitizer builds' own flags win.
plain=(-DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG"
       "-DCMAKE_C_FLAGS_RELEASE=-O2 -DNDEBUG")

# build DIR [cmake options...] [-- targets...]
build() {
  local dir=$1; shift
  local options=() targets=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do options+=("$1"); shift; done
  [ $# -gt 0 ] && shift && targets=(--target "$@")
  cmake -S . -B "$dir" "${plain[@]}" "${options[@]}" >/dev/null
  cmake --build "$dir" -j"$jobs" "${targets[@]}"
}

stage() { printf '\n==== %s (at %d s)\n' "$*" "$SECONDS"; }

# Sanitizer builds: optimised a little, no debug info, assertions on; this
# halves their build time on two cores.
sanitized=(-DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DCMAKE_C_FLAGS_RELEASE=-O1)

case "${1:-}" in
  demo)
    install_packages
    build build
    build/pa-journal demo
    ;;
  quick)
    install_packages
    build build
    ctest --test-dir build --output-on-failure -j"$jobs"
    ;;
  test)
    install_packages
    stage "tests"
    build build
    ctest --test-dir build --output-on-failure -j"$jobs"
    stage "lock annotations checked by clang (-Wthread-safety, errors)"
    build build-locks -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
      -DPA_JOURNAL_THREAD_SAFETY_ANALYSIS=ON -DPA_JOURNAL_TESTS=OFF "${sanitized[@]}" \
      -- pa-journal
    stage "tests under AddressSanitizer and UndefinedBehaviorSanitizer"
    build build-asan -DPA_JOURNAL_SANITIZE=address,undefined "${sanitized[@]}"
    ctest --test-dir build-asan --output-on-failure -j"$jobs"
    # The tests that run threads against each other (label "threads",
    # tests/CMakeLists.txt): every test already ran in the two stages before.
    stage "tests that run threads, under ThreadSanitizer"
    build build-tsan -DPA_JOURNAL_SANITIZE=thread "${sanitized[@]}" -- threaded_tests
    TSAN_OPTIONS="halt_on_error=1" ctest --test-dir build-tsan --output-on-failure \
      -j"$jobs" -L threads
    stage "fuzzing, ${FUZZ_SECONDS:-60} s per target"
    scripts/fuzz.sh "${FUZZ_SECONDS:-60}"
    stage "every stage passed"
    ;;
  *)
    echo "usage: scripts/run.sh demo|test|quick" >&2
    exit 2
    ;;
esac
