// The whole pipeline, uninterrupted, on the embedded broker and on a real Kafka broker:
// every generated record is accounted for exactly, and the aggregates equal the ground
// truth.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
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
using test::BrokerKind;

class Pipeline : public ::testing::TestWithParam<BrokerKind> {};

INSTANTIATE_TEST_SUITE_P(Brokers, Pipeline, ::testing::Values(BrokerKind::kEmbedded, BrokerKind::kReal),
                         test::BrokerName);

// The fused pipeline's options for the stream's broker: a real one's client properties,
// or what groups on the embedded broker need.
pipeline::EmbeddedPipelineOptions PipelineOptions(const test::E2eStream& stream, const std::string& state_root) {
  pipeline::EmbeddedPipelineOptions po;
  po.bootstrap_servers = stream.broker.client.bootstrap_servers;
  po.client_properties = stream.broker.client.properties;
  if (stream.broker.kind == BrokerKind::kEmbedded) {
    for (const auto& [key, value] : kafka::EmbeddedBroker::GroupConsumerProperties()) po.consumer_properties[key] = value;
  }
  po.state_root = state_root;
  po.aggregate.emit_interval = std::chrono::milliseconds(200);
  return po;
}

TEST_P(Pipeline, AccountsForEveryRecordAndMatchesGroundTruth) {
  test::TempDir dir;
  auto stream = test::StartStream(GetParam(), 7, 3000);
  ASSERT_TRUE(stream.producer);
  const kafka::ClientConfig& bs = stream.broker.client;
  const auto& topics = stream.broker.topics;
  auto& generator = *stream.generator;
  size_t pii_in_input = 0;
  for (size_t i = 0; i < stream.options.planned_count; ++i) {
    auto r = generator.Next();
    pii_in_input += r.value.find("@example.com") != std::string::npos;
    ASSERT_TRUE(stream.producer->Produce(r.topic, r.key, r.value).ok());
  }
  ASSERT_TRUE(stream.producer->Flush(seconds(30)).ok());
  const auto& truth = generator.truth();
  ASSERT_GT(truth.exact_duplicates, 0u);
  ASSERT_GT(truth.revisions, 0u);
  ASSERT_GT(truth.stale, 0u);
  ASSERT_GT(truth.malformed, 0u);
  ASSERT_GT(pii_in_input, 0u);

  auto pipe = pipeline::EmbeddedPipeline::Start(PipelineOptions(stream, dir.path()));
  ASSERT_TRUE(pipe.ok()) << pipe.status().ToString();

  const auto diffs = test::AwaitGroundTruth(generator, bs, topics.aggregates, seconds(120));
  ASSERT_TRUE(diffs.empty()) << diffs.size() << " window(s) differ, first: " << diffs.front();
  const std::string behind = test::AwaitPipelineCaughtUp(bs, topics, seconds(60));
  ASSERT_EQ(behind, "");

  // Every record: an enriched output, a counted duplicate or stale revision, or a dead letter.
  auto enriched = test::ReadTopic(bs, topics.enriched);
  const auto versions = test::EnrichedVersions(enriched);
  size_t role_changes = 0;
  size_t with_source_time = 0;
  voc::v1::EnrichedFeedback e;
  for (const auto& r : enriched) {
    ASSERT_TRUE(e.ParseFromString(r.value));
    role_changes += e.role_changed();
    with_source_time += e.meta().has_source_timestamp_ms();
  }
  EXPECT_EQ(enriched.size() - role_changes, truth.expected_enriched());
  EXPECT_EQ(versions.size(), truth.expected_enriched());
  // A broker without record timestamps (Kafka 0.9) leaves the source time unknown, not 0.
  EXPECT_EQ(with_source_time, GetParam() == BrokerKind::kEmbedded ? enriched.size() : 0u);
  auto& enrich_metrics = (*pipe)->registry(pipeline::Stage::kEnrich);
  EXPECT_EQ(test::MetricValue(enrich_metrics, "voc_enrich_decisions_total", {{"decision", "exact_duplicate"}}),
            static_cast<double>(truth.exact_duplicates));
  EXPECT_EQ(test::MetricValue(enrich_metrics, "voc_enrich_decisions_total", {{"decision", "stale_revision"}}),
            static_cast<double>(truth.stale));
  auto dead = test::ReadTopic(bs, topics.dlq);
  std::map<std::string, size_t> reasons;
  voc::v1::DeadLetter d;
  for (const auto& r : dead) {
    ASSERT_TRUE(d.ParseFromString(r.value));
    reasons[d.reason()]++;
  }
  EXPECT_EQ(reasons, truth.dead_letters_by_reason);
  EXPECT_EQ(truth.records, enriched.size() - role_changes + truth.exact_duplicates + truth.stale + dead.size());

  // Invariant 4: no raw email address left voc-enrich, whichever topic carries it.
  for (const auto& topic : {topics.enriched, topics.mentions, topics.aggregates, topics.alerts}) {
    for (const auto& r : test::ReadTopic(bs, topic)) {
      EXPECT_EQ(r.value.find("@example.com"), std::string::npos) << "PII on " << topic;
    }
  }
  ASSERT_TRUE((*pipe)->Stop().ok());
}

