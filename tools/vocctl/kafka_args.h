// The Kafka flags of every vocctl command that talks to a cluster, in kcat's convention:
// -b HOST:PORT, -X key=value (any librdkafka property, repeatable) and --config FILE
// (librdkafka properties, key=value a line, # comments), so vocctl reaches a secured
// cluster (security.protocol, sasl.*, ssl.*) or an old broker as kcat would.
#pragma once

#include <string>
#include <vector>

#include "common/core/status.h"
#include "common/kafka/kafka.h"

namespace voc::vocctl {

struct KafkaArgs {
  std::string bootstrap_servers;        // -b; may also come as bootstrap.servers from -X or --config
  std::vector<std::string> properties;  // -X key=value, applied after --config
  std::string config_file;              // --config
};

// The client configuration the flags describe. An error is a sentence naming the flag,
// file line or missing broker address, and what to do.
Result<kafka::ClientConfig> ToClientConfig(const KafkaArgs& args);

// What to tell a user whose cluster did not answer.
inline constexpr const char* kUnreachableHint =
    "check -b, and the -X or --config properties the cluster needs (security.protocol, sasl.*, ssl.*; a broker "
    "before Kafka 0.10 needs -X api.version.request=false -X broker.version.fallback=0.9.0.1)";

}  // namespace voc::vocctl
