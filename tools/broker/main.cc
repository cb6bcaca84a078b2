// voc-broker: the embedded Kafka broker as a standalone process. Creates the pipeline's
// topics up front and prints its bootstrap address on the first line of stdout.
#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>
#include <thread>

#include "common/kafka/embedded_broker.h"
#include "common/runtime/command_line.h"
#include "common/runtime/pipeline_topics.h"
#include "common/runtime/stop_signal.h"

int main(int argc, char** argv) {
  voc::runtime::StopSignal stop;
  CLI::App app("The embedded Kafka broker (librdkafka's mock cluster) with vocstream's topics.", "voc-broker");
  int partitions = 16;
  int brokers = 1;
  std::vector<std::string> extra;
  std::string bootstrap_file;
  app.add_option("-p,--partitions", partitions, "Partitions of each pipeline topic (each keeps at most 5 MiB)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app.add_option("--brokers", brokers, "Brokers in the cluster")->check(CLI::Range(1, 9))->capture_default_str();
  app.add_option("--topic", extra, "Another topic to create, as name:partitions");
  app.add_option("--bootstrap-file", bootstrap_file, "Also write the bootstrap address to this file");
  voc::runtime::AddVersionFlag(app);
  if (auto exit_code = voc::runtime::ParseCommandLine(app, argc, argv)) return *exit_code;

  auto broker = voc::kafka::EmbeddedBroker::Start(brokers);
  if (!broker.ok()) {
    std::cerr << "voc-broker: " << broker.status().ToString() << "\n";
    return 1;
  }
  for (const auto& t : voc::runtime::PipelineTopics({}, partitions)) {
    if (auto s = (*broker)->CreateTopic(t.name, t.partitions); !s.ok()) {
      std::cerr << "voc-broker: " << s.ToString() << "\n";
      return 1;
    }
  }
  for (const auto& spec : extra) {
    auto colon = spec.rfind(':');
    int n = colon == std::string::npos ? 0 : std::atoi(spec.c_str() + colon + 1);
    if (n <= 0) {
      std::cerr << "voc-broker: --topic '" << spec << "' must be name:partitions, e.g. my.topic:8\n";
      return 2;
    }
    if (auto s = (*broker)->CreateTopic(spec.substr(0, colon), n); !s.ok()) {
      std::cerr << "voc-broker: " << s.ToString() << "\n";
      return 1;
    }
  }
  std::cout << (*broker)->bootstrap_servers() << std::endl;
  if (!bootstrap_file.empty()) {
    FILE* f = std::fopen(bootstrap_file.c_str(), "w");
    if (f == nullptr) {
      std::cerr << "voc-broker: cannot write " << bootstrap_file << "\n";
      return 1;
    }
    std::fprintf(f, "%s\n", (*broker)->bootstrap_servers().c_str());
    std::fclose(f);
  }
  std::cerr << "voc-broker: serving " << (*broker)->bootstrap_servers() << " until SIGTERM or Ctrl-C\n";
  while (!stop.flag().load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  return 0;
}
