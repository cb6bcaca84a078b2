#include "tools/vocctl/score.h"

#include <cstdio>
#include <istream>
#include <ostream>
#include <string>

#include "common/core/json.h"

namespace voc::vocctl {
namespace {

void AppendNumber(double v, std::string* out) {
  char buf[32];
  const int n = std::snprintf(buf, sizeof(buf), "%.4f", v);
  out->append(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

void AppendUint(uint32_t v, std::string* out) { out->append(std::to_string(v)); }

void AppendAnalysis(const voc::text::Analysis& a, std::string* line) {
  using voc::AppendJsonString;
  line->append("{\"compound\":");
  AppendNumber(a.compound, line);
  line->append(",\"label\":");
  AppendJsonString(voc::text::ToString(a.label), line);
  line->append(",\"language\":");
  AppendJsonString(a.language, line);
  line->append(",\"sentiment_scored\":");
  line->append(a.sentiment_scored ? "true" : "false");
  line->append(",\"themes\":[");
  for (size_t i = 0; i < a.themes.size(); ++i) {
    const voc::text::ThemeMatch& m = a.themes[i];
    if (i > 0) line->push_back(',');
    line->append("{\"id\":");
    AppendJsonString(m.id, line);
    line->append(",\"path\":");
    AppendJsonString(m.path, line);
    line->append(",\"evidence\":");
    const std::string_view red(a.redacted_text);
    AppendJsonString(m.end <= red.size() && m.begin <= m.end ? red.substr(m.begin, m.end - m.begin) : "", line);
    line->append(",\"clause_compound\":");
    AppendNumber(m.clause_compound, line);
    line->push_back('}');
  }
  line->append("],\"type\":");
  AppendJsonString(voc::text::ToString(a.type), line);
  line->append(",\"urgency\":[");
  bool first = true;
  for (const std::string& name : voc::text::UrgencyNames(a.urgency)) {
    if (!first) line->push_back(',');
    first = false;
    AppendJsonString(name, line);
  }
  line->append("],\"redacted_text\":");
  AppendJsonString(a.redacted_text, line);
  line->append(",\"pii\":{\"email\":");
  AppendUint(a.pii.email, line);
  line->append(",\"phone\":");
  AppendUint(a.pii.phone, line);
  line->append(",\"card\":");
  AppendUint(a.pii.card, line);
  line->append(",\"iban\":");
  AppendUint(a.pii.iban, line);
  line->append(",\"ip\":");
  AppendUint(a.pii.ip, line);
  line->append(",\"name\":");
  AppendUint(a.pii.name, line);
  line->append(",\"address\":");
  AppendUint(a.pii.address, line);
  line->append(",\"national_id\":");
  AppendUint(a.pii.national_id, line);
  line->push_back('}');
  if (!a.aspects.empty()) {
    line->append(",\"aspects\":[");
    for (size_t i = 0; i < a.aspects.size(); ++i) {
      const voc::text::AspectSentiment& s = a.aspects[i];
      if (i > 0) line->push_back(',');
      line->append("{\"term\":");
      AppendJsonString(s.term, line);
      line->append(",\"found\":");
      line->append(s.found ? "true" : "false");
      line->append(",\"evidence\":");
      const std::string_view red(a.redacted_text);
      AppendJsonString(s.found && s.end <= red.size() ? red.substr(s.begin, s.end - s.begin) : "", line);
      line->append(",\"compound\":");
      AppendNumber(s.compound, line);
      line->append(",\"label\":");
      AppendJsonString(voc::text::ToString(s.label), line);
      line->push_back('}');
    }
    line->push_back(']');
  }
  line->append("}\n");
}

}  // namespace

int RunScore(std::istream& in, std::ostream& out, const voc::text::AnalyzerOptions& options, std::ostream& err,
             const std::vector<std::string>& aspects) {
  auto analyzer = voc::text::Analyzer::Create(options);
  if (!analyzer.ok()) {
    err << "vocctl score: " << analyzer.status().ToString() << "\n";
    return 1;
  }
  voc::text::Analysis analysis;
  std::vector<voc::text::AspectQuery> queries;
  for (const std::string& term : aspects) queries.push_back(voc::text::AspectQuery{term, -1});
  std::string text;
  std::string line;
  while (std::getline(in, text)) {
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (queries.empty()) {
      analyzer.value()->Analyze(text, &analysis);
    } else {
      analyzer.value()->AnalyzeAspects(text, queries, &analysis);
    }
    line.clear();
    AppendAnalysis(analysis, &line);
    out.write(line.data(), static_cast<std::streamsize>(line.size()));
  }
  out.flush();
  if (!out) {
    err << "vocctl score: write failed\n";
    return 1;
  }
  return 0;
}

}  // namespace voc::vocctl
