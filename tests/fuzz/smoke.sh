#!/usr/bin/env bash
# The fuzz.<target> CTest entry: fuzzes one target for a few seconds from its seeds and
# saved crash inputs, into a corpus made afresh each run. Exit status: libFuzzer's (0 when
# nothing was found). Usage: smoke.sh BINARY TARGET SECONDS MAX_LEN DICT WORKDIR
set -euo pipefail
binary="$1" target="$2" seconds="$3" max_len="$4" dict="$5" work="$6"
here="$(cd "$(dirname "$0")" && pwd)"
corpus="$work/corpus-$target"
artifacts="$work/artifacts-$target"
rm -rf "$corpus"
mkdir -p "$corpus" "$artifacts"
dirs=("$corpus" "$here/seeds/$target")
[[ -d "$here/regressions/$target" ]] && dirs+=("$here/regressions/$target")
exec "$binary" "${dirs[@]}" -max_total_time="$seconds" -max_len="$max_len" -dict="$dict" -timeout=20 \
  -rss_limit_mb=3072 -artifact_prefix="$artifacts/" -print_final_stats=1
