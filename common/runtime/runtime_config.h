// Reads the settings every service shares (Kafka, state, HTTP, batching) from a Config.
#pragma once

#include <string>
#include <vector>

#include "common/config/config.h"
#include "common/runtime/pipeline_topics.h"
#include "common/runtime/service_runner.h"

namespace voc::runtime {

// Keys: kafka.bootstrap_servers, kafka.client.*, kafka.consumer.*, kafka.producer.*, topics.dlq,
// service.group_id, service.http_listen, service.memory_budget_mb, batch.max_records,
// batch.max_wait, state.dir, state.block_cache_mb, state.write_buffer_mb, state.rocksdb.*.
RuntimeOptions LoadRuntimeOptions(config::Config& config, const std::string& service,
                                  const std::vector<std::string>& input_topics, const std::string& default_http);

// Keys kafka.bootstrap_servers and kafka.client.* (librdkafka properties every handle
// gets: security, SASL/SSL, client.id, broker version).
kafka::ClientConfig LoadClientConfig(config::Config& config);

// Keys topics.raw_tickets, ... topics.dlq: every topic name of the pipeline.
PipelineTopicNames LoadTopicNames(config::Config& config);

}  // namespace voc::runtime
