// The embedded broker: librdkafka's mock cluster, a real Kafka wire protocol on
// 127.0.0.1 for the demo, tests and benchmarks. Production uses real Kafka.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "common/core/status.h"
#include "common/kafka/kafka.h"

namespace voc::kafka {

// Thread-safe: the cluster runs on its own thread; these calls may come from any thread.
class EmbeddedBroker {
 public:
  virtual ~EmbeddedBroker() = default;
  static Result<std::unique_ptr<EmbeddedBroker>> Start(int broker_count = 1);

  // What a consumer group on this broker needs besides the runtime's defaults: the eager
  // range assignor. librdkafka 2.0.2's mock coordinator loses what cooperative members
  // own between rebalances, so with more than a few members per group partitions move at
  // every rebalance and the group never settles (16 members: for minutes). Real brokers
  // keep cooperative-sticky, which the real-broker tests exercise.
  static Properties GroupConsumerProperties() { return {{"partition.assignment.strategy", "range"}}; }

  virtual const std::string& bootstrap_servers() const = 0;
  // The broker has no CreateTopics API; topics are made here, up front, with enough
  // partitions for the data (each partition keeps at most 5 MiB).
  virtual Status CreateTopic(const std::string& name, int partitions) = 0;
  // Fault injection for tests.
  virtual Status SetBrokerDown(int broker_id) = 0;
  virtual Status SetBrokerUp(int broker_id) = 0;
  // Holds back each of the broker's next `count` responses to requests of the Kafka API
  // numbered `api_key` (14: SyncGroup) by `delay`; PendingDelays says how many of those
  // requests have not arrived yet.
  virtual Status DelayResponses(int broker_id, int16_t api_key, size_t count, std::chrono::milliseconds delay) = 0;
  virtual Result<size_t> PendingDelays(int broker_id, int16_t api_key) = 0;
};

}  // namespace voc::kafka
