// Set-up shared by the end-to-end tests: a broker with the pipeline's topics, the
// customer table loaded, and the latest aggregate of every window read back.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/kafka/embedded_broker.h"
#include "common/kafka/kafka.h"
#include "common/runtime/pipeline_topics.h"
#include "tests/runtime/test_util.h"
#include "tools/gen/generator.h"
#include "voc/v1/theme.pb.h"

namespace voc::test {

struct E2eBroker {
  std::unique_ptr<kafka::EmbeddedBroker> broker;
  std::string bootstrap;
  runtime::PipelineTopicNames topics;
};

// An embedded broker with every pipeline topic created at `partitions`.
inline E2eBroker StartBroker(int partitions) {
  E2eBroker b;
  auto started = kafka::EmbeddedBroker::Start();
  EXPECT_TRUE(started.ok());
  b.broker = std::move(started).value();
  for (const auto& t : runtime::PipelineTopics(b.topics, partitions)) EXPECT_TRUE(b.broker->CreateTopic(t.name, t.partitions).ok());
  b.bootstrap = b.broker->bootstrap_servers();
  return b;
}

// The generator's customers on the customer table, acknowledged.
inline void ProduceCustomers(kafka::Producer& producer, const gen::Generator& generator, const std::string& topic) {
  for (const auto& c : generator.customers()) {
    EXPECT_TRUE(producer.Produce(topic, c.customer_id(), c.SerializeAsString()).ok());
  }
  EXPECT_TRUE(producer.Flush(std::chrono::seconds(10)).ok());
}

// The last upsert of every window key, as a dashboard holds them.
inline std::map<std::string, voc::v1::ThemeAggregate> LatestAggregates(const std::string& bootstrap,
                                                                      const std::string& topic) {
  std::map<std::string, voc::v1::ThemeAggregate> latest;
  for (const auto& r : ReadTopic(bootstrap, topic, 1, std::chrono::seconds(2))) latest[r.key].ParseFromString(r.value);
  return latest;
}

}  // namespace voc::test
