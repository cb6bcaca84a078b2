// `vocctl score`: analyses texts read one per line and writes one JSON object per line
// (compound, label, language, sentiment_scored, themes, type, urgency, redacted_text,
// pii, and aspects when asked for). Nothing else goes to `out`; diagnostics go to `err`.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "common/text/analyzer.h"

namespace voc::vocctl {

// Returns the process exit code: 0 on success, 1 when the analyzer cannot be created
// (the reason is written to `err`). With `aspects` (`--aspect TERM`, repeatable), each
// line also gets "aspects": the sentiment toward each term in that text.
int RunScore(std::istream& in, std::ostream& out, const voc::text::AnalyzerOptions& options, std::ostream& err,
             const std::vector<std::string>& aspects = {});

}  // namespace voc::vocctl
