// The embedded broker: librdkafka's mock cluster, a real Kafka wire protocol on
// 127.0.0.1 for the demo, tests and benchmarks. Production uses real Kafka.
#pragma once

#include <memory>
#include <string>

#include "common/core/status.h"

namespace voc::kafka {

// Thread-safe: the cluster runs on its own thread; these calls may come from any thread.
class EmbeddedBroker {
 public:
  virtual ~EmbeddedBroker() = default;
  static Result<std::unique_ptr<EmbeddedBroker>> Start(int broker_count = 1);

  virtual const std::string& bootstrap_servers() const = 0;
  // The broker has no CreateTopics API; topics are made here, up front, with enough
  // partitions for the data (each partition keeps at most 5 MiB).
  virtual Status CreateTopic(const std::string& name, int partitions) = 0;
  // Fault injection for tests.
  virtual Status SetBrokerDown(int broker_id) = 0;
  virtual Status SetBrokerUp(int broker_id) = 0;
};

}  // namespace voc::kafka
