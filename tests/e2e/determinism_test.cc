// DESIGN invariant 6: the same input gives the same outputs, whatever the order in which
// records of different topics happen to arrive. A generated stream goes through the real
// processors of voc-ingest, voc-enrich and voc-aggregate (RocksDB state, driven as the
// runner drives them) twice: once as generated, once with the three raw topics
// interleaved otherwise (each topic's own order kept, as a consumer keeps it) and other
// batch boundaries. The final aggregates must be equal field by field, near-duplicate
// roles (unique_volume) and window_closed included, and equal to the ground truth.
//
// `correction` is the one field left out: it says whether that emission changed a window
// already emitted as closed, so it belongs to the emission, and when a window was emitted
// as closed depends on when the watermark passed it, which the arrival order decides.
#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/e2e/in_process_pipeline.h"
#include "tests/e2e/oracle.h"
#include "tools/gen/generator.h"
#include "voc/v1/enriched.pb.h"
#include "voc/v1/theme.pb.h"

namespace voc {
namespace {

// What one run of the three stages ended with.
struct Result {
  std::map<std::string, voc::v1::ThemeAggregate> aggregates;  // the latest of each window
  std::map<std::string, std::string> duplicate_of;            // by feedback id, its last role
  double role_changes = 0;
};

Result RunStages(const gen::Generator& generator, const std::vector<gen::GeneratedRecord>& records, size_t batch) {
  test::InProcessPipeline pipeline(generator);
  Result result;
  voc::v1::EnrichedFeedback e;
  voc::v1::ThemeAggregate a;
  for (size_t i = 0; i < records.size(); i += batch) {
    const auto out = pipeline.Feed({records.begin() + static_cast<std::ptrdiff_t>(i),
                                    records.begin() + static_cast<std::ptrdiff_t>(std::min(records.size(), i + batch))});
    for (const auto& o : out.enriched) {
      EXPECT_TRUE(e.ParseFromString(o.value));
      result.duplicate_of[e.feedback_id()] = e.duplicate_of();
    }
    for (const auto& o : out.aggregates) {
      EXPECT_TRUE(a.ParseFromString(o.value));
      result.aggregates[o.key] = a;
    }
  }
  result.role_changes = test::MetricValue(pipeline.enrich_registry(), "voc_enrich_decisions_total",
                                          {{"decision", "near_duplicate_role_changed"}});
  return result;
}

// The records as another consumer could have read them: within each run of `span` records
// the topics come one after another, in the reverse of their generated order, each topic's
// own records in order.
std::vector<gen::GeneratedRecord> Interleaved(const std::vector<gen::GeneratedRecord>& records, size_t span) {
  std::vector<gen::GeneratedRecord> out = records;
  for (size_t i = 0; i < out.size(); i += span) {
    auto end = out.begin() + static_cast<std::ptrdiff_t>(std::min(out.size(), i + span));
    std::stable_sort(out.begin() + static_cast<std::ptrdiff_t>(i), end,
                     [](const auto& a, const auto& b) { return a.topic > b.topic; });
  }
  return out;
}

TEST(Determinism, TwoInterleavingsOfTheSameInputGiveIdenticalAggregatesFieldByField) {
  gen::GenOptions options;
  options.seed = 10;
  options.echo_share = 0.15;  // texts repeated across channels: roles to decide
  options.customers = 16;  // many texts per customer (within the index's 32): many roles to decide
  options.planned_count = 320;
  gen::Generator generator(options);
  std::vector<gen::GeneratedRecord> records;
  for (size_t i = 0; i < options.planned_count; ++i) records.push_back(generator.Next());

  const Result first = RunStages(generator, records, 50);
  const auto reordered = Interleaved(records, 8);
  ASSERT_NE(reordered.size(), 0u);
  const Result second = RunStages(generator, reordered, 37);

  // The two orders disagree about which of two near-identical texts came first (one order
  // had to give roles back more often than the other), so first-seen roles would differ:
  // the test exercises what it is named after.
  EXPECT_NE(first.role_changes, second.role_changes) << "no near-duplicate role depended on the order";
  size_t near_duplicates = 0;
  for (const auto& [id, original] : first.duplicate_of) near_duplicates += !original.empty();
  EXPECT_GT(near_duplicates, 0u);
  EXPECT_EQ(first.duplicate_of, second.duplicate_of);

  ASSERT_EQ(first.aggregates.size(), second.aggregates.size());
  for (const auto& [key, a] : first.aggregates) {
    auto it = second.aggregates.find(key);
    ASSERT_NE(it, second.aggregates.end()) << key << " was emitted in one order only";
    std::string diff;
    google::protobuf::util::MessageDifferencer differ;
    differ.ReportDifferencesToString(&diff);
    differ.IgnoreField(voc::v1::ThemeAggregate::descriptor()->FindFieldByName("correction"));
    EXPECT_TRUE(differ.Compare(a, it->second)) << key << ":\n" << diff;
  }
  // And both are the ground truth, unique volumes included.
  const auto expected = test::ExpectedAggregates(generator.truth(), generator.customers(),
                                                 {std::chrono::hours(1), std::chrono::hours(24)});
  const auto diffs = test::CompareAggregates(expected, first.aggregates);
  EXPECT_TRUE(diffs.empty()) << diffs.size() << " window(s) differ from the ground truth, first: " << diffs.front();
}

}  // namespace
}  // namespace voc
