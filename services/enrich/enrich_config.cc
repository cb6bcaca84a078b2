#include "services/enrich/enrich_config.h"

namespace voc::enrich {

EnrichOptions LoadEnrichOptions(config::Config& c) {
  EnrichOptions o;
  o.customers_topic = c.String("topics.customers", o.customers_topic);
  o.enriched_topic = c.String("topics.enriched", o.enriched_topic);
  o.mentions_topic = c.String("topics.mentions", o.mentions_topic);
  o.alerts_topic = c.String("topics.alerts", o.alerts_topic);
  o.analyzer.taxonomy_path = c.String("enrich.taxonomy", VOC_DATA_DIR "/taxonomy/software.yaml");
  o.analyzer.lexicon_dir = c.String("enrich.lexicons", VOC_DATA_DIR "/lexicons");
  o.dedupe_ttl = std::chrono::duration_cast<std::chrono::seconds>(
      c.Duration("enrich.dedupe_ttl", std::chrono::hours(24 * 30)));
  o.near_duplicate_horizon = c.Duration("enrich.near_duplicate_horizon", o.near_duplicate_horizon);
  o.near_duplicate_max_distance = static_cast<int>(c.Int("enrich.near_duplicate_max_distance", 3, 0, 32));
  o.near_duplicate_max_entries = static_cast<size_t>(
      c.Int("enrich.near_duplicate_max_entries", static_cast<int64_t>(o.near_duplicate_max_entries), 1, 4096));
  o.customer_catch_up = c.Duration("enrich.customer_catch_up", o.customer_catch_up);
  o.phrases_per_feedback = static_cast<size_t>(c.Int("enrich.phrases_per_feedback",
      static_cast<int64_t>(o.phrases_per_feedback), 0, static_cast<int64_t>(kMaxPhrasesPerFeedback)));
  if (o.dedupe_ttl.count() <= 0) throw config::ConfigError("configuration key 'enrich.dedupe_ttl' must be above 0");
  return o;
}

}  // namespace voc::enrich
