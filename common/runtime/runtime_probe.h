// The runtime's metrics, built once at start-up and held by reference: counting on the
// hot path is one atomic add.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <string>

#include "common/core/types.h"

namespace voc::runtime {

// NOT thread-safe for the lazily added series (topic, reason, partition): the processing
// thread owns it. Scrapes read the underlying atomics safely.
class RuntimeProbe {
 public:
  RuntimeProbe(prometheus::Registry& registry, const std::string& service);

  prometheus::Counter& consumed(const std::string& topic) { return Series(consumed_, consumed_by_topic_, "topic", topic); }
  prometheus::Counter& produced(const std::string& topic) { return Series(produced_, produced_by_topic_, "topic", topic); }
  prometheus::Counter& dead_letters(const std::string& reason) { return Series(dead_letters_, dlq_by_reason_, "reason", reason); }
  prometheus::Counter& lost(const std::string& topic) { return Series(lost_, lost_by_topic_, "topic", topic); }
  void SetLag(const TopicPartition& tp, int64_t lag);
  // A revoked partition's lag is another instance's to report: drop the series.
  void RemoveLag(const TopicPartition& tp);

  prometheus::Counter& batches;
  prometheus::Counter& checkpoints;
  prometheus::Counter& processing_errors;
  prometheus::Counter& produce_resent;
  prometheus::Counter& flush_retries;
  // Broker errors waiting cannot heal (a refused setting, credentials, a missing topic).
  prometheus::Counter& blocked;
  prometheus::Histogram& batch_seconds;
  prometheus::Histogram& batch_records;
  // Where the processing thread's time goes: waiting for input, processing, waiting for
  // the broker to acknowledge outputs, committing state and offsets.
  prometheus::Counter& waiting_seconds;
  prometheus::Counter& processing_seconds;
  prometheus::Counter& flushing_seconds;
  prometheus::Counter& committing_seconds;
  prometheus::Gauge& resident_bytes;
  prometheus::Gauge& memory_budget_bytes;
  prometheus::Gauge& state_memory_bytes;
  prometheus::Gauge& ready;

 private:
  prometheus::Counter& Series(prometheus::Family<prometheus::Counter>& family,
                              std::map<std::string, prometheus::Counter*>& cache, const char* label,
                              const std::string& value);

  prometheus::Family<prometheus::Counter>& consumed_;
  prometheus::Family<prometheus::Counter>& produced_;
  prometheus::Family<prometheus::Counter>& dead_letters_;
  prometheus::Family<prometheus::Counter>& lost_;
  prometheus::Family<prometheus::Gauge>& lag_;
  std::map<std::string, prometheus::Counter*> consumed_by_topic_;
  std::map<std::string, prometheus::Counter*> produced_by_topic_;
  std::map<std::string, prometheus::Counter*> dlq_by_reason_;
  std::map<std::string, prometheus::Counter*> lost_by_topic_;
  std::map<TopicPartition, prometheus::Gauge*> lag_by_partition_;
};

}  // namespace voc::runtime
