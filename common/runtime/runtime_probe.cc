#include "common/runtime/runtime_probe.h"

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

}  // namespace

RuntimeProbe::RuntimeProbe(prometheus::Registry& r, const std::string& service)
    : batches(BuildCounter().Name("voc_batches_total").Help("Batches processed.").Labels({{"service", service}}).Register(r).Add({})),
      checkpoints(BuildCounter().Name("voc_checkpoints_total").Help("Checkpoints: outputs acknowledged, then state and offsets committed.").Labels({{"service", service}}).Register(r).Add({})),
      processing_errors(BuildCounter().Name("voc_processing_errors_total").Help("Records whose processing threw; each went to the dead letters.").Labels({{"service", service}}).Register(r).Add({})),
      produce_resent(BuildCounter().Name("voc_produce_resent_total").Help("Output records sent again after a retriable delivery failure.").Labels({{"service", service}}).Register(r).Add({})),
      flush_retries(BuildCounter().Name("voc_flush_retries_total").Help("Times a checkpoint's outputs were not all acknowledged in time and the runtime waited again.").Labels({{"service", service}}).Register(r).Add({})),
      blocked(BuildCounter().Name("voc_kafka_blocking_errors_total").Help("Broker errors that waiting cannot heal (a refused setting, rejected credentials, a missing topic), each logged once with the setting to change; /readyz says which.").Labels({{"service", service}}).Register(r).Add({})),
      batch_seconds(BuildHistogram().Name("voc_batch_duration_seconds").Help("Time from the first poll of one batch to its end (and its checkpoint, when it took one).").Labels({{"service", service}}).Register(r).Add({}, prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10})),
      batch_records(BuildHistogram().Name("voc_batch_records").Help("Input records per batch.").Labels({{"service", service}}).Register(r).Add({}, prometheus::Histogram::BucketBoundaries{1, 10, 100, 1000, 10000, 100000})),
      waiting_seconds(PhaseFamily(r, service).Add({{"phase", "wait"}})),
      processing_seconds(PhaseFamily(r, service).Add({{"phase", "process"}})),
      flushing_seconds(PhaseFamily(r, service).Add({{"phase", "flush"}})),
      committing_seconds(PhaseFamily(r, service).Add({{"phase", "commit"}})),
      resident_bytes(BuildGauge().Name("voc_process_resident_memory_bytes").Help("Resident set size of the process.").Labels({{"service", service}}).Register(r).Add({})),
      memory_budget_bytes(BuildGauge().Name("voc_memory_budget_bytes").Help("The configured memory budget; 0 when none.").Labels({{"service", service}}).Register(r).Add({})),
      state_memory_bytes(BuildGauge().Name("voc_state_memory_bytes").Help("Bytes held by the state store's block cache and memtables.").Labels({{"service", service}}).Register(r).Add({})),
      ready(BuildGauge().Name("voc_ready").Help("1 when the service is assigned, restored and serving.").Labels({{"service", service}}).Register(r).Add({})),
      consumed_(BuildCounter().Name("voc_records_consumed_total").Help("Input records read, by topic.").Labels({{"service", service}}).Register(r)),
      produced_(BuildCounter().Name("voc_records_produced_total").Help("Output records acknowledged by the broker, by topic.").Labels({{"service", service}}).Register(r)),
      dead_letters_(BuildCounter().Name("voc_dead_letters_total").Help("Records sent to the dead-letter topic, by reason.").Labels({{"service", service}}).Register(r)),
      lost_(BuildCounter().Name("voc_records_lost_total").Help("Records that fell off the log before this service read them (offset out of range).").Labels({{"service", service}}).Register(r)),
      lag_(BuildGauge().Name("voc_consumer_lag").Help("Records behind the partition's high watermark, from the last fetch.").Labels({{"service", service}}).Register(r)) {}

prometheus::Counter& RuntimeProbe::Series(prometheus::Family<prometheus::Counter>& family,
                                          std::map<std::string, prometheus::Counter*>& cache, const char* label,
                                          const std::string& value) {
  auto it = cache.find(value);
  if (it != cache.end()) return *it->second;
  prometheus::Counter& c = family.Add({{label, value}});
  cache.emplace(value, &c);
  return c;
}

void RuntimeProbe::SetLag(const TopicPartition& tp, int64_t lag) {
  auto it = lag_by_partition_.find(tp);
  if (it == lag_by_partition_.end()) {
    it = lag_by_partition_.emplace(tp, &lag_.Add({{"topic", tp.topic}, {"partition", std::to_string(tp.partition.value)}})).first;
  }
  it->second->Set(static_cast<double>(lag));
}

void RuntimeProbe::RemoveLag(const TopicPartition& tp) {
  auto it = lag_by_partition_.find(tp);
  if (it == lag_by_partition_.end()) return;
  lag_.Remove(it->second);
  lag_by_partition_.erase(it);
}

}  // namespace voc::runtime
