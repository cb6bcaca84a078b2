// The whole pipeline on the embedded broker, uninterrupted: every generated record is
// accounted for exactly, and the aggregates equal the ground truth.
#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "common/kafka/embedded_broker.h"
#include "common/kafka/kafka.h"
#include "services/pipeline/embedded_pipeline.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/oracle.h"
#include "tests/runtime/test_util.h"
#include "voc/v1/dead_letter.pb.h"
#include "voc/v1/enriched.pb.h"

namespace voc {
namespace {

using std::chrono::seconds;

TEST(Pipeline, AccountsForEveryRecordAndMatchesGroundTruth) {
  test::TempDir dir;
  auto broker = test::StartBroker(4);
  const std::string& bs = broker.bootstrap;
  const auto& topics = broker.topics;

  gen::GenOptions go;
  go.seed = 7;
  go.customers = 40;
  go.planned_count = 3000;
  gen::Generator generator(go);
  auto producer = kafka::Producer::Create({bs, {}});
  ASSERT_TRUE(producer.ok());
  test::ProduceCustomers(**producer, generator, topics.customers);
  size_t pii_in_input = 0;
  for (size_t i = 0; i < go.planned_count; ++i) {
    auto r = generator.Next();
    pii_in_input += r.value.find("@example.com") != std::string::npos;
    ASSERT_TRUE((*producer)->Produce(r.topic, r.key, r.value).ok());
  }
  ASSERT_TRUE((*producer)->Flush(seconds(30)).ok());
  const auto& truth = generator.truth();
  ASSERT_GT(truth.exact_duplicates, 0u);
  ASSERT_GT(truth.revisions, 0u);
  ASSERT_GT(truth.stale, 0u);
  ASSERT_GT(truth.malformed, 0u);
  ASSERT_GT(pii_in_input, 0u);

  pipeline::EmbeddedPipelineOptions po;
  po.bootstrap_servers = bs;
  po.state_root = dir.path();
  po.aggregate.emit_interval = std::chrono::milliseconds(200);
  auto pipe = pipeline::EmbeddedPipeline::Start(std::move(po));
  ASSERT_TRUE(pipe.ok()) << pipe.status().ToString();

  const auto expected = test::ExpectedAggregates(truth, generator.customers(), {std::chrono::hours(1), std::chrono::hours(24)});
  std::vector<std::string> diffs;
  ASSERT_TRUE(test::WaitFor(
      [&] {
        diffs = test::CompareAggregates(expected, test::LatestAggregates(bs, topics.aggregates));
        return diffs.empty();
      },
      seconds(120)))
      << diffs.size() << " window(s) differ, first: " << (diffs.empty() ? "" : diffs.front());

  // Every record: an enriched output, a counted duplicate or stale revision, or a dead letter.
  auto enriched = test::ReadTopic(bs, topics.enriched, truth.expected_enriched(), seconds(30));
  EXPECT_EQ(enriched.size(), truth.expected_enriched());
  std::set<std::pair<std::string, uint32_t>> versions;
  voc::v1::EnrichedFeedback e;
  for (const auto& r : enriched) {
    ASSERT_TRUE(e.ParseFromString(r.value));
    versions.emplace(e.feedback_id(), e.revision());
  }
  EXPECT_EQ(versions.size(), truth.expected_enriched());
  auto& enrich_metrics = (*pipe)->registry(pipeline::Stage::kEnrich);
  EXPECT_EQ(test::MetricValue(enrich_metrics, "voc_enrich_decisions_total", {{"decision", "exact_duplicate"}}),
            static_cast<double>(truth.exact_duplicates));
  EXPECT_EQ(test::MetricValue(enrich_metrics, "voc_enrich_decisions_total", {{"decision", "stale_revision"}}),
            static_cast<double>(truth.stale));
  auto dead = test::ReadTopic(bs, topics.dlq, truth.malformed, seconds(30));
  std::map<std::string, size_t> reasons;
  voc::v1::DeadLetter d;
  for (const auto& r : dead) {
    ASSERT_TRUE(d.ParseFromString(r.value));
    reasons[d.reason()]++;
  }
  EXPECT_EQ(reasons, truth.dead_letters_by_reason);
  EXPECT_EQ(truth.records, enriched.size() + truth.exact_duplicates + truth.stale + dead.size());

  // Invariant 4: no raw email address left voc-enrich, whichever topic carries it.
  for (const auto& topic : {topics.enriched, topics.mentions, topics.aggregates, topics.alerts}) {
    for (const auto& r : test::ReadTopic(bs, topic, 1, seconds(2))) {
      EXPECT_EQ(r.value.find("@example.com"), std::string::npos) << "PII on " << topic;
    }
  }
  ASSERT_TRUE((*pipe)->Stop().ok());
}

// Two instances of each stateful stage share its group, as two processes would: whatever
// the group's assignments and rebalances do while the stream flows (a partition that moves
// is rebuilt by its new owner from the log's start), no (id, revision) is lost and the
// aggregates equal the ground truth.
TEST(Pipeline, TwoInstancesOfEachStatefulStageMatchGroundTruth) {
  test::TempDir dir;
  auto broker = test::StartBroker(4);
  const std::string& bs = broker.bootstrap;
  const auto& topics = broker.topics;

  gen::GenOptions go;
  go.seed = 11;
  go.customers = 40;
  go.planned_count = 2000;
  gen::Generator generator(go);
  auto producer = kafka::Producer::Create({bs, {}});
  ASSERT_TRUE(producer.ok());
  test::ProduceCustomers(**producer, generator, topics.customers);
  // Half before the services start, half while they join and settle.
  for (size_t i = 0; i < go.planned_count / 2; ++i) {
    auto r = generator.Next();
    ASSERT_TRUE((*producer)->Produce(r.topic, r.key, r.value).ok());
  }
  ASSERT_TRUE((*producer)->Flush(seconds(30)).ok());

  pipeline::EmbeddedPipelineOptions po;
  po.bootstrap_servers = bs;
  po.state_root = dir.path();
  po.aggregate.emit_interval = std::chrono::milliseconds(200);
  po.instances = {1, 2, 2};
  auto pipe = pipeline::EmbeddedPipeline::Start(std::move(po));
  ASSERT_TRUE(pipe.ok()) << pipe.status().ToString();
  for (size_t i = go.planned_count / 2; i < go.planned_count; ++i) {
    auto r = generator.Next();
    ASSERT_TRUE((*producer)->Produce(r.topic, r.key, r.value).ok());
    if (i % 100 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE((*producer)->Flush(seconds(30)).ok());
  const auto& truth = generator.truth();

  const auto expected = test::ExpectedAggregates(truth, generator.customers(), {std::chrono::hours(1), std::chrono::hours(24)});
  std::vector<std::string> diffs;
  ASSERT_TRUE(test::WaitFor(
      [&] {
        diffs = test::CompareAggregates(expected, test::LatestAggregates(bs, topics.aggregates));
        return diffs.empty();
      },
      seconds(120)))
      << diffs.size() << " window(s) differ, first: " << (diffs.empty() ? "" : diffs.front());

  // A moved partition is replayed, so an (id, revision) may be enriched twice; none is missing.
  auto enriched = test::ReadTopic(bs, topics.enriched, truth.expected_enriched(), seconds(30));
  std::set<std::pair<std::string, uint32_t>> versions;
  voc::v1::EnrichedFeedback e;
  for (const auto& r : enriched) {
    ASSERT_TRUE(e.ParseFromString(r.value));
    versions.emplace(e.feedback_id(), e.revision());
  }
  EXPECT_EQ(versions.size(), truth.expected_enriched());
  ASSERT_TRUE((*pipe)->Stop().ok());
}

}  // namespace
}  // namespace voc
