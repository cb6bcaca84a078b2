#include "services/aggregate/aggregate_config.h"

#include <algorithm>

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
  // A customer's spans within one window of the largest size are one entry (SpanGroup).
  if (!NestedWindowSizes(o.window_sizes)) {
    throw config::ConfigError(
        "aggregate.windows: each window size must divide the largest (e.g. 1h, 1d or 15m, 1h, 1d), so that every "
        "window lies within one window of the largest size");
  }
  auto sorted = o.window_sizes;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
    throw config::ConfigError("aggregate.windows names a window size twice: list each once");
  }
  o.allowed_lateness = c.Duration("aggregate.allowed_lateness", o.allowed_lateness);
  o.retention = c.Duration("aggregate.retention", o.retention);
  o.emit_interval = c.Duration("aggregate.emit_interval", o.emit_interval);
  for (auto [rollup, name] : {std::pair{Rollup::kSegment, "segment"}, std::pair{Rollup::kAppVersion, "app_version"}}) {
    auto& cap = o.rollup_max_values[static_cast<size_t>(rollup)];
    std::string key = "aggregate.rollups.";
    key += name;
    key += ".max_values";
    cap = static_cast<size_t>(c.Int(key, static_cast<int64_t>(cap), 0, 1000));
  }
  o.insights.alerts_topic = c.String("topics.alerts", o.insights.alerts_topic);
  auto& in = o.insights;
  in.enabled = c.Bool("aggregate.insights.enabled", in.enabled);
  in.segment_spikes = c.Bool("aggregate.insights.segment_spikes", in.segment_spikes);
  in.sensitivity.z_threshold = c.Double("aggregate.insights.z_threshold", in.sensitivity.z_threshold, 1.0, 20.0);
  in.sensitivity.min_count = c.Int("aggregate.insights.min_count", in.sensitivity.min_count, 1, 1'000'000);
  in.sensitivity.min_scored = c.Int("aggregate.insights.min_scored", in.sensitivity.min_scored, 1, 1'000'000);
  in.sensitivity.min_volume_ratio =
      c.Double("aggregate.insights.min_volume_ratio", in.sensitivity.min_volume_ratio, 1.0, 100.0);
  const auto history = c.Duration("aggregate.insights.min_history",
                                  std::chrono::hours(static_cast<int64_t>(in.sensitivity.min_history_windows)));
  in.sensitivity.min_history_windows = static_cast<uint64_t>(history.count() / insight::kHourMs);
  in.lifecycle.resolve_after_closed_windows = static_cast<uint32_t>(c.Int(
      "aggregate.insights.resolve_after", in.lifecycle.resolve_after_closed_windows, 1, 24 * 7));
  in.release.min_scored = c.Int("aggregate.insights.release_min_responses", in.release.min_scored, 1, 1'000'000);
  in.release.z_threshold = c.Double("aggregate.insights.release_z_threshold", in.release.z_threshold, 1.0, 20.0);
  o.topics.topics_topic = c.String("topics.emerging", o.topics.topics_topic);
  auto& tp = o.topics;
  tp.enabled = c.Bool("aggregate.topics.enabled", tp.enabled);
  tp.window = c.Duration("aggregate.topics.window", tp.window);
  if (tp.window.count() < 1000) {
    throw config::ConfigError("configuration key 'aggregate.topics.window' must be at least 1s, e.g. 1h");
  }
  tp.sketch_capacity =
      static_cast<size_t>(c.Int("aggregate.topics.sketch_capacity", static_cast<int64_t>(tp.sketch_capacity), 16, 65'536));
  tp.floor = c.Int("aggregate.topics.floor", tp.floor, 1, 1'000'000);
  tp.growth = c.Double("aggregate.topics.growth", tp.growth, 1.0, 1000.0);
  tp.history_windows = static_cast<uint32_t>(c.Int("aggregate.topics.history_windows", tp.history_windows, 1, 10'000));
  tp.history_capacity = static_cast<size_t>(
      c.Int("aggregate.topics.history_capacity", static_cast<int64_t>(tp.history_capacity), 16, 1'000'000));
  tp.min_history_windows =
      static_cast<uint32_t>(c.Int("aggregate.topics.min_history_windows", tp.min_history_windows, 0, 10'000));
  tp.max_per_window =
      static_cast<size_t>(c.Int("aggregate.topics.max_per_window", static_cast<int64_t>(tp.max_per_window), 1, 1000));
  if (in.enabled && std::find(o.window_sizes.begin(), o.window_sizes.end(), std::chrono::hours(1)) == o.window_sizes.end()) {
    throw config::ConfigError(
        "aggregate.insights works on hourly windows: add 1h to aggregate.windows, or set aggregate.insights.enabled "
        "to false");
  }
  return o;
}

}  // namespace voc::aggregate
