#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (and for CI):
#   scripts/run.sh demo   install what is needed, build, run the demo on a throwaway store
#   scripts/run.sh test   install what is needed, build, run the whole test suite
# Safe to run again: installing is skipped when every package is present and
# the build is incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ make cmake pkg-config git capnproto libcapnp-dev nlohmann-json3-dev
          libxxhash-dev libgtest-dev libcli11-dev libhowardhinnant-date-dev)

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

build() {
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j"$(nproc)"
}

case "${1:-}" in
  demo)
    install_packages
    build
    build/pa-journal demo
    ;;
  test)
    install_packages
    build
    ctest --test-dir build --output-on-failure -j"$(nproc)"
    ;;
  *)
    echo "usage: scripts/run.sh demo|test" >&2
    exit 2
    ;;
esac
