#!/usr/bin/env bash
# Fuzzes voc::text::Analyzer with libFuzzer (clang, ASan + UBSan) for N seconds.
# Usage: scripts/fuzz-text.sh [SECONDS]   (default 180)
# Builds build/fuzz with the whole tree instrumented (coverage, ASan, UBSan); the corpus (build/fuzz/corpus-text) is seeded from data/samples and
# kept between runs; crashes land in build/fuzz/artifacts-text/.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-180}"
build=build/fuzz
deps_prefix="${VOC_DEPS_PREFIX:-$PWD/build/deps/prefix/usr}"
[[ -d "$deps_prefix" ]] || deps_prefix=/work/main/build/deps/prefix/usr

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link" -DVOC_SANITIZE=ON \
  -DVOC_BUILD_FUZZERS=ON -DVOC_BUILD_BENCHMARKS=OFF -DVOC_DEPS_PREFIX="$deps_prefix" >/dev/null
ninja -C "$build" -j2 fuzz_analyzer

corpus="$build/corpus-text"
artifacts="$build/artifacts-text"
mkdir -p "$corpus" "$artifacts"
if [[ -z "$(ls -A "$corpus")" ]]; then
  # One seed per sample line: real feedback reaches the interesting paths fastest.
  n=0
  while IFS= read -r line; do
    printf '%s' "$line" >"$corpus/seed-$n"
    n=$((n + 1))
  done < <(head -n 300 data/samples/app-reviews.txt; head -n 300 data/samples/forum-sentences.txt)
  printf '%s' 'call +44 20 7946 0958, card 4111 1111 1111 1111, DE89 3704 0044 0532 0130 00, a@b.co, ::1, 10.0.0.12' \
    >"$corpus/seed-pii"
fi
"$build/tests/text/fuzz_analyzer" "$corpus" -max_total_time="$seconds" -max_len=4096 \
  -artifact_prefix="$artifacts/" -print_final_stats=1
