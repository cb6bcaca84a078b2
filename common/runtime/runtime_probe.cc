#include "common/runtime/runtime_probe.h"

#include <set>
#include <utility>

#include "common/metrics/build_info.h"

namespace voc::runtime {
namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;

// Registering the same family again returns the one already there.
prometheus::Family<prometheus::Counter>& PhaseFamily(prometheus::Registry& r, const std::string& service) {
  return BuildCounter()
      .Name("voc_loop_seconds_total")
      .Help("Seconds the processing loop spent per phase: wait (for input), process, flush (for acknowledgements), commit.")
      .Labels({{"service", service}})
      .Register(r);
}

prometheus::Family<prometheus::Gauge>& GaugeFamily(prometheus::Registry& r, const std::string& service,
                                                   const char* name, const char* help) {
  return BuildGauge().Name(name).Help(help).Labels({{"service", service}}).Register(r);
}

prometheus::Family<prometheus::Counter>& CounterFamily(prometheus::Registry& r, const std::string& service,
                                                       const char* name, const char* help) {
  return BuildCounter().Name(name).Help(help).Labels({{"service", service}}).Register(r);
}

prometheus::Gauge& BuildInfo(prometheus::Registry& r, const std::string& service) {
  prometheus::Gauge& g =
      GaugeFamily(r, service, "voc_build_info",
                  "Always 1; the labels say what runs: version (the project's), revision (git describe of the source).")
          .Add({{"version", std::string(metrics::BuildVersion())}, {"revision", std::string(metrics::BuildRevision())}});
  g.Set(1);
  return g;
}

}  // namespace

RuntimeProbe::RuntimeProbe(prometheus::Registry& r, const std::string& service)
    : batches(BuildCounter().Name("voc_batches_total").Help("Batches processed.").Labels({{"service", service}}).Register(r).Add({})),
      checkpoints(BuildCounter().Name("voc_checkpoints_total").Help("Checkpoints: outputs acknowledged, then state and offsets committed.").Labels({{"service", service}}).Register(r).Add({})),
      processing_errors(BuildCounter().Name("voc_processing_errors_total").Help("Records whose processing threw; each went to the dead letters.").Labels({{"service", service}}).Register(r).Add({})),
      produce_resent(BuildCounter().Name("voc_produce_resent_total").Help("Output records sent again after a retriable delivery failure.").Labels({{"service", service}}).Register(r).Add({})),
      flush_retries(BuildCounter().Name("voc_flush_retries_total").Help("Times a checkpoint's outputs were not all acknowledged in time and the runtime waited again.").Labels({{"service", service}}).Register(r).Add({})),
      blocked(BuildCounter().Name("voc_kafka_blocking_errors_total").Help("Broker errors that waiting cannot heal (a refused setting, rejected credentials, a missing topic), each logged once with the setting to change; /readyz says which.").Labels({{"service", service}}).Register(r).Add({})),
      restored_records(BuildCounter().Name("voc_state_restored_records_total").Help("Changelog records read to restore partitions assigned without local state.").Labels({{"service", service}}).Register(r).Add({})),
      restore_seconds(BuildCounter().Name("voc_state_restore_seconds_total").Help("Time spent restoring partitions from the changelog.").Labels({{"service", service}}).Register(r).Add({})),
      restores(BuildCounter().Name("voc_state_restores_total").Help("Partitions restored from the changelog.").Labels({{"service", service}}).Register(r).Add({})),
      restore_fallbacks(BuildCounter().Name("voc_state_restore_fallbacks_total").Help("Partitions the changelog could not restore exactly (it lost its beginning, or a compaction took a key of an unfinished checkpoint): rebuilt from their input instead, logged as an error.").Labels({{"service", service}}).Register(r).Add({})),
      restore_remaining(BuildGauge().Name("voc_state_restore_remaining_records").Help("While a partition is restored: the changelog records (offsets: an upper bound where compaction left gaps) it has still to read to reach its last checkpoint; 0 when no restore runs.").Labels({{"service", service}}).Register(r).Add({})),
      batch_seconds(BuildHistogram().Name("voc_batch_duration_seconds").Help("Time from the first poll of one batch to its end (and its checkpoint, when it took one).").Labels({{"service", service}}).Register(r).Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})),
      batch_records(BuildHistogram().Name("voc_batch_records").Help("Input records per batch.").Labels({{"service", service}}).Register(r).Add({}, prometheus::Histogram::BucketBoundaries{1, 10, 100, 1000, 10000, 100000})),
      waiting_seconds(PhaseFamily(r, service).Add({{"phase", "wait"}})),
      processing_seconds(PhaseFamily(r, service).Add({{"phase", "process"}})),
      flushing_seconds(PhaseFamily(r, service).Add({{"phase", "flush"}})),
      committing_seconds(PhaseFamily(r, service).Add({{"phase", "commit"}})),
      memory_budget_bytes(BuildGauge().Name("voc_memory_budget_bytes").Help("The configured memory budget; 0 when none.").Labels({{"service", service}}).Register(r).Add({})),
      memory_sheds(BuildCounter().Name("voc_memory_sheds_total").Help("Times the resident size neared the memory budget and the state caches were shed.").Labels({{"service", service}}).Register(r).Add({})),
      state_memory_bytes(BuildGauge().Name("voc_state_memory_bytes").Help("Bytes held by the state store's block cache and memtables.").Labels({{"service", service}}).Register(r).Add({})),
      ready(BuildGauge().Name("voc_ready").Help("1 when the service is assigned, restored and serving.").Labels({{"service", service}}).Register(r).Add({})),
      registry_(r),
      service_(service),
      consumed_(BuildCounter().Name("voc_records_consumed_total").Help("Input records read, by topic.").Labels({{"service", service}}).Register(r)),
      produced_(BuildCounter().Name("voc_records_produced_total").Help("Output records acknowledged by the broker, by topic.").Labels({{"service", service}}).Register(r)),
      dead_letters_(BuildCounter().Name("voc_dead_letters_total").Help("Records sent to the dead-letter topic, by reason.").Labels({{"service", service}}).Register(r)),
      lost_(BuildCounter().Name("voc_records_lost_total").Help("Records that fell off the log before this service read them (offset out of range), by the topic and partition of an input or a table.").Labels({{"service", service}}).Register(r)),
      lag_(BuildGauge().Name("voc_consumer_lag").Help("Records behind the partition's high watermark, from the last fetch.").Labels({{"service", service}}).Register(r)),
      lag_seconds_(BuildGauge().Name("voc_consumer_lag_seconds").Help("How far behind the partition is in time: while records remain unread (voc_consumer_lag > 0), the age of the last record read, by its broker timestamp (create or log-append time, as the topic says); 0 when caught up. An upper bound on the age of the oldest unread record. Absent where records carry no timestamp (brokers before Kafka 0.10) and while nothing was read since the partition was assigned.").Labels({{"service", service}}).Register(r)) {
  BuildInfo(r, service);
}

