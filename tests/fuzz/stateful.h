// What the stateful targets share: the real text Analyzer built once per process, a
// forwarder so processors built per input can own "their" analyzer, and a RocksDB state
// store opened on a folder made once per process.
#pragma once

#include <memory>
#include <string>

#include "common/state/state_store.h"
#include "common/text/analyzer.h"
#include "tests/fuzz/fuzz_target.h"

namespace voc::fuzz {

// What state_values stores and reads back, shared with the seed writer: the fixed
// records are revision 2 of this feedback (and of its mention); seeds describe revision 1.
namespace state_seed {
inline constexpr char kFeedbackId[] = "4be7c1a3e2f9d8b60a1c5e7f9b3d2a10";
inline constexpr char kCustomer[] = "cust-1";
inline constexpr char kTheme[] = "performance.speed";
inline constexpr int64_t kT0 = 1'795'651'200'000;  // 2026-11-26T00:00:00Z, on an hour and a day boundary
// The selector byte's value (mod 8) for each stored value.
enum Slot : uint8_t {
  kEnrichDedupe, kEnrichNearDuplicates, kEnrichCustomer,
  kAggregateAccount, kAggregateWindow, kAggregateOpen, kAggregateDirty, kAggregateWatermark,
  kSlots,
};
}  // namespace state_seed

// The Analyzer voc-enrich builds at start-up (default taxonomy and lexicons), once per
// process: compiling the taxonomy takes most of a second.
inline text::Analyzer& DefaultAnalyzer() {
  static std::unique_ptr<text::Analyzer> analyzer = [] {
    text::AnalyzerOptions options;
    options.lexicon_dir = std::string(VOC_SOURCE_DIR) + "/data/lexicons";
    options.taxonomy_path = std::string(VOC_SOURCE_DIR) + "/data/taxonomy/software.yaml";
    auto a = text::Analyzer::Create(options);
    if (!a.ok()) Fail(__FILE__, __LINE__, "cannot build the analyzer: " + a.status().ToString());
    return std::move(a).value();
  }();
  return *analyzer;
}

// Lets a processor own an analyzer while every processor shares the one above.
class ForwardingAnalyzer final : public text::Analyzer {
 public:
  explicit ForwardingAnalyzer(text::Analyzer& real) : real_(real) {}
  void Analyze(std::string_view text, text::Analysis* out) override { real_.Analyze(text, out); }
  const std::string& taxonomy_version() const override { return real_.taxonomy_version(); }

 private:
  text::Analyzer& real_;
};

// A state store in a fresh folder under dir, as the runtime opens it for the processor.
inline std::unique_ptr<state::StateStore> OpenStore(const std::string& dir, std::vector<state::StoreSpec> stores,
                                                    std::string format) {
  state::StateOptions options;
  options.path = dir;
  options.stores = std::move(stores);
  options.format = std::move(format);
  options.block_cache_bytes = 8 << 20;
  options.write_buffer_bytes = 8 << 20;
  auto store = state::StateStore::Open(options);
  if (!store.ok()) Fail(__FILE__, __LINE__, "cannot open the state store: " + store.status().ToString());
  return std::move(store).value();
}

}  // namespace voc::fuzz
