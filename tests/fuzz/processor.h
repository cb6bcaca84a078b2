// What the targets that run a processor share: test::ProcessorHarness (tests/runtime), which
// drives a processor exactly as the service runner does (runtime::ProcessorDriver), the
// dead-letter check, the real text Analyzer built once per process (each processor gets a
// fork of it), and the ids and keys of what state_values stores and its seeds describe.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/text/analyzer.h"
#include "tests/fuzz/fuzz_target.h"
#include "tests/runtime/processor_harness.h"

namespace voc::fuzz {

// The batches' wall clock (Context::now_ms) in every target: 2026-11-26T12:00:00Z.
inline constexpr int64_t kNowMs = 1'795'694'400'000;

// What state_values stores and reads back, shared with the seed writer: the fixed
// records are revision 2 of this feedback (and of its mention); seeds describe revision 1.
namespace state_seed {
inline constexpr char kFeedbackId[] = "4be7c1a3e2f9d8b60a1c5e7f9b3d2a10";
inline constexpr char kCustomer[] = "cust-1";
inline constexpr char kTheme[] = "performance.speed";
inline constexpr int64_t kT0 = 1'795'651'200'000;  // 2026-11-26T00:00:00Z, on an hour and a day boundary
// The selector byte's value (mod kSlots) for each stored value.
enum Slot : uint8_t {
  kEnrichDedupe, kEnrichNearDuplicates, kEnrichCustomer,
  kAggregateContribution, kAggregateWindow, kAggregateMeta, kAggregateSpan,
  kSlots,
};
}  // namespace state_seed

// A dead letter as the runtime writes it: a reason code from the service's list and a
// sentence, both going into proto3 strings of voc.v1.DeadLetter. PROCESSING_ERROR, the
// driver's last line of defence against an exception, is on no service's list.
inline void ExpectKnownDeadLetter(const test::DeadLetterOut& letter, const std::vector<std::string>& reasons) {
  bool known = false;
  for (const auto& r : reasons) known |= letter.reason == r;
  VOC_FUZZ_EXPECT(known,
                  "dead letter with an unknown reason " + Excerpt(letter.reason) + ": " + Excerpt(letter.detail));
  VOC_FUZZ_EXPECT(!letter.detail.empty(), "dead letter " + letter.reason + " without a detail");
  VOC_FUZZ_EXPECT(IsValidUtf8(letter.detail), "dead letter detail is not UTF-8: " + Excerpt(letter.detail));
}

// The Analyzer voc-enrich builds at start-up (default taxonomy and lexicons), once per
// process: compiling the taxonomy takes most of a second. Each processor gets a fork, as
// the service's instances do.
inline std::unique_ptr<text::Analyzer> AnalyzerFork() {
  static const std::unique_ptr<text::Analyzer> analyzer = [] {
    auto a = text::Analyzer::Create({std::string(VOC_SOURCE_DIR) + "/data/taxonomy/software.yaml",
                                     std::string(VOC_SOURCE_DIR) + "/data/lexicons"});
    if (!a.ok()) Fail(__FILE__, __LINE__, "cannot build the analyzer: " + a.status().ToString());
    return std::move(a).value();
  }();
  auto fork = analyzer->Fork();
  if (!fork.ok()) Fail(__FILE__, __LINE__, "cannot fork the analyzer: " + fork.status().ToString());
  return std::move(fork).value();
}

// (Re)starts the harness's processor on its state folder.
inline void Start(test::ProcessorHarness& harness) {
  if (Status s = harness.Start(); !s.ok()) Fail(__FILE__, __LINE__, "cannot start the processor: " + s.ToString());
}

// A checkpoint, which on a healthy store always succeeds.
inline void Checkpoint(test::ProcessorHarness& harness) {
  if (Status s = harness.Checkpoint(); !s.ok()) Fail(__FILE__, __LINE__, "a checkpoint failed: " + s.ToString());
}

// The id of the store the processor declared as name.
inline state::StoreId StoreNamed(test::ProcessorHarness& harness, std::string_view name) {
  const auto specs = harness.driver().store_specs();
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name) return static_cast<state::StoreId>(i);
  }
  Fail(__FILE__, __LINE__, "the processor declares no store named " + std::string(name));
}

// The checkpoint the runner writes, with a change sink where its changelog would be that
// records every key written: an input takes them out again (point deletes: a range
// deletion per input would pile up range tombstones that every read then sorts), so the
// next input starts from the same store.
class Checkpoints final : public state::ChangeSink {
 public:
  void Changed(state::StoreId store, PartitionId partition, std::string_view key, const std::string* /*value*/,
               bool /*existed*/, int64_t /*written_ms*/) override {
    written_.emplace(store, partition, std::string(key));
  }

  // The runner's checkpoint: every store's changes (seen here), then the commit.
  void Write(test::ProcessorHarness& harness) {
    harness.driver().WriteChanges(this);
    Checkpoint(harness);
  }

  // Deletes what the checkpoints since the last call wrote, and empties the caches of
  // partitions (the processor forgets them as after a revoke).
  void Undo(test::ProcessorHarness& harness, const std::vector<TopicPartition>& partitions) {
    harness.driver().Forget(partitions);
    if (written_.empty()) return;
    auto txn = harness.db()->Begin();
    for (const auto& [store, partition, key] : written_) txn->Delete(store, partition, key);
    if (Status s = harness.db()->Commit(txn.get()); !s.ok()) Fail(__FILE__, __LINE__, "cannot commit: " + s.ToString());
    written_.clear();
  }

 private:
  std::set<std::tuple<state::StoreId, PartitionId, std::string>> written_;
};

}  // namespace voc::fuzz
