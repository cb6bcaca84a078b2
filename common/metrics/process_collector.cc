#include "common/metrics/process_collector.h"

#include <prometheus/metric_family.h>

#include "common/metrics/process_metrics.h"

namespace voc::metrics {

ProcessCollector::ProcessCollector(prometheus::Labels labels) {
  for (auto& [name, value] : labels) labels_.push_back({name, value});
}

std::vector<prometheus::MetricFamily> ProcessCollector::Collect() const {
  const ProcessStats s = ReadProcessStats();
  std::vector<prometheus::MetricFamily> out;
  // A reading that failed is left out rather than published as a false value.
  auto add = [&](const char* name, const char* help, prometheus::MetricType type, double value) {
    if (value < 0) return;
    prometheus::MetricFamily family{name, help, type, {}};
    prometheus::ClientMetric metric;
    metric.label = labels_;
    if (type == prometheus::MetricType::Counter) {
      metric.counter.value = value;
    } else {
      metric.gauge.value = value;
    }
    family.metric.push_back(std::move(metric));
    out.push_back(std::move(family));
  };
  using prometheus::MetricType;
  add("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", MetricType::Counter,
      s.cpu_seconds);
  add("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::Gauge, s.resident_bytes);
  add("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::Gauge, s.virtual_bytes);
  add("process_open_fds", "Number of open file descriptors.", MetricType::Gauge, s.open_fds);
  add("process_max_fds", "Maximum number of open file descriptors.", MetricType::Gauge, s.max_fds);
  add("process_start_time_seconds", "Start time of the process since unix epoch in seconds.", MetricType::Gauge,
      s.start_time_seconds);
  add("voc_process_peak_resident_memory_bytes",
      "Highest resident memory size of the process since it started (VmHWM), so a peak between scrapes shows.",
      MetricType::Gauge, s.peak_resident_bytes);
  add("voc_process_resident_memory_bytes",
      "Resident memory size in bytes, read at scrape time; the same reading as process_resident_memory_bytes, "
      "kept for dashboards and alerts written before it.",
      MetricType::Gauge, s.resident_bytes);
  return out;
}

}  // namespace voc::metrics