prometheus::Counter& RuntimeProbe::Series(prometheus::Family<prometheus::Counter>& family,
                                          std::map<std::string, prometheus::Counter*>& cache, const char* label,
                                          const std::string& value) {
  auto it = cache.find(value);
  if (it != cache.end()) return *it->second;
  prometheus::Counter& c = family.Add({{label, value}});
  cache.emplace(value, &c);
  return c;
}

prometheus::Counter& RuntimeProbe::lost(const TopicPartition& tp) {
  auto it = lost_by_partition_.find(tp);
  if (it == lost_by_partition_.end()) {
    prometheus::Counter& c = lost_.Add({{"topic", tp.topic}, {"partition", std::to_string(tp.partition.value)}});
    it = lost_by_partition_.emplace(tp, &c).first;
  }
  return *it->second;
}

void RuntimeProbe::SetLag(const TopicPartition& tp, int64_t lag, std::optional<double> lag_seconds) {
  auto labels = [&tp] {
    return prometheus::Labels{{"topic", tp.topic}, {"partition", std::to_string(tp.partition.value)}};
  };
  auto it = lag_by_partition_.find(tp);
  if (it == lag_by_partition_.end()) it = lag_by_partition_.emplace(tp, &lag_.Add(labels())).first;
  it->second->Set(static_cast<double>(lag));
  auto seconds = lag_seconds_by_partition_.find(tp);
  if (lag_seconds) {
    if (seconds == lag_seconds_by_partition_.end()) {
      seconds = lag_seconds_by_partition_.emplace(tp, &lag_seconds_.Add(labels())).first;
    }
    seconds->second->Set(*lag_seconds);
  } else if (seconds != lag_seconds_by_partition_.end()) {
    lag_seconds_.Remove(seconds->second);
    lag_seconds_by_partition_.erase(seconds);
  }
}

void RuntimeProbe::RemoveLag(const TopicPartition& tp) {
  if (auto it = lag_by_partition_.find(tp); it != lag_by_partition_.end()) {
    lag_.Remove(it->second);
    lag_by_partition_.erase(it);
  }
  if (auto it = lag_seconds_by_partition_.find(tp); it != lag_seconds_by_partition_.end()) {
    lag_seconds_.Remove(it->second);
    lag_seconds_by_partition_.erase(it);
  }
}

