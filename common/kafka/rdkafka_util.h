// Private to common/kafka: building librdkafka configurations and handles.
#pragma once

#include <librdkafka/rdkafka.h>

#include <chrono>
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

// A configuration with `defaults` then `overrides` applied; an invalid property names
// itself in the returned status.
Result<ConfPtr> MakeConf(const Properties& defaults, const Properties& overrides);

// Creates the handle; takes ownership of conf on success and on failure.
Result<HandlePtr> MakeHandle(rd_kafka_type_t type, ConfPtr conf);

// Milliseconds left until deadline, at least 0, for librdkafka's int timeouts.
int RemainingMs(std::chrono::steady_clock::time_point deadline);

}  // namespace voc::kafka::internal
