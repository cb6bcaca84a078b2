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

#include "services/aggregate/aggregate_processor.h"
#include "services/enrich/enrich_processor.h"
#include "services/ingest/ingest_processor.h"
#include "tests/e2e/oracle.h"
#include "tests/runtime/processor_harness.h"
#include "tests/runtime/test_util.h"
#include "tools/gen/generator.h"
#include "voc/v1/enriched.pb.h"
#include "voc/v1/theme.pb.h"

namespace voc {
namespace {

constexpr int64_t kWallMs = 1'800'000'000'000;  // every batch's wall clock: processing times match

// What one run of the three stages ended with.
struct Result {
  std::map<std::string, voc::v1::ThemeAggregate> aggregates;  // the latest of each window
  std::map<std::string, std::string> duplicate_of;            // by feedback id, its last role
  double role_changes = 0;
};

// voc-ingest, voc-enrich and voc-aggregate, each on its own state folder, one partition
// per topic, the outputs of one stage the next one's batch.
class Stages {
 public:
  explicit Stages(const gen::Generator& generator) {
    const runtime::PipelineTopicNames topics;
    ingest_ = Start([] { return std::make_unique<ingest::IngestProcessor>(ingest::IngestOptions()); },
                    {{topics.raw_tickets, PartitionId(0)}, {topics.raw_surveys, PartitionId(0)}, {topics.raw_reviews, PartitionId(0)}});
    auto analyzer = text::Analyzer::Create({VOC_SOURCE_DIR "/data/taxonomy/software.yaml", VOC_SOURCE_DIR "/data/lexicons"});
    EXPECT_TRUE(analyzer.ok()) << analyzer.status().ToString();
    analyzer_ = std::move(analyzer).value();
    enrich_ = Start(
        [this] {
          enrich_registry_ = std::make_shared<prometheus::Registry>();
          return std::make_unique<enrich::EnrichProcessor>(enrich::EnrichOptions(), std::move(analyzer_->Fork()).value(),
                                                           *enrich_registry_);
        },
        {{topics.feedback, PartitionId(0)}});
    for (const auto& c : generator.customers()) EXPECT_TRUE(enrich_->TableRow(0, c.customer_id(), c.SerializeAsString()));
    EXPECT_TRUE(enrich_->Checkpoint().ok());
    aggregate_ = Start(
        [this] {
          aggregate::AggregateOptions o;
          o.emit_interval = std::chrono::milliseconds(0);
          return std::make_unique<aggregate::AggregateProcessor>(o, aggregate_registry_);
        },
        {{topics.mentions, PartitionId(0)}});
  }

  // One batch of raw records through all three stages.
  void Feed(const std::vector<gen::GeneratedRecord>& records) {
    std::vector<test::Input> raw;
    for (const auto& r : records) raw.push_back({r.topic, 0, r.key, r.value});
    const auto enriched = enrich_->Batch(Next(ingest_->Batch(raw), topics_.feedback));
    voc::v1::EnrichedFeedback e;
    for (const auto& o : enriched.outputs) {
      if (o.topic != topics_.enriched) continue;
      ASSERT_TRUE(e.ParseFromString(o.value));
      result_.duplicate_of[e.feedback_id()] = e.duplicate_of();
    }
    voc::v1::ThemeAggregate a;
    for (const auto& o : aggregate_->Batch(Next(enriched, topics_.mentions)).outputs) {
      if (o.topic != topics_.aggregates) continue;
      ASSERT_TRUE(a.ParseFromString(o.value));
      result_.aggregates[o.key] = a;
    }
  }

  Result Finish() {
    result_.role_changes = test::MetricValue(*enrich_registry_, "voc_enrich_decisions_total",
                                             {{"decision", "near_duplicate_role_changed"}});
    return result_;
  }

 private:
  std::unique_ptr<test::ProcessorHarness> Start(test::ProcessorHarness::Factory make,
                                                std::vector<TopicPartition> assigned) {
    dirs_.push_back(std::make_unique<test::TempDir>());
    auto h = std::make_unique<test::ProcessorHarness>(std::move(make), dirs_.back()->path(), std::move(assigned));
    Status s = h->Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
    h->SetWallClock(kWallMs);
    return h;
  }

  // A stage's outputs on topic as the next stage's input.
  static std::vector<test::Input> Next(const test::Emitted& emitted, const std::string& topic) {
    std::vector<test::Input> out;
    for (const auto& o : emitted.outputs) {
      if (o.topic == topic) out.push_back({topic, 0, o.key, o.value});
    }
    return out;
  }

  runtime::PipelineTopicNames topics_;
  std::vector<std::unique_ptr<test::TempDir>> dirs_;
  std::unique_ptr<text::Analyzer> analyzer_;
  std::shared_ptr<prometheus::Registry> enrich_registry_;
  prometheus::Registry aggregate_registry_;
  std::unique_ptr<test::ProcessorHarness> ingest_, enrich_, aggregate_;
  Result result_;
};

Result RunStages(const gen::Generator& generator, const std::vector<gen::GeneratedRecord>& records, size_t batch) {
  Stages stages(generator);
  for (size_t i = 0; i < records.size(); i += batch) {
    stages.Feed({records.begin() + static_cast<std::ptrdiff_t>(i),
                 records.begin() + static_cast<std::ptrdiff_t>(std::min(records.size(), i + batch))});
  }
  return stages.Finish();
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
