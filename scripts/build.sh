#!/usr/bin/env bash
# Installs the Debian packages vocstream needs (scripts/install-deps.sh) and builds a
# preset: release (default) or asan.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
preset="${1:-release}"
"$root/scripts/install-deps.sh"
cd "$root"
echo "build: configuring the $preset preset"
cmake --preset "$preset" >/dev/null
echo "build: compiling ($(nproc) cores; a first build takes a few minutes)"
cmake --build --preset "$preset" -j "$(nproc)"
