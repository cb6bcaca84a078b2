#include "common/metrics/metric_value.h"

#include <prometheus/registry.h>

#include <algorithm>

namespace voc::metrics {

double MetricValue(prometheus::Registry& registry, const std::string& name,
                   const std::map<std::string, std::string>& labels) {
  double sum = -1;
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    sum = 0;
    for (const auto& metric : family.metric) {
      const bool match = std::all_of(labels.begin(), labels.end(), [&](const auto& want) {
        return std::any_of(metric.label.begin(), metric.label.end(),
                           [&](const auto& l) { return l.name == want.first && l.value == want.second; });
      });
      if (match) sum += metric.counter.value + metric.gauge.value;
    }
  }
  return sum;
}

}  // namespace voc::metrics
