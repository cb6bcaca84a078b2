// libFuzzer target: any byte string through the full analyzer must neither crash nor
// trip ASan/UBSan, and the results must stay in range.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string_view>

#include "common/text/analyzer.h"

namespace {

voc::text::Analyzer* GetAnalyzer() {
  // Built once per process: compiling the taxonomy per input would swamp the fuzzer.
  static std::unique_ptr<voc::text::Analyzer> analyzer = [] {
    voc::text::AnalyzerOptions options;
    options.lexicon_dir = std::string(VOC_SOURCE_DIR) + "/data/lexicons";
    options.taxonomy_path = std::string(VOC_SOURCE_DIR) + "/data/taxonomy/software.yaml";
    auto a = voc::text::Analyzer::Create(options);
    if (!a.ok()) std::abort();
    return std::move(a).value();
  }();
  return analyzer.get();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  voc::text::Analysis analysis;
  GetAnalyzer()->Analyze(std::string_view(reinterpret_cast<const char*>(data), size), &analysis);
  if (analysis.compound < -1.0 || analysis.compound > 1.0) std::abort();
  for (const voc::text::ThemeMatch& m : analysis.themes) {
    if (m.begin > m.end || m.end > analysis.redacted_text.size()) std::abort();
    if (m.clause_compound < -1.0 || m.clause_compound > 1.0) std::abort();
  }
  return 0;
}
