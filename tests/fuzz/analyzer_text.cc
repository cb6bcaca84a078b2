// Target analyzer_text: any bytes as a feedback text through voc::text::Analyzer, the
// analysis voc-enrich runs on every record (default taxonomy and lexicons, built once per
// process, and forked as voc-enrich forks it: compiling the taxonomy per input would swamp
// the fuzzer).
//
// Contract: no crash and no sanitizer report; scores in [-1, 1]; every theme's evidence
// span inside the redacted text; the redacted text UTF-8 whenever the input is (it goes
// into proto3 strings downstream).
#include "tests/fuzz/processor.h"

VOC_FUZZ_TARGET(analyzer_text) {
  using namespace voc::fuzz;
  static const std::unique_ptr<voc::text::Analyzer> analyzer = AnalyzerFork();
  static voc::text::Analysis analysis;  // reused, as voc-enrich reuses it
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  analyzer->Analyze(text, &analysis);
  VOC_FUZZ_EXPECT(analysis.compound >= -1.0 && analysis.compound <= 1.0, "compound out of [-1, 1]");
  for (const voc::text::ThemeMatch& m : analysis.themes) {
    VOC_FUZZ_EXPECT(m.begin <= m.end && m.end <= analysis.redacted_text.size(),
                    "theme " + m.id + " evidence outside the redacted text");
    VOC_FUZZ_EXPECT(m.clause_compound >= -1.0 && m.clause_compound <= 1.0, "clause sentiment out of [-1, 1]");
  }
  if (IsValidUtf8(text)) {
    VOC_FUZZ_EXPECT(IsValidUtf8(analysis.redacted_text), "UTF-8 text redacted into bytes that are not UTF-8");
    for (const voc::text::ThemeMatch& m : analysis.themes) {
      const std::string_view evidence(analysis.redacted_text.data() + m.begin, m.end - m.begin);
      VOC_FUZZ_EXPECT(IsValidUtf8(evidence), "theme " + m.id + " evidence cut inside a character");
    }
  }
  return 0;
}
