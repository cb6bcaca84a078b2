// The pipeline's topics and their default partition counts, for whoever creates them
// (voc-broker, the demo, tests and benchmarks). Names are configurable everywhere.
#pragma once

#include <algorithm>
#include <string>
#include <vector>

namespace voc::runtime {

struct TopicSpec {
  std::string name;
  int partitions;
  // Keyed tables whose latest value per key is what counts (cleanup.policy=compact on a
  // real cluster; the embedded broker has no compaction).
  bool compacted = false;
};

struct PipelineTopicNames {
  std::string raw_tickets = "voc.raw.tickets";
  std::string raw_surveys = "voc.raw.surveys";
  std::string raw_reviews = "voc.raw.reviews";
  std::string customers = "voc.customers";
  std::string feedback = "voc.feedback";
  std::string enriched = "voc.feedback.enriched";
  std::string mentions = "voc.theme.mentions";
  std::string aggregates = "voc.theme.aggregates";
  std::string alerts = "voc.alerts";
  std::string emerging = "voc.topics.emerging";  // emerging topics (voc-aggregate), keyed by phrase
  std::string dlq = "voc.dlq";
  // The stateful services' changelogs (state.changelog_topic; "<group id>-changelog").
  std::string enrich_changelog = "voc-enrich-changelog";
  std::string aggregate_changelog = "voc-aggregate-changelog";
};

// Every topic with `partitions` partitions, but the customers table with fewer; the
// customer table, the aggregates (upserts by window key) and the changelogs compacted.
// A changelog has its input's partitions.
inline std::vector<TopicSpec> PipelineTopics(const PipelineTopicNames& n, int partitions) {
  return {{n.raw_tickets, partitions},
          {n.raw_surveys, partitions},
          {n.raw_reviews, partitions},
          {n.customers, std::max(1, partitions / 4), true},
          {n.feedback, partitions},
          {n.enriched, partitions},
          {n.mentions, partitions},
          {n.aggregates, partitions, true},
          {n.alerts, partitions},
          {n.emerging, partitions},
          {n.dlq, partitions},
          {n.enrich_changelog, partitions, true},
          {n.aggregate_changelog, partitions, true}};
}

}  // namespace voc::runtime
