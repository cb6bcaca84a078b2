// `vocctl score`: analyses texts read one per line and writes one JSON object per line
// (compound, label, language, sentiment_scored, themes, type, urgency, redacted_text,
// pii). Nothing else goes to `out`; diagnostics go to `err`.
#pragma once

#include <iosfwd>

#include "common/text/analyzer.h"

namespace voc::vocctl {

// Returns the process exit code: 0 on success, 1 when the analyzer cannot be created
// (the reason is written to `err`).
int RunScore(std::istream& in, std::ostream& out, const voc::text::AnalyzerOptions& options, std::ostream& err);

}  // namespace voc::vocctl
