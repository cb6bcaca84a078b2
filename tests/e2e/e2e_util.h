// Set-up shared by the end-to-end tests: a broker (embedded, or a real Kafka) with the
// pipeline's topics, the customer table loaded, and the latest aggregate of every window
// read back.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/kafka/embedded_broker.h"
#include "common/kafka/kafka.h"
#include "common/runtime/pipeline_topics.h"
#include "tests/runtime/real_kafka.h"
#include "tests/runtime/test_util.h"
#include "tests/e2e/oracle.h"
#include "tools/gen/generator.h"
#include "voc/v1/enriched.pb.h"
#include "voc/v1/theme.pb.h"

namespace voc::test {

// Which broker an end-to-end test runs on; each runs on both.
enum class BrokerKind { kEmbedded, kReal };

inline std::string BrokerName(const ::testing::TestParamInfo<BrokerKind>& info) {
  return info.param == BrokerKind::kEmbedded ? "EmbeddedBroker" : "RealKafka";
}
inline void PrintTo(BrokerKind kind, std::ostream* os) {
  *os << (kind == BrokerKind::kEmbedded ? "the embedded broker" : "a real Kafka 0.9 broker");
}

struct E2eBroker {
  BrokerKind kind = BrokerKind::kEmbedded;
  std::unique_ptr<kafka::EmbeddedBroker> embedded;
  std::unique_ptr<RealKafka> real;
  kafka::ClientConfig client;  // what every client of this broker needs
  runtime::PipelineTopicNames topics;
};

// A broker with every pipeline topic created at `partitions` (compacted where DESIGN says,
// on the real one). client.bootstrap_servers is empty when it did not start.
inline E2eBroker StartBroker(BrokerKind kind, int partitions) {
  E2eBroker b;
  b.kind = kind;
  const auto topics = runtime::PipelineTopics(b.topics, partitions);
  if (kind == BrokerKind::kEmbedded) {
    auto started = kafka::EmbeddedBroker::Start();
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    if (!started.ok()) return b;
    b.embedded = std::move(started).value();
    for (const auto& t : topics) EXPECT_TRUE(b.embedded->CreateTopic(t.name, t.partitions).ok());
    b.client = {b.embedded->bootstrap_servers()};
  } else {
    auto started = RealKafka::Start();
    EXPECT_TRUE(started.ok()) << started.status().ToString();
    if (!started.ok()) return b;
    b.real = std::move(started).value();
    Status created = b.real->CreateTopics(topics);
    EXPECT_TRUE(created.ok()) << created.ToString();
    if (!created.ok()) return b;
    b.client = b.real->client();
  }
  return b;
}

// The generator's customers on the customer table, acknowledged.
inline void ProduceCustomers(kafka::Producer& producer, const gen::Generator& generator, const std::string& topic) {
  for (const auto& c : generator.customers()) {
    EXPECT_TRUE(producer.Produce(topic, c.customer_id(), c.SerializeAsString()).ok());
  }
  EXPECT_TRUE(producer.Flush(std::chrono::seconds(10)).ok());
}

// A generated stream for the end-to-end tests: a broker with every topic at 4 partitions,
// a generator of `records` records for 250 customers, and a producer that has already put
// those customers on the customer table.
struct E2eStream {
  E2eBroker broker;
  gen::GenOptions options;
  std::unique_ptr<gen::Generator> generator;
  std::unique_ptr<kafka::Producer> producer;
};

inline E2eStream StartStream(BrokerKind kind, uint64_t seed, size_t records,
                             kafka::Properties producer_properties = {}, int partitions = 4) {
  E2eStream s;
  s.broker = StartBroker(kind, partitions);
  if (s.broker.client.bootstrap_servers.empty()) return s;
  s.options.seed = seed;
  s.options.customers = 250;  // a customer's texts fit the near-duplicate index
  s.options.planned_count = records;
  s.generator = std::make_unique<gen::Generator>(s.options);
  auto producer = kafka::Producer::Create({.client = s.broker.client, .properties = std::move(producer_properties)});
  EXPECT_TRUE(producer.ok()) << producer.status().ToString();
  if (producer.ok()) {
    s.producer = std::move(producer).value();
    ProduceCustomers(*s.producer, *s.generator, s.broker.topics.customers);
  }
  return s;
}

// The last upsert of every window key, as a dashboard holds them.
// The versions of feedback the enriched topic holds, as (feedback id, revision): one per
// accepted source version, a redelivery counted once. A revision that only gave a text
// its near-duplicate role is left out: how many there are depends on arrival order.
inline std::set<std::pair<std::string, uint32_t>> EnrichedVersions(const std::vector<ConsumedRecord>& enriched) {
  std::set<std::pair<std::string, uint32_t>> versions;
  voc::v1::EnrichedFeedback e;
  for (const auto& r : enriched) {
    EXPECT_TRUE(e.ParseFromString(r.value)) << "an enriched record does not parse";
    if (!e.role_changed()) versions.emplace(e.feedback_id(), e.revision());
  }
  return versions;
}

inline std::map<std::string, voc::v1::ThemeAggregate> LatestAggregates(const kafka::ClientConfig& cluster,
                                                                      const std::string& topic) {
  std::map<std::string, voc::v1::ThemeAggregate> latest;
  for (const auto& r : ReadTopic(cluster, topic)) latest[r.key].ParseFromString(r.value);
  return latest;
}

// Waits until each stage's group has read all of its input and acknowledged what it wrote
// (in pipeline order, so each stage's input is final when it is checked): after this,
// every topic holds everything the stream will ever put on it, and a read to its end is
// exact. Empty when caught up; otherwise what is behind.
inline std::string AwaitPipelineCaughtUp(const kafka::ClientConfig& cluster, const runtime::PipelineTopicNames& topics,
                                         std::chrono::seconds timeout) {
  const std::vector<std::pair<std::string, std::vector<std::string>>> stages = {
      {"voc-ingest", {topics.raw_tickets, topics.raw_surveys, topics.raw_reviews}},
      {"voc-enrich", {topics.feedback}},
      {"voc-aggregate", {topics.mentions}}};
  for (const auto& [group, inputs] : stages) {
    if (std::string behind = AwaitCaughtUp(cluster, group, inputs, timeout); !behind.empty()) return behind;
  }
  return {};
}

// Waits up to `timeout` for the aggregates on `topic` to equal what the generator's ground
// truth says (hourly and daily windows); returns the windows that still differ.
inline std::vector<std::string> AwaitGroundTruth(const gen::Generator& generator, const kafka::ClientConfig& cluster,
                                                 const std::string& topic, std::chrono::seconds timeout) {
  const auto expected =
      ExpectedAggregates(generator.truth(), generator.customers(), {std::chrono::hours(1), std::chrono::hours(24)});
  std::vector<std::string> diffs;
  WaitFor(
      [&] {
        diffs = CompareAggregates(expected, LatestAggregates(cluster, topic));
        return diffs.empty();
      },
      timeout);
  return diffs;
}

}  // namespace voc::test
