#include "services/aggregate/aggregate_config.h"

namespace voc::aggregate {

AggregateOptions LoadAggregateOptions(config::Config& c) {
  AggregateOptions o;
  o.aggregates_topic = c.String("topics.aggregates", o.aggregates_topic);
  o.window_sizes.clear();
  for (const auto& text : c.List("aggregate.windows", {"1h", "1d"})) {
    std::chrono::milliseconds size{};
    if (!config::ParseDuration(text, &size) || size.count() < 1000) {
      throw config::ConfigError("aggregate.windows entry '" + text + "' must be a duration of at least 1s, e.g. 1h");
    }
    o.window_sizes.push_back(size);
  }
  if (o.window_sizes.empty()) throw config::ConfigError("aggregate.windows must name at least one window size");
  o.allowed_lateness = c.Duration("aggregate.allowed_lateness", o.allowed_lateness);
  o.retention = c.Duration("aggregate.retention", o.retention);
  o.emit_interval = c.Duration("aggregate.emit_interval", o.emit_interval);
  return o;
}

}  // namespace voc::aggregate