// Starts the fused pipeline with `instances` of each stage (ingest, enrich, aggregate) in
// their groups, as that many processes would be, while the stream flows: half of it is
// produced before they start, the rest, paced, while they join and settle.
Result<std::unique_ptr<pipeline::EmbeddedPipeline>> StartWhileTheStreamFlows(test::E2eStream& stream,
                                                                              const std::string& state_root,
                                                                              std::array<int, 3> instances) {
  auto& generator = *stream.generator;
  auto& producer = *stream.producer;
  const size_t records = stream.options.planned_count;
  const auto produce = [&](size_t from, size_t to, bool paced) {
    for (size_t i = from; i < to; ++i) {
      auto r = generator.Next();
      if (Status s = producer.Produce(r.topic, r.key, r.value); !s.ok()) return s;
      if (paced && i % 100 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return producer.Flush(seconds(30));
  };
  VOC_RETURN_IF_ERROR(produce(0, records / 2, false));
  auto po = PipelineOptions(stream, state_root);
  po.instances = instances;
  auto pipe = pipeline::EmbeddedPipeline::Start(std::move(po));
  if (!pipe.ok()) return pipe.status();
  VOC_RETURN_IF_ERROR(produce(records / 2, records, true));
  return pipe;
}

// Two instances of each stateful stage share its group, as two processes would: whatever
// the group's assignments and rebalances do while the stream flows (a partition that moves
// takes its state along through the changelog), no (id, revision) is lost and the
// aggregates equal the ground truth.
TEST_P(Pipeline, TwoInstancesOfEachStatefulStageMatchGroundTruth) {
  test::TempDir dir;
  auto stream = test::StartStream(GetParam(), 11, 2000);
  ASSERT_TRUE(stream.producer);
  const kafka::ClientConfig& bs = stream.broker.client;
  const auto& topics = stream.broker.topics;
  auto pipe = StartWhileTheStreamFlows(stream, dir.path(), {1, 2, 2});
  ASSERT_TRUE(pipe.ok()) << pipe.status().ToString();

  const auto diffs = test::AwaitGroundTruth(*stream.generator, bs, topics.aggregates, seconds(120));
  ASSERT_TRUE(diffs.empty()) << diffs.size() << " window(s) differ, first: " << diffs.front();
  const std::string behind = test::AwaitPipelineCaughtUp(bs, topics, seconds(60));
  ASSERT_EQ(behind, "");

  // Records a moved partition's new owner reads again after the last checkpoint are
  // enriched twice (at least once); none is missing.
  EXPECT_EQ(test::EnrichedVersions(test::ReadTopic(bs, topics.enriched)).size(),
            stream.generator->truth().expected_enriched());
  ASSERT_TRUE((*pipe)->Stop().ok());
  // Both instances of each stateful stage ran, each with its own store.
  for (const char* stage : {"voc-enrich", "voc-aggregate"}) {
    for (const char* instance : {"instance-0", "instance-1"}) {
      EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(dir.path()) / stage / instance / "CURRENT"))
          << stage << "/" << instance << " has no state store";
    }
  }
}

// Sixteen instances of every stage: every instance joins and takes partitions (restoring
// what another instance held before it), the groups settle, and the pipeline drains to the
// ground truth.
TEST_P(Pipeline, SixteenInstancesOfEveryStageDrainAndMatchGroundTruth) {
  test::TempDir dir;
  auto stream = test::StartStream(GetParam(), 13, 1600, {}, 16);
  ASSERT_TRUE(stream.producer);
  const kafka::ClientConfig& bs = stream.broker.client;
  const auto& topics = stream.broker.topics;
  auto pipe = StartWhileTheStreamFlows(stream, dir.path(), {16, 16, 16});
  ASSERT_TRUE(pipe.ok()) << pipe.status().ToString();

  const auto diffs = test::AwaitGroundTruth(*stream.generator, bs, topics.aggregates, seconds(180));
  ASSERT_TRUE(diffs.empty()) << diffs.size() << " window(s) differ, first: " << diffs.front();
  EXPECT_EQ(test::AwaitPipelineCaughtUp(bs, topics, seconds(60)), "");
  ASSERT_TRUE((*pipe)->Stop().ok());
}

}  // namespace
}  // namespace voc
