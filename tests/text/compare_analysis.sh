#!/usr/bin/env bash
# Compares two builds of voc_analysis_dump (tests/text/analysis_dump_main.cc) on the same
# texts: a change meant only for speed must leave every Analysis byte-identical.
#   tests/text/compare_analysis.sh REFERENCE_DUMP [CANDIDATE_DUMP]
# CANDIDATE_DUMP defaults to build/dev/tests/text/voc_analysis_dump. The texts: the
# samples in data/samples, tests/text/analysis_edge_cases.txt, the shared evaluation sets
# when present, and seeded variations of all of these (case, joins, cuts, stray bytes).
set -euo pipefail
cd "$(dirname "$0")/../.."
ref="$1"
cand="${2:-build/dev/tests/text/voc_analysis_dump}"
eval_dir="${VOC_EVAL_DIR:-../shared/eval}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

{
  cat data/samples/*.txt tests/text/analysis_edge_cases.txt
  if [[ -d "$eval_dir" ]]; then
    for f in "$eval_dir"/sentiment-dev/*.tsv; do tail -n +2 "$f" | cut -f3-; done
    tail -n +2 "$eval_dir/app-review-topics.tsv" | cut -f5-
    tail -n +2 "$eval_dir/forum-sentences.tsv" | cut -f3-
  fi
} >"$work/base.txt"

/usr/bin/python3 - "$work/base.txt" "$work/texts.txt" <<'PY'
import random, sys
rng = random.Random(20240611)
lines = open(sys.argv[1], "rb").read().split(b"\n")
out = list(lines)
junk = [b"\xff", b"\xc3", b"\xe2\x80\x99", b"\xf0\x9f\x98\x8d", b"!!!", b"??", b" - ", b"...", b"'", b"@", b"  ", b"\r", b"\x0b", b"--",
        b"0", b"#12", b" :) ", b"\t", b"n't", b"\xc2\xa0"]
for _ in range(20000):
    s = rng.choice(lines)
    op = rng.randrange(6)
    if op == 0:
        s = s.upper()
    elif op == 1:
        s = bytes(c ^ 0x20 if 97 <= (c | 0x20) <= 122 and rng.random() < 0.3 else c for c in s)
    elif op == 2:
        s = s + b" " + rng.choice(lines) + b" " + rng.choice(lines)
    elif op == 3 and len(s) > 2:
        a = rng.randrange(len(s)); b = rng.randrange(a, len(s) + 1)
        s = s[a:b]
    elif op == 4:
        for _ in range(rng.randrange(1, 6)):
            k = rng.randrange(len(s) + 1)
            s = s[:k] + rng.choice(junk) + s[k:]
    else:
        w = s.split(b" ")
        rng.shuffle(w)
        s = b" ".join(w)
    out.append(s)
open(sys.argv[2], "wb").write(b"\n".join(out) + b"\n")
PY

"$ref" <"$work/texts.txt" >"$work/ref.out"
"$cand" <"$work/texts.txt" >"$work/cand.out"
n=$(wc -l <"$work/texts.txt")
if cmp -s "$work/ref.out" "$work/cand.out"; then
  echo "compare-analysis: identical on $n texts"
else
  echo "compare-analysis: DIFFERENT on $n texts; first differences:" >&2
  diff "$work/ref.out" "$work/cand.out" | head -20 >&2
  exit 1
fi
