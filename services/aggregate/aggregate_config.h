// voc-aggregate's configuration keys, read in one place.
#pragma once

#include "common/config/config.h"
#include "services/aggregate/aggregate_processor.h"

namespace voc::aggregate {

// Keys: topics.aggregates, aggregate.windows (e.g. "1h,1d"), aggregate.allowed_lateness,
// aggregate.retention, aggregate.emit_interval.
AggregateOptions LoadAggregateOptions(config::Config& config);

}  // namespace voc::aggregate
