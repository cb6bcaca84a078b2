// Prometheus' standard process metrics (process_cpu_seconds_total,
// process_resident_memory_bytes, process_virtual_memory_bytes, process_open_fds,
// process_max_fds, process_start_time_seconds), read from /proc when scraped, so a
// scrape sees the value of that moment rather than one refreshed on a timer; plus
// voc_process_peak_resident_memory_bytes, which keeps a peak that falls between scrapes.
#pragma once

#include <prometheus/client_metric.h>
#include <prometheus/collectable.h>
#include <prometheus/labels.h>

#include <vector>

namespace voc::metrics {

// Thread-safe: Collect reads /proc and holds no state but its labels.
class ProcessCollector final : public prometheus::Collectable {
 public:
  // labels: put on every series (the runtime's `service`).
  explicit ProcessCollector(prometheus::Labels labels);
  std::vector<prometheus::MetricFamily> Collect() const override;

 private:
  std::vector<prometheus::ClientMetric::Label> labels_;
};

}  // namespace voc::metrics
