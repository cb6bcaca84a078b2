// Private to common/kafka: building librdkafka configurations and handles.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>

#include "common/core/status.h"
#include "common/kafka/kafka.h"

namespace voc::kafka::internal {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

struct HandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;

// A configuration with each layer applied in turn (defaults, then the cluster's
// properties, then the handle's own); an invalid property names itself in the status.
Result<ConfPtr> MakeConf(std::initializer_list<const Properties*> layers);

// For a broker error that waiting cannot heal, a sentence naming the setting to look at;
// empty for errors librdkafka retries on its own.
std::string UnhealableErrorHint(rd_kafka_resp_err_t err);

// Partition count of a topic and a partition's watermarks, asked on an existing handle.
Result<int> PartitionCount(rd_kafka_t* rk, const std::string& topic, std::chrono::milliseconds timeout);
Result<std::pair<Offset, Offset>> Watermarks(rd_kafka_t* rk, const TopicPartition& tp,
                                             std::chrono::milliseconds timeout);

// Creates the handle; takes ownership of conf on success and on failure.
Result<HandlePtr> MakeHandle(rd_kafka_type_t type, ConfPtr conf);

// Milliseconds left until deadline, at least 0, for librdkafka's int timeouts.
int RemainingMs(std::chrono::steady_clock::time_point deadline);

}  // namespace voc::kafka::internal
