#!/usr/bin/env bash
# The main job: install, build, and run the whole pipeline (embedded broker, voc-ingest,
# voc-enrich, voc-aggregate) on generated feedback with a live table of themes.
# Arguments go to `vocctl demo` (default: 30 seconds); e.g. scripts/demo.sh --duration 0
# runs until Ctrl-C.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh" release
args=("$@")
[ "${#args[@]}" -eq 0 ] && args=(--duration 30s)
[ -t 1 ] || args+=(--plain)
exec "$root/build/release/tools/vocctl/vocctl" demo "${args[@]}"