void RuntimeProbe::FollowingCounter::Follow(double now) {
  if (now > last) {
    counter->Increment(now - last);
  } else if (now < last) {
    counter->Increment(now);
  }
  last = now;
}

void RuntimeProbe::SetKafkaStatistics(const std::string& client, const kafka::ClientStatistics& stats) {
  auto& r = registry_;
  const auto& sv = service_;
  std::set<std::string> seen;
  for (const auto& b : stats.brokers) {
    seen.insert(b.name);
    auto key = std::make_pair(client, b.name);
    auto it = brokers_.find(key);
    if (it == brokers_.end()) {
      const prometheus::Labels labels{{"client", client}, {"broker", b.name}};
      auto with = [&labels](const char* k, const char* v) {
        prometheus::Labels l = labels;
        l.emplace(k, v);
        return l;
      };
      auto& errors = CounterFamily(r, sv, "voc_kafka_broker_errors_total",
                                   "Errors talking to a broker since the client started, from librdkafka's statistics: "
                                   "kind tx (sending), rx (receiving), timeout (requests that timed out).");
      BrokerSeries series{
          .up = &GaugeFamily(r, sv, "voc_kafka_broker_up",
                             "1 while the client's connection to the broker is up (librdkafka state UP), else 0.")
                     .Add(labels),
          .rtt_avg = &GaugeFamily(r, sv, "voc_kafka_broker_rtt_avg_seconds",
                                  "Mean round-trip time of requests to the broker over the last statistics interval "
                                  "(statistics.interval.ms); kept from the last interval that had requests.")
                          .Add(labels),
          .rtt_p99 = &GaugeFamily(r, sv, "voc_kafka_broker_rtt_p99_seconds",
                                  "99th percentile round-trip time of requests to the broker over the last statistics "
                                  "interval; kept from the last interval that had requests.")
                          .Add(labels),
          .outbuf = &GaugeFamily(r, sv, "voc_kafka_broker_outbuf_requests",
                                 "Requests waiting to be sent to the broker (librdkafka outbuf_cnt).")
                         .Add(labels),
          .waitresp = &GaugeFamily(r, sv, "voc_kafka_broker_waitresp_requests",
                                   "Requests sent to the broker and not yet answered (librdkafka waitresp_cnt).")
                           .Add(labels),
          .tx_errors = {&errors.Add(with("kind", "tx"))},
          .rx_errors = {&errors.Add(with("kind", "rx"))},
          .timeouts = {&errors.Add(with("kind", "timeout"))},
          .retries = {&CounterFamily(r, sv, "voc_kafka_broker_retries_total",
                                     "Requests to the broker sent again since the client started (librdkafka txretries).")
                           .Add(labels)},
      };
      it = brokers_.emplace(std::move(key), series).first;
    }
    BrokerSeries& s = it->second;
    s.up->Set(b.up ? 1 : 0);
    if (b.rtt_samples > 0) {
      s.rtt_avg->Set(b.rtt_avg_seconds);
      s.rtt_p99->Set(b.rtt_p99_seconds);
    }
    s.outbuf->Set(static_cast<double>(b.outbuf_requests));
    s.waitresp->Set(static_cast<double>(b.waitresp_requests));
    s.tx_errors.Follow(static_cast<double>(b.tx_errors));
    s.rx_errors.Follow(static_cast<double>(b.rx_errors));
    s.timeouts.Follow(static_cast<double>(b.request_timeouts));
    s.retries.Follow(static_cast<double>(b.tx_retries));
  }
  // A broker this client no longer knows (it left the cluster) is not up, and has nothing queued.
  for (auto& [key, s] : brokers_) {
    if (key.first != client || seen.contains(key.second)) continue;
    s.up->Set(0);
    s.outbuf->Set(0);
    s.waitresp->Set(0);
  }

  if (stats.rebalances) {
    auto it = rebalances_by_client_.find(client);
    if (it == rebalances_by_client_.end()) {
      auto& family = CounterFamily(r, sv, "voc_kafka_rebalances_total",
                                   "Consumer group rebalances (assignments and revocations) this instance took part in "
                                   "since its consumer started (librdkafka cgrp.rebalance_cnt).");
      it = rebalances_by_client_.emplace(client, FollowingCounter{&family.Add({{"client", client}})}).first;
    }
    it->second.Follow(static_cast<double>(*stats.rebalances));
  }
  if (stats.assigned_partitions) {
    auto it = assigned_by_client_.find(client);
    if (it == assigned_by_client_.end()) {
      auto& family = GaugeFamily(r, sv, "voc_kafka_assigned_partitions",
                                 "Partitions the consumer group has assigned to this instance (librdkafka "
                                 "cgrp.assignment_size).");
      it = assigned_by_client_.emplace(client, &family.Add({{"client", client}})).first;
    }
    it->second->Set(static_cast<double>(*stats.assigned_partitions));
  }
  if (stats.type == "producer") {
    auto it = queued_by_client_.find(client);
    if (it == queued_by_client_.end()) {
      auto& family = GaugeFamily(r, sv, "voc_kafka_producer_queue_messages",
                                 "Output records handed to the producer and not yet acknowledged by the broker "
                                 "(librdkafka msg_cnt).");
      it = queued_by_client_.emplace(client, &family.Add({{"client", client}})).first;
    }
    it->second->Set(static_cast<double>(stats.queued_messages));
  }
}

