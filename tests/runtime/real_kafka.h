// A real Apache Kafka broker (0.9.0.1) and its ZooKeeper, started by
// scripts/kafka-broker.sh under a temporary folder: the tests that run on it as well as on
// the embedded broker prove that nothing depends on the mock's quirks.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/core/status.h"
#include "common/kafka/kafka.h"
#include "common/runtime/pipeline_topics.h"
#include "tests/runtime/test_util.h"

namespace voc::test {

// NOT thread-safe; stops the broker and removes its data on destruction.
class RealKafka {
 public:
  // The two properties every client of a 0.9 broker needs: it has no ApiVersions request.
  static kafka::Properties ClientProperties() {
    return {{"api.version.request", "false"}, {"broker.version.fallback", "0.9.0.1"}};
  }

  // Starts ZooKeeper and Kafka; a failure says what to install or look at.
  static Result<std::unique_ptr<RealKafka>> Start();
  ~RealKafka();
  RealKafka(const RealKafka&) = delete;
  RealKafka& operator=(const RealKafka&) = delete;

  // Creates the topics with Kafka's own kafka-topics.sh (compacted where the spec says).
  Status CreateTopics(const std::vector<runtime::TopicSpec>& topics);
  // Bootstrap address and ClientProperties().
  const kafka::ClientConfig& client() const { return client_; }
  const std::string& dir() const { return dir_.path(); }

 private:
  RealKafka() = default;

  TempDir dir_;
  kafka::ClientConfig client_;
};

}  // namespace voc::test
