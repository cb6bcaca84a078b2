#include "common/runtime/runtime_config.h"

#include <cstdint>

#include "common/runtime/memory_budget.h"

namespace voc::runtime {
namespace {

// Consumer properties the runtime's guarantees rest on: offsets stored with the state and
// committed by the runtime, the assignor its rebalance handling is written for, a lost
// offset reported instead of skipped, each service in its own group.
constexpr const char* kReservedProperties[] = {"group.id", "enable.auto.commit", "enable.auto.offset.store",
                                               "auto.offset.reset", "partition.assignment.strategy"};

void RejectReservedProperties(const std::string& section, const kafka::Properties& properties) {
  for (const char* key : kReservedProperties) {
    if (!properties.contains(key)) continue;
    throw config::ConfigError("configuration key '" + section + "." + key +
                              "' is not allowed: vocstream sets " + key +
                              " itself (offsets are committed with the state; a service's group is service.group_id); "
                              "remove the key");
  }
}

}  // namespace

RuntimeOptions LoadRuntimeOptions(config::Config& c, const std::string& service,
                                  const std::vector<std::string>& input_topics, const std::string& default_http) {
  RuntimeOptions o;
  o.service = service;
  o.kafka = LoadClientConfig(c);
  for (const auto& [k, v] : c.Section("kafka.consumer")) o.consumer_properties[k] = v;
  RejectReservedProperties("kafka.consumer", o.consumer_properties);
  for (const auto& [k, v] : c.Section("kafka.producer")) o.producer_properties[k] = v;
  o.dead_letter_topic = c.String("topics.dlq", "voc.dlq");
  o.group_id = c.String("service.group_id", service);
  o.http_listen = c.String("service.http_listen", default_http);
  o.memory_budget_bytes = static_cast<uint64_t>(c.Int("service.memory_budget_mb", 512, 64, 1 << 20)) << 20;
  // What grows with the work is sized from the budget unless a setting says otherwise.
  const MemoryPlan plan = PlanMemory(o.memory_budget_bytes);
  for (const auto& [key, value] : plan.consumer_properties) {
    if (!o.kafka.properties.contains(key)) o.consumer_properties.try_emplace(key, value);
  }
  for (const auto& [key, value] : plan.restore_properties) {
    if (!o.kafka.properties.contains(key)) o.restore_properties.try_emplace(key, value);
  }
  for (const auto& [key, value] : plan.producer_properties) {
    if (!o.kafka.properties.contains(key)) o.producer_properties.try_emplace(key, value);
  }
  o.batch_max_records = static_cast<size_t>(c.Int("batch.max_records", 5000, 1, 1'000'000));
  o.batch_max_wait = c.Duration("batch.max_wait", std::chrono::milliseconds(50));
  o.flush_timeout = c.Duration("batch.flush_timeout", std::chrono::seconds(30));
  o.commit_interval = c.Duration("batch.commit_interval", std::chrono::milliseconds(1000));
  o.exit_before_commit = static_cast<uint64_t>(c.Int("testing.exit_before_commit", 0, 0, INT64_MAX));
  o.input_topics = input_topics;
  o.state.path = c.String("state.dir", "");
  o.state.block_cache_bytes =
      static_cast<size_t>(c.Int("state.block_cache_mb", static_cast<int64_t>(plan.block_cache_bytes >> 20), 1, 1 << 20))
      << 20;
  o.state.write_buffer_bytes =
      static_cast<size_t>(c.Int("state.write_buffer_mb", static_cast<int64_t>(plan.write_buffer_bytes >> 20), 1, 1 << 20))
      << 20;
  o.state.sync_writes = c.Bool("state.sync_writes", false);
  o.state_cache_bytes =
      static_cast<size_t>(c.Int("state.cache_mb", static_cast<int64_t>(plan.state_cache_bytes >> 20), 1, 1 << 20)) << 20;
  const bool changelog = c.Bool("state.changelog", true);
  const std::string changelog_topic = c.String("state.changelog_topic", o.group_id + "-changelog");
  o.changelog_topic = changelog ? changelog_topic : "";
  for (const auto& [k, v] : c.Section("state.rocksdb")) o.state.rocksdb_options[k] = v;
  if (o.batch_max_wait.count() <= 0) throw config::ConfigError("configuration key 'batch.max_wait' must be above 0");
  if (o.commit_interval.count() < 0) throw config::ConfigError("configuration key 'batch.commit_interval' must not be negative");
  return o;
}

kafka::ClientConfig LoadClientConfig(config::Config& c) {
  kafka::ClientConfig client;
  client.bootstrap_servers = c.String("kafka.bootstrap_servers", "localhost:9092");
  for (const auto& [k, v] : c.Section("kafka.client")) client.properties[k] = v;
  RejectReservedProperties("kafka.client", client.properties);
  return client;
}

PipelineTopicNames LoadTopicNames(config::Config& c) {
  PipelineTopicNames n;
  n.raw_tickets = c.String("topics.raw_tickets", n.raw_tickets);
  n.raw_surveys = c.String("topics.raw_surveys", n.raw_surveys);
  n.raw_reviews = c.String("topics.raw_reviews", n.raw_reviews);
  n.customers = c.String("topics.customers", n.customers);
  n.feedback = c.String("topics.feedback", n.feedback);
  n.enriched = c.String("topics.enriched", n.enriched);
  n.mentions = c.String("topics.mentions", n.mentions);
  n.aggregates = c.String("topics.aggregates", n.aggregates);
  n.alerts = c.String("topics.alerts", n.alerts);
  n.emerging = c.String("topics.emerging", n.emerging);
  n.dlq = c.String("topics.dlq", n.dlq);
  return n;
}

}  // namespace voc::runtime
