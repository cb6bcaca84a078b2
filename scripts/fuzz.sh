#!/usr/bin/env bash
# Fuzzes vocstream's input decoders with libFuzzer (clang, ASan + UBSan): every target of
# tests/fuzz/targets.txt one after the other, or the one named, for SECONDS each.
#
# Usage: scripts/fuzz.sh [TARGET|all] [SECONDS] [-- LIBFUZZER_FLAGS...]
#   scripts/fuzz.sh                          every target, 60 s each
#   scripts/fuzz.sh ingest_raw 3600          one target for an hour
#   scripts/fuzz.sh state_values 0 -- -runs=10000000   no time limit: ten million inputs
#   scripts/fuzz.sh history                  every run kept so far, and the clean executions per target
#
# Builds the fuzz preset into build/fuzz (VOC_DEPS_PREFIX, when set, says where
# install-deps.sh unpacked prometheus-cpp). Each target's corpus, build/fuzz/corpus/TARGET,
# is kept between runs and grows from tests/fuzz/seeds/TARGET and
# tests/fuzz/regressions/TARGET. A crash, a leak or a sanitizer report saves its input
# as build/fuzz/artifacts/TARGET/crash-* (leak-*, timeout-*, oom-*) and makes the script
# exit 1 once the other targets ran; each target's output is in build/fuzz/logs/TARGET.log.
# Every run is also kept in build/fuzz/logs/history/ with a line in history.tsv (time,
# revision, target, executions, exec/s, cov, ft, corpus, result). A run ended by Ctrl-C or
# a TERM signal is "interrupted": clean as far as it went, so its executions count;
# `history` adds them up per target, as long campaigns are run in pieces.
# tests/fuzz/README.md says how to turn a crash into a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${1:-all}"
seconds="${2:-60}"
shift $(( $# < 2 ? $# : 2 ))
if [[ "${1:-}" == "--" ]]; then shift; fi
extra=("$@")

build=build/fuzz
targets_file=tests/fuzz/targets.txt
history="$build/logs/history.tsv"

if [[ "$target" == history ]]; then
  if [[ ! -s "$history" ]]; then
    echo "fuzz: no runs kept yet ($history); run scripts/fuzz.sh first" >&2
    exit 2
  fi
  column -t -s $'\t' "$history"
  echo
  echo "clean executions per target (runs that ended ok or interrupted):"
  awk -F'\t' 'NR > 1 && ($9 == "ok" || $9 == "interrupted") { sum[$3] += $4; runs[$3]++ }
    END { for (t in sum) printf "  %-20s %12d in %d run(s)\n", t, sum[t], runs[t] }' "$history" | sort
  exit 0
fi
names=()
while read -r name _; do
  [[ "$name" =~ ^[a-z] ]] && names+=("$name")
done <"$targets_file"
if [[ "$target" != all ]]; then
  if [[ ! " ${names[*]} " =~ " $target " ]]; then
    echo "fuzz: no target '$target'; the targets are: ${names[*]}" >&2
    exit 2
  fi
  names=("$target")
fi

cmake --preset fuzz ${VOC_DEPS_PREFIX:+-DVOC_DEPS_PREFIX="$VOC_DEPS_PREFIX"} >/dev/null
cmake --build --preset fuzz -j "${VOC_BUILD_JOBS:-2}" --target $(printf 'fuzz_%s ' "${names[@]}")

mkdir -p "$build/logs/history"
[[ -s "$history" ]] || printf 'time\trevision\ttarget\texecutions\texec/s\tcov\tft\tcorpus\tresult\n' >"$history"
revision="$(git describe --always --dirty 2>/dev/null || echo unknown)"
# Ctrl-C reaches the fuzzer, which stops and prints its figures; the script then records
# the run and starts no further target.
interrupted=0
trap 'interrupted=1' INT TERM
failed=()
printf '%-20s %12s %8s %7s %7s %14s  %s\n' target executions exec/s cov ft corpus result | tee "$build/logs/summary.txt"
for name in "${names[@]}"; do
  read -r _ max_len dict leaks _ < <(grep -E "^$name[[:space:]]" "$targets_file")
  case "$leaks" in
    input) leak_flags=() ;;
    exit) leak_flags=(-detect_leaks=0) ;;  # LeakSanitizer still checks when the run ends
    *) echo "fuzz: $targets_file gives $name the leak check '$leaks'; write input or exit" >&2; exit 2 ;;
  esac
  corpus="$build/corpus/$name"
  artifacts="$build/artifacts/$name"
  log="$build/logs/$name.log"
  mkdir -p "$corpus" "$artifacts"
  dirs=("$corpus" "tests/fuzz/seeds/$name")
  [[ -d "tests/fuzz/regressions/$name" ]] && dirs+=("tests/fuzz/regressions/$name")
  echo "fuzz: $name for ${seconds}s (0: no limit) ${extra[*]:-}; log $log"
  status=0
  "$build/tests/fuzz/fuzz_$name" "${dirs[@]}" -max_total_time="$seconds" -max_len="$max_len" \
    -dict="tests/fuzz/dict/$dict" -timeout=20 -rss_limit_mb=3072 -artifact_prefix="$artifacts/" \
    -print_final_stats=1 "${leak_flags[@]}" "${extra[@]}" >"$log" 2>&1 || status=$?
  # The DONE line, or for an interrupted run its last progress line.
  done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 || true)"
  [[ -n "$done_line" ]] || done_line="$(grep -E '^#[0-9]+[[:space:]].* cov: ' "$log" | tail -n 1 || true)"
  cov="$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")"
  ft="$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$done_line")"
  corp="$(sed -nE 's/.* corp: ([0-9]+\/[0-9]+[a-zA-Z]*).*/\1/p' <<<"$done_line")"
  runs="$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)/\1/p' "$log" | tail -n 1)"
  rate="$(sed -nE 's/^stat::average_exec_per_sec: *([0-9]+)/\1/p' "$log" | tail -n 1)"
  result=ok
  # libFuzzer exits 72 when a signal interrupted it (and printed no finding); its
  # report then says "run interrupted".
  if [[ $status -eq 72 ]] && grep -q 'libFuzzer: run interrupted' "$log" && ! grep -qE '^SUMMARY|ERROR: ' "$log"; then
    result=interrupted
  elif [[ $status -ne 0 ]]; then
    result="FAILED (exit $status): $(grep -E 'FUZZ CONTRACT|^SUMMARY|ERROR: ' "$log" | head -n 1 || true)"
    failed+=("$name")
  fi
  stamp="$(date -u +%Y%m%dT%H%M%SZ)"
  cp "$log" "$build/logs/history/$name-$stamp.log"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$stamp" "$revision" "$name" "${runs:-0}" "${rate:--}" "${cov:--}" \
    "${ft:--}" "${corp:--}" "${result%%:*}" >>"$history"
  printf '%-20s %12s %8s %7s %7s %14s  %s\n' "$name" "${runs:--}" "${rate:--}" "${cov:--}" "${ft:--}" \
    "${corp:--}" "$result" | tee -a "$build/logs/summary.txt"
  [[ $interrupted -eq 0 ]] || break
done
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: ${failed[*]} failed; the inputs are in $build/artifacts/<target>/" >&2
  exit 1
fi
