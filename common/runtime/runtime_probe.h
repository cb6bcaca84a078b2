// The runtime's metrics, built once at start-up and held by reference: counting on the
// hot path is one atomic add.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <map>
#include <optional>
#include <string>
#include <utility>

#include "common/core/types.h"
#include "common/kafka/statistics.h"
#include "common/state/state_store.h"

namespace voc::runtime {

// NOT thread-safe for the lazily added series (topic, reason, partition, broker) and the
// statistics it keeps: the processing thread owns it. Scrapes read the underlying atomics
// safely.
class RuntimeProbe {
 public:
  RuntimeProbe(prometheus::Registry& registry, const std::string& service);

  prometheus::Counter& consumed(const std::string& topic) { return Series(consumed_, consumed_by_topic_, "topic", topic); }
  prometheus::Counter& produced(const std::string& topic) { return Series(produced_, produced_by_topic_, "topic", topic); }
  prometheus::Counter& dead_letters(const std::string& reason) { return Series(dead_letters_, dlq_by_reason_, "reason", reason); }
  // Records of an input or table partition that fell off its log before they were read.
  prometheus::Counter& lost(const TopicPartition& tp);
  // Records behind, and how old in seconds (nullopt: unknown, the series is left out).
  void SetLag(const TopicPartition& tp, int64_t lag, std::optional<double> lag_seconds);
  // A revoked partition's lag is another instance's to report: drop its series.
  void RemoveLag(const TopicPartition& tp);

  // librdkafka's statistics of one client ("consumer" or "producer" in the client label).
  void SetKafkaStatistics(const std::string& client, const kafka::ClientStatistics& stats);
  // RocksDB's properties and the state folder's size; the voc_state_* families are
  // registered at the first call, so a stateless service has none.
  void SetStateProperties(const state::StoreProperties& properties);
  void SetStateDiskBytes(uint64_t bytes);

  prometheus::Counter& batches;
  prometheus::Counter& checkpoints;
  prometheus::Counter& processing_errors;
  prometheus::Counter& produce_resent;
  prometheus::Counter& flush_retries;
  // Broker errors waiting cannot heal (a refused setting, credentials, a missing topic).
  prometheus::Counter& blocked;
  // Restores of partitions from the changelog: records read, time taken, and the
  // partitions rebuilt from their input instead (with the reason in the log).
  prometheus::Counter& restored_records;
  prometheus::Counter& restore_seconds;
  prometheus::Counter& restores;
  prometheus::Counter& restore_fallbacks;
  // While a restore runs: the changelog offsets it has still to read (0 otherwise).
  prometheus::Gauge& restore_remaining;
  prometheus::Histogram& batch_seconds;
  prometheus::Histogram& batch_records;
  // Where the processing thread's time goes: waiting for input, processing, waiting for
  // the broker to acknowledge outputs, committing state and offsets.
  prometheus::Counter& waiting_seconds;
  prometheus::Counter& processing_seconds;
  prometheus::Counter& flushing_seconds;
  prometheus::Counter& committing_seconds;
  prometheus::Gauge& memory_budget_bytes;
  prometheus::Counter& memory_sheds;
  prometheus::Gauge& state_memory_bytes;
  prometheus::Gauge& ready;

 private:
  prometheus::Counter& Series(prometheus::Family<prometheus::Counter>& family,
                              std::map<std::string, prometheus::Counter*>& cache, const char* label,
                              const std::string& value);

  // A counter that follows a cumulative count read from elsewhere (librdkafka's and
  // RocksDB's statistics): each reading adds what it grew by. A reading below the last
  // (the source restarted) adds the reading itself.
  struct FollowingCounter {
    prometheus::Counter* counter = nullptr;
    double last = 0;
    void Follow(double now);
  };

  struct BrokerSeries {
    prometheus::Gauge* up;
    prometheus::Gauge* rtt_avg;
    prometheus::Gauge* rtt_p99;
    prometheus::Gauge* outbuf;
    prometheus::Gauge* waitresp;
    FollowingCounter tx_errors, rx_errors, timeouts, retries;
  };

  struct StateSeries {
    prometheus::Gauge* pending_compaction_bytes;
    prometheus::Gauge* live_sst_bytes;
    prometheus::Gauge* memtable_bytes;
    prometheus::Gauge* write_stopped;
    prometheus::Gauge* delayed_write_rate;
    prometheus::Gauge* disk_bytes;
    FollowingCounter stall_seconds, stops, slowdowns;
  };
  StateSeries& State();

  prometheus::Registry& registry_;
  const std::string service_;
  prometheus::Family<prometheus::Counter>& consumed_;
  prometheus::Family<prometheus::Counter>& produced_;
  prometheus::Family<prometheus::Counter>& dead_letters_;
  prometheus::Family<prometheus::Counter>& lost_;
  prometheus::Family<prometheus::Gauge>& lag_;
  prometheus::Family<prometheus::Gauge>& lag_seconds_;
  std::map<std::string, prometheus::Counter*> consumed_by_topic_;
  std::map<std::string, prometheus::Counter*> produced_by_topic_;
  std::map<std::string, prometheus::Counter*> dlq_by_reason_;
  std::map<TopicPartition, prometheus::Counter*> lost_by_partition_;
  std::map<TopicPartition, prometheus::Gauge*> lag_by_partition_;
  std::map<TopicPartition, prometheus::Gauge*> lag_seconds_by_partition_;
  // By (client, broker name). A broker that leaves the statistics keeps its series, with
  // up 0 and empty queues: the families may be shared with another runner in this
  // process, so series are never removed here.
  std::map<std::pair<std::string, std::string>, BrokerSeries> brokers_;
  std::map<std::string, FollowingCounter> rebalances_by_client_;
  std::map<std::string, prometheus::Gauge*> assigned_by_client_;
  std::map<std::string, prometheus::Gauge*> queued_by_client_;
  std::optional<StateSeries> state_;
};

}  // namespace voc::runtime
