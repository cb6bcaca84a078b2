#!/usr/bin/env bash
# Install, build and run every test: unit tests, the embedded-broker integration tests,
# the end-to-end and kill -9 crash tests, and the third-party client and Prometheus
# checks. `scripts/test.sh asan` does the same under AddressSanitizer and UBSan.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
preset="${1:-release}"
"$root/scripts/build.sh" "$preset"
cd "$root"
echo "test: running the $preset tests"
ctest --preset "$preset" -j 2