RuntimeProbe::StateSeries& RuntimeProbe::State() {
  if (state_) return *state_;
  auto& r = registry_;
  const auto& sv = service_;
  auto& stalls = CounterFamily(r, sv, "voc_state_write_stalls_total",
                               "RocksDB write stalls since the state store opened: kind stop (writes stopped until "
                               "compaction caught up) or slowdown (writes slowed).");
  state_ = StateSeries{
      .pending_compaction_bytes =
          &GaugeFamily(r, sv, "voc_state_pending_compaction_bytes",
                       "Bytes RocksDB estimates compaction must rewrite to bring every level under its target "
                       "(rocksdb.estimate-pending-compaction-bytes); writes slow, then stop, as it grows.")
               .Add({}),
      .live_sst_bytes = &GaugeFamily(r, sv, "voc_state_live_sst_bytes",
                                     "Bytes of the state store's live SST files (rocksdb.live-sst-files-size).")
                             .Add({}),
      .memtable_bytes = &GaugeFamily(r, sv, "voc_state_memtable_bytes",
                                     "Bytes of the state store's memtables, active and unflushed "
                                     "(rocksdb.cur-size-all-mem-tables).")
                             .Add({}),
      .write_stopped = &GaugeFamily(r, sv, "voc_state_write_stopped",
                                    "1 while RocksDB stops writes until compaction catches up (rocksdb.is-write-stopped): "
                                    "checkpoints wait.")
                            .Add({}),
      .delayed_write_rate = &GaugeFamily(r, sv, "voc_state_delayed_write_rate_bytes",
                                         "Bytes per second RocksDB lets writes through while it slows them "
                                         "(rocksdb.actual-delayed-write-rate); 0 when writes are not slowed.")
                                 .Add({}),
      .disk_bytes = &GaugeFamily(r, sv, "voc_state_disk_bytes",
                                 "Bytes the state folder takes on disk (allocated blocks of every file: SST files, "
                                 "write-ahead log, manifest), measured every few seconds.")
                         .Add({}),
      .stall_seconds = {&CounterFamily(r, sv, "voc_state_write_stall_seconds_total",
                                       "Seconds writes to the state store were held by RocksDB's write stalls since it "
                                       "opened (rocksdb.dbstats db.user_write_stall_micros).")
                             .Add({})},
      .stops = {&stalls.Add({{"kind", "stop"}})},
      .slowdowns = {&stalls.Add({{"kind", "slowdown"}})},
  };
  return *state_;
}

void RuntimeProbe::SetStateProperties(const state::StoreProperties& p) {
  StateSeries& s = State();
  s.pending_compaction_bytes->Set(static_cast<double>(p.pending_compaction_bytes));
  s.live_sst_bytes->Set(static_cast<double>(p.live_sst_bytes));
  s.memtable_bytes->Set(static_cast<double>(p.memtable_bytes));
  s.write_stopped->Set(p.write_stopped ? 1 : 0);
  s.delayed_write_rate->Set(static_cast<double>(p.delayed_write_rate));
  s.stall_seconds.Follow(static_cast<double>(p.write_stall_micros) / 1e6);
  s.stops.Follow(static_cast<double>(p.write_stops));
  s.slowdowns.Follow(static_cast<double>(p.write_slowdowns));
}

void RuntimeProbe::SetStateDiskBytes(uint64_t bytes) { State().disk_bytes->Set(static_cast<double>(bytes)); }

}  // namespace voc::runtime
