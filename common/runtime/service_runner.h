// The processing loop every service shares: poll a batch, process it, hand the outputs
// to the producer, and at each checkpoint (every commit interval), once every output is
// acknowledged, commit the state changes with the next input offset of each partition in
// one WriteBatch, then commit offsets to the group. A crash anywhere replays from the last committed state, and since every stage
// is idempotent by (feedback_id, revision), the replay changes no final result.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/core/status.h"
#include "common/kafka/kafka.h"
#include "common/runtime/processor.h"
#include "common/state/state_store.h"

namespace prometheus {
class Registry;
}

namespace voc::runtime {

struct RuntimeOptions {
  std::string service;  // "voc-ingest", ...: metric label, dead-letter origin
  // Names this instance among its group's members (its clients' client.id, with the host
  // and process): "voc-enrich-2" in a fused pipeline; empty: the service.
  std::string instance;
  kafka::ClientConfig kafka;  // every handle's connection: bootstrap servers, client properties
  std::string group_id;
  std::vector<std::string> input_topics;
  std::string dead_letter_topic = "voc.dlq";
  kafka::Properties consumer_properties;  // after kafka.properties, for the consumer only
  kafka::Properties producer_properties;  // after kafka.properties, for the producer only
  kafka::Properties restore_properties;   // after kafka.properties, for a changelog restore's consumer
  state::StateOptions state;  // path empty for a stateless service; stores come from the Processor
  // The typed stores' caches together (state.cache_mb); entries with unwritten changes stay.
  size_t state_cache_bytes = 128 << 20;
  // Every state change also goes to this compacted topic, partitioned like the input, and a
  // partition assigned without local state is restored from it (state.changelog_topic;
  // empty: no changelog, such a partition is rebuilt from its input).
  std::string changelog_topic;
  size_t batch_max_records = 5000;
  std::chrono::milliseconds batch_max_wait{50};
  // How often the batches since the last checkpoint are checkpointed: outputs flushed,
  // then state and offsets committed. Longer writes state rewritten by a run of batches
  // once and waits for acknowledgements less often; a crash replays up to this much.
  std::chrono::milliseconds commit_interval{1000};
  std::chrono::milliseconds flush_timeout{30'000};
  std::string http_listen;  // "host:port"; empty: no HTTP endpoint (embedded stages)
  uint64_t memory_budget_bytes = 0;  // reported as a gauge beside the resident size
  size_t dead_letter_payload_cap = 512 << 10;
  // Testing kill point: at this checkpoint (counting those with outputs), die (_exit,
  // like kill -9) once its outputs and changelog are acknowledged and before its state
  // and offsets commit, the window where a crash makes redelivery certain and leaves the
  // changelog ahead of the local state. 0: never.
  uint64_t exit_before_commit = 0;
};

class ServiceRunner {
 public:
  virtual ~ServiceRunner() = default;
  static Result<std::unique_ptr<ServiceRunner>> Create(RuntimeOptions options, std::unique_ptr<Processor> processor,
                                                       std::shared_ptr<prometheus::Registry> registry);
  // Runs until stop is set, then finishes the batch in hand, flushes, checkpoints and
  // leaves the group. An error means the batch in hand was not committed.
  virtual Status Run(const std::atomic<bool>& stop) = 0;
  virtual int http_port() const = 0;
  virtual Processor& processor() = 0;
  // The state store, for tests and tools reading committed state; nullptr when stateless.
  virtual state::StateStore* state() = 0;
};

}  // namespace voc::runtime
