#include "tools/vocctl/kafka_args.h"

#include <fstream>

namespace voc::vocctl {
namespace {

std::string Trimmed(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\r") - begin + 1);
}

// "key=value" into props; false when there is no '=' or no key.
bool AddProperty(const std::string& text, kafka::Properties* props) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos) return false;
  const std::string key = Trimmed(text.substr(0, eq));
  if (key.empty()) return false;
  (*props)[key] = Trimmed(text.substr(eq + 1));
  return true;
}

}  // namespace

Result<kafka::ClientConfig> ToClientConfig(const KafkaArgs& args) {
  kafka::Properties props;
  if (!args.config_file.empty()) {
    std::ifstream in(args.config_file);
    if (!in) return Status::InvalidArgument("cannot read --config " + args.config_file + ": check the path");
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      const std::string text = Trimmed(line);
      if (text.empty() || text[0] == '#') continue;
      if (!AddProperty(text, &props)) {
        return Status::InvalidArgument(args.config_file + ", line " + std::to_string(n) +
                                       ": expected key=value (a librdkafka property), not '" + text + "'");
      }
    }
  }
  for (const auto& x : args.properties) {
    if (!AddProperty(x, &props)) {
      return Status::InvalidArgument("-X '" + x + "' must be key=value, e.g. -X security.protocol=SASL_SSL");
    }
  }
  // librdkafka's own lines would repeat what the command's one sentence says (a broker
  // down, reconnects): quiet unless asked for with -X log_level=6 (or 7 with -X debug=...).
  props.try_emplace("log_level", "2");
  kafka::ClientConfig client;
  client.bootstrap_servers = args.bootstrap_servers;
  if (auto it = props.find("bootstrap.servers"); it != props.end()) {
    if (client.bootstrap_servers.empty()) client.bootstrap_servers = it->second;
    props.erase(it);
  }
  if (client.bootstrap_servers.empty()) {
    return Status::InvalidArgument("no Kafka broker given: pass -b HOST:PORT (or bootstrap.servers in --config or -X)");
  }
  client.properties = std::move(props);
  return client;
}

}  // namespace voc::vocctl
