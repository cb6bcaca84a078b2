// Test driver: every field of Analyze's result for each line on stdin, doubles in full
// precision and evidence as byte offsets, so two builds can be compared byte for byte
// (tests/text/compare_analysis.sh) after a change that must not alter results.
#include <cstdio>
#include <iostream>
#include <string>

#include "common/text/analyzer.h"
#include "common/core/json.h"

int main() {
  std::ios::sync_with_stdio(false);
  auto analyzer = voc::text::Analyzer::Create(voc::text::AnalyzerOptions{});
  if (!analyzer.ok()) {
    std::cerr << analyzer.status().ToString() << "\n";
    return 1;
  }
  voc::text::Analysis a;
  std::string text;
  std::string out;
  char buf[64];
  while (std::getline(std::cin, text)) {
    analyzer.value()->Analyze(text, &a);
    out.clear();
    std::snprintf(buf, sizeof(buf), "%.17g", a.compound);
    out.append(buf);
    out.append(" ").append(voc::text::ToString(a.label)).append(" ").append(a.language);
    out.append(a.sentiment_scored ? " scored " : " unscored ").append(voc::text::ToString(a.type));
    out.append(" urgency=").append(std::to_string(a.urgency));
    out.append(" pii=").append(std::to_string(a.pii.email)).append(",").append(std::to_string(a.pii.phone));
    out.append(",").append(std::to_string(a.pii.card)).append(",").append(std::to_string(a.pii.iban));
    out.append(",").append(std::to_string(a.pii.ip)).append(",").append(std::to_string(a.pii.name));
    out.append(",").append(std::to_string(a.pii.address)).append(",").append(std::to_string(a.pii.national_id));
    out.append(" ");
    voc::AppendJsonString(a.redacted_text, &out);
    for (const voc::text::ThemeMatch& m : a.themes) {
      std::snprintf(buf, sizeof(buf), " %u-%u %.17g", m.begin, m.end, m.clause_compound);
      out.append(" [").append(m.id).append(" ").append(m.path).append(buf).append("]");
    }
    out.push_back('\n');
    std::cout << out;
  }
  return 0;
}
