// The shared main of every vocstream service: flags, configuration, logging, signals,
// the HTTP endpoint and the processing loop. A service supplies only its processor.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "common/config/config.h"
#include "common/runtime/processor.h"
#include "common/runtime/service_runner.h"

namespace prometheus {
class Registry;
}

namespace voc::runtime {

struct ServiceDefinition {
  std::string name;          // "voc-ingest"
  std::string description;   // one line for --help
  std::string default_http;  // "0.0.0.0:9101"
  // Reads the service's own keys and its input topics, and builds its processor, whose
  // metrics go into registry.
  std::function<std::unique_ptr<Processor>(config::Config&, std::vector<std::string>* input_topics,
                                            prometheus::Registry& registry)>
      make;
};

// Returns the process exit code.
int ServiceMain(int argc, char** argv, const ServiceDefinition& service);

}  // namespace voc::runtime
