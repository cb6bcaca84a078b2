#!/usr/bin/env bash
# Evaluates the text module on the shared evaluation data (../shared/eval):
#   1. sentiment on the four VADER dev sets, scored the paper's way (Pearson r, 3-class F1);
#   2. per-topic precision/recall of the default taxonomy on app-review-topics.tsv;
#   3. precision/recall of bug-report / feature-request / question detection on
#      forum-sentences.tsv;
#   4. polarity of plain feedback without opinion words, and app-review feedback type, on
#      tests/text/data (dev and held-out sets);
#   5. aspect-term sentiment on the SemEval-2014 training sets (absa-dev), the task's way.
# Usage: scripts/eval-text.sh [BUILD_DIR]   (default build/dev; builds voc_score_tool)
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${1:-build/dev}"
eval_dir="${VOC_EVAL_DIR:-../shared/eval}"
py=/usr/bin/python3  # Debian's python; the one on PATH may lack its packages

if [[ ! -d "$eval_dir" ]]; then
  echo "eval-text: $eval_dir not found" >&2
  exit 1
fi
ninja -C "$build_dir" -j2 voc_score_tool voc_aspect_eval >/dev/null
tool="$build_dir/tests/text/voc_score_tool"

echo "== sentiment (VADER dev sets; VADER: r .877/.428/.598/.489, F1 .952/.587/.640/.541)"
for set in tweets movieReviewSnippets amazonReviewSnippets nytEditorialSnippets; do
  "$py" "$eval_dir/score_sentiment.py" "$eval_dir/sentiment-dev/$set.tsv" -- "$tool"
done

echo "== themes (app-review-topics.tsv) and feedback type (forum-sentences.tsv)"
"$py" - "$tool" "$eval_dir" <<'PY'
import json, subprocess, sys

tool, eval_dir = sys.argv[1], sys.argv[2]

def analyse(texts):
    clean = [t.replace("\t", " ").replace("\r", " ").replace("\n", " ") for t in texts]
    out = subprocess.run([tool], input="\n".join(clean) + "\n", capture_output=True, text=True, check=True)
    return [json.loads(line) for line in out.stdout.splitlines()]

def pr(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f

# Topic -> theme ids of the default taxonomy.
TOPICS = {
    "ERROR": {"reliability.crashes", "reliability.errors", "reliability.freezes"},
    "UI": {"ux.design"},
    "PERFORMANCE": {"performance.speed"},
    "BATTERY": {"performance.battery"},
    "MEMORY": {"performance.memory_storage"},
    "DEVICE": {"compatibility.device"},
    "ANDROID VERSION": {"compatibility.os"},
    "HARDWARE": {"compatibility.hardware"},
    "APP USABILITY": {"ux.usability"},
    "SECURITY": {"account.security"},
    "PRIVACY": {"account.privacy"},
    "PRICE": {"pricing.price"},
    "LICENSING": {"pricing.licensing", "pricing.subscriptions", "pricing.ads"},
}
rows = [l.rstrip("\n").split("\t", 4) for l in open(f"{eval_dir}/app-review-topics.tsv", encoding="utf-8")][1:]
results = analyse([r[4] for r in rows])
print("%-16s %5s %6s %6s %6s" % ("topic", "gold", "P", "R", "F1"))
macro = []
for topic, themes in TOPICS.items():
    tp = fp = fn = 0
    for r, a in zip(rows, results):
        gold = topic in {x.strip() for x in r[3].split(",")}
        pred = any(t["id"] in themes for t in a["themes"])
        tp += gold and pred; fp += pred and not gold; fn += gold and not pred
    p, rc, f = pr(tp, fp, fn)
    macro.append(f)
    print("%-16s %5d %6.3f %6.3f %6.3f" % (topic, tp + fn, p, rc, f))
print("%-16s %5s %6s %6s %6.3f" % ("macro F1", "", "", "", sum(macro) / len(macro)))

TYPES = {
    "bug_report": {"apparent bug"},
    "feature_request": {"feature request"},
    "question": {"question on application", "help seeking"},
}
rows = [l.rstrip("\n").split("\t", 2) for l in open(f"{eval_dir}/forum-sentences.tsv", encoding="utf-8")][1:]
results = analyse([r[2] for r in rows])
print("%-16s %5s %6s %6s %6s" % ("type", "gold", "P", "R", "F1"))
for name, labels in TYPES.items():
    tp = fp = fn = 0
    for r, a in zip(rows, results):
        gold = r[1] in labels
        pred = a["type"] == name
        tp += gold and pred; fp += pred and not gold; fn += gold and not pred
    p, rc, f = pr(tp, fp, fn)
    print("%-16s %5d %6.3f %6.3f %6.3f" % (name, tp + fn, p, rc, f))
PY

echo "== plain feedback polarity (tests/text/data; 3 classes, +-0.05 cut)"
"$py" - "$tool" tests/text/data/feedback_polarity_dev.tsv tests/text/data/feedback_polarity_heldout.tsv <<'PY'
import json, subprocess, sys
tool = sys.argv[1]
for path in sys.argv[2:]:
    rows = [l.rstrip("\n").split("\t", 1) for l in open(path, encoding="utf-8") if l.strip() and not l.startswith("#")]
    out = subprocess.run([tool], input="\n".join(r[1] for r in rows) + "\n", capture_output=True, text=True, check=True)
    right = 0
    for (gold, _), line in zip(rows, out.stdout.splitlines()):
        c = json.loads(line)["compound"]
        right += (1 if c >= 0.05 else -1 if c <= -0.05 else 0) == int(gold)
    print("%-40s n=%d accuracy=%.3f" % (path.split("/")[-1], len(rows), right / len(rows)))
PY

echo "== app-review feedback type (tests/text/data; dev and held-out)"
"$py" - "$tool" tests/text/data/review_types_dev.tsv tests/text/data/review_types_heldout.tsv <<'PY'
import json, subprocess, sys
tool = sys.argv[1]
for path in sys.argv[2:]:
    rows = [l.rstrip("\n").split("\t", 1) for l in open(path, encoding="utf-8") if l.strip() and not l.startswith("#")]
    out = subprocess.run([tool], input="\n".join(r[1] for r in rows) + "\n", capture_output=True, text=True, check=True)
    types = [json.loads(l)["type"] for l in out.stdout.splitlines()]
    cells = []
    for name in ("bug_report", "feature_request"):
        tp = sum(g == name and p == name for (g, _), p in zip(rows, types))
        fp = sum(g != name and p == name for (g, _), p in zip(rows, types))
        fn = sum(g == name and p != name for (g, _), p in zip(rows, types))
        cells.append("%s F1=%.3f" % (name, 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0))
    print("%-28s n=%d %s" % (path.split("/")[-1], len(rows), " ".join(cells)))
PY

echo "== aspect sentiment (absa-dev: SemEval-2014 training sets; evaluation only)"
for set in restaurants laptops; do
  printf '%-12s ' "$set"
  "$build_dir/tests/text/voc_aspect_eval" < "$eval_dir/absa-dev/$set-train.tsv"
done
