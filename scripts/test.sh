#!/usr/bin/env bash
# Install, build and run every test: unit tests, the embedded-broker integration tests,
# the end-to-end and kill -9 crash tests, and the third-party client and Prometheus
# checks. `scripts/test.sh asan` does the same under AddressSanitizer and UBSan.
# Then the fuzz smoke run: the fuzz preset (clang, ASan + UBSan, build/fuzz) builds the
# libFuzzer targets only, and each fuzzes for 10 s from its seeds and saved crash inputs,
# two at a time (tests/fuzz/README.md); VOC_FUZZ=0 leaves it out.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
preset="${1:-release}"
"$root/scripts/build.sh" "$preset"
cd "$root"
echo "test: running the $preset tests"
ctest --preset "$preset" -j 2
if [[ "${VOC_FUZZ:-1}" != 0 ]]; then
  "$root/scripts/build.sh" fuzz
  echo "test: running the fuzz smoke tests"
  ctest --preset fuzz -j 2
fi
