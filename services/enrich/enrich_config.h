// voc-enrich's configuration keys, read in one place.
#pragma once

#include "common/config/config.h"
#include "services/enrich/enrich_processor.h"

namespace voc::enrich {

// Keys: topics.customers, topics.enriched, topics.mentions, topics.alerts, enrich.taxonomy,
// enrich.lexicons, enrich.dedupe_ttl, enrich.near_duplicate_horizon,
// enrich.near_duplicate_max_distance, enrich.customer_catch_up; reads kafka.* too.
EnrichOptions LoadEnrichOptions(config::Config& config);

}  // namespace voc::enrich
