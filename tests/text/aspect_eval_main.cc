// Scores aspect-term sentiment the way SemEval-2014 Task 4 did (accuracy over the terms,
// macro F1 over positive, negative and neutral): reads `sid term from to polarity text`
// lines (the eval sets' format, header first) on stdin. For scripts/eval-text.sh.
// VOC_ASPECT_ERRORS=1 lists each wrongly scored term on stderr; VOC_ASPECT_CONFUSION=1
// prints the confusion matrix (gold rows; negative, neutral, positive).
#include <array>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "common/text/analyzer.h"

int main() {
  auto analyzer = voc::text::Analyzer::Create({});
  if (!analyzer.ok()) {
    std::cerr << analyzer.status().ToString() << "\n";
    return 1;
  }
  const std::array<const char*, 3> names = {"negative", "neutral", "positive"};
  std::array<std::array<int, 3>, 3> confusion{};  // [gold][predicted]
  std::string line;
  std::getline(std::cin, line);  // header
  voc::text::Analysis analysis;
  int missing = 0;
  while (std::getline(std::cin, line)) {
    std::vector<std::string> f;
    size_t start = 0;
    for (int k = 0; k < 5; ++k) {
      const size_t tab = line.find('\t', start);
      if (tab == std::string::npos) break;
      f.push_back(line.substr(start, tab - start));
      start = tab + 1;
    }
    if (f.size() != 5) continue;
    const std::string text = line.substr(start);
    int gold = -1;
    for (int k = 0; k < 3; ++k) {
      if (f[4] == names[k]) gold = k;
    }
    if (gold < 0) continue;
    const voc::text::AspectQuery q{f[1], std::stoll(f[2])};
    analyzer.value()->AnalyzeAspects(text, {&q, 1}, &analysis);
    const voc::text::AspectSentiment& a = analysis.aspects[0];
    missing += !a.found;
    const int predicted = static_cast<int>(a.label);  // kNegative, kNeutral, kPositive
    ++confusion[gold][predicted];
    if (std::getenv("VOC_ASPECT_ERRORS") != nullptr && predicted != gold) {
      std::fprintf(stderr, "%s\t%s\t%.3f\t%s\n", names[gold], f[1].c_str(), a.compound, text.c_str());
    }
  }
  int total = 0;
  int right = 0;
  double macro = 0.0;
  for (int k = 0; k < 3; ++k) {
    int tp = confusion[k][k], fp = 0, fn = 0;
    for (int j = 0; j < 3; ++j) {
      total += confusion[k][j];
      if (j != k) {
        fp += confusion[j][k];
        fn += confusion[k][j];
      }
    }
    right += tp;
    const double p = tp + fp ? static_cast<double>(tp) / (tp + fp) : 0.0;
    const double r = tp + fn ? static_cast<double>(tp) / (tp + fn) : 0.0;
    macro += p + r > 0 ? 2 * p * r / (p + r) : 0.0;
  }
  if (std::getenv("VOC_ASPECT_CONFUSION") != nullptr) {
    for (int k = 0; k < 3; ++k) std::fprintf(stderr, "%-9s %5d %5d %5d\n", names[k], confusion[k][0], confusion[k][1], confusion[k][2]);
  }
  std::printf("{\"n\": %d, \"accuracy\": %.4f, \"macro_f1\": %.4f, \"not_found\": %d}\n", total,
              total ? static_cast<double>(right) / total : 0.0, macro / 3, missing);
  return 0;
}
