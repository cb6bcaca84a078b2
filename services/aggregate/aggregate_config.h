// voc-aggregate's configuration keys, read in one place.
#pragma once

#include "common/config/config.h"
#include "services/aggregate/aggregate_processor.h"

namespace voc::aggregate {

// Keys: topics.aggregates, aggregate.windows (e.g. "1h,1d"), aggregate.allowed_lateness,
// aggregate.retention, aggregate.emit_interval; aggregate.insights.* (theme_insights.h);
// topics.emerging and aggregate.topics.* (emerging_topics.h): enabled, window,
// sketch_capacity, floor, growth, history_windows, history_capacity, min_history_windows,
// max_per_window.
AggregateOptions LoadAggregateOptions(config::Config& config);

}  // namespace voc::aggregate
