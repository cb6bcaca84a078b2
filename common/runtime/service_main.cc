#include "common/runtime/service_main.h"

#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include "common/logging/logging.h"
#include "common/runtime/command_line.h"
#include "common/runtime/memory_budget.h"
#include "common/runtime/runtime_config.h"
#include "common/runtime/stop_signal.h"

namespace voc::runtime {

int ServiceMain(int argc, char** argv, const ServiceDefinition& service) {
  StopSignal stop;  // first: every thread created later inherits the blocked signals
  LimitAllocatorArenas();
  CLI::App app(service.description, service.name);
  std::string config_path;
  std::vector<std::string> overrides;
  logging::Options log{.program = service.name};
  app.add_option("-c,--config", config_path, "YAML configuration file (see config/" + service.name + ".yaml)");
  app.add_option("--set", overrides, "Override one key, e.g. --set kafka.bootstrap_servers=localhost:9092");
  app.add_option("--log-level", log.level, logging::kLevels)->capture_default_str();
  app.add_option("--log-format", log.format, std::string(logging::kFormats) + ": JSON is one object a line")
      ->capture_default_str();
  AddVersionFlag(app);
  if (auto exit_code = ParseCommandLine(app, argc, argv)) return *exit_code;
  if (Status s = logging::Init(log); !s.ok()) {
    std::cerr << service.name << ": " << s.message() << "\n";
    return 2;
  }

  std::unique_ptr<ServiceRunner> runner;
  try {
    auto config = config::Config::Load(config_path, config::Config::ProcessEnvironment(), overrides);
    std::vector<std::string> inputs;
    auto registry = std::make_shared<prometheus::Registry>();
    auto processor = service.make(config, &inputs, *registry);
    auto options = LoadRuntimeOptions(config, service.name, inputs, service.default_http);
    LoadTopicNames(config);  // every topics.* key is known, whichever this service uses
    for (const char* section : {"ingest", "enrich", "aggregate", "demo", "gen"}) {
      if (service.name != std::string("voc-") + section) config.Ignore(section);
    }
    config.RejectUnknownKeys();
    auto created = ServiceRunner::Create(std::move(options), std::move(processor), registry);
    if (!created.ok()) {
      spdlog::error("{} cannot start: {}", service.name, created.status().ToString());
      return 1;
    }
    runner = std::move(created).value();
  } catch (const config::ConfigError& e) {
    spdlog::error("{}: invalid configuration: {}", service.name, e.what());
    return 2;
  }
  spdlog::info("{} started; HTTP on port {}", service.name, runner->http_port());
  Status s = runner->Run(stop.flag());
  if (!s.ok()) {
    spdlog::error("{} stopped: {}", service.name, s.ToString());
    return 1;
  }
  spdlog::info("{} stopped cleanly", service.name);
  return 0;
}

}  // namespace voc::runtime
