#include "tests/runtime/real_kafka.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace voc::test {
namespace {

const std::string kScript = std::string(VOC_SOURCE_DIR) + "/scripts/kafka-broker.sh";

// s in single quotes for the shell (paths and topic names here hold no quote).
std::string Quoted(const std::string& s) {
  std::string out(1, '\'');
  out.append(s).push_back('\'');
  return out;
}


}  // namespace

Result<std::unique_ptr<RealKafka>> RealKafka::Start() {
  std::unique_ptr<RealKafka> broker(new RealKafka());
  // The broker goes when this process does, also when a test crashes.
  const std::string command = kScript + " start " + Quoted(broker->dir()) + " " + std::to_string(getpid()) + " 2>" +
                              Quoted(broker->dir() + "/start.err");
  FILE* out = popen(command.c_str(), "r");
  if (out == nullptr) return Status::Internal("cannot run " + kScript);
  char line[256] = {};
  const bool got = std::fgets(line, sizeof line, out) != nullptr;
  const int rc = pclose(out);
  std::string bootstrap = got ? std::string(line) : std::string();
  while (!bootstrap.empty() && (bootstrap.back() == '\n' || bootstrap.back() == '\r')) bootstrap.pop_back();
  if (rc != 0 || bootstrap.empty()) {
    return Status::Unavailable("the real Kafka broker did not start (" + kScript +
                               "): " + FileText(broker->dir() + "/start.err"));
  }
  broker->client_ = {bootstrap, ClientProperties()};
  return broker;
}

RealKafka::~RealKafka() {
  const std::string command = kScript + " stop " + Quoted(dir()) + " >/dev/null 2>&1";
  if (std::system(command.c_str()) != 0) std::fprintf(stderr, "real Kafka: stopping it failed\n");
}

Status RealKafka::CreateTopics(const std::vector<runtime::TopicSpec>& topics) {
  std::string command = kScript + " create " + Quoted(dir());
  for (const auto& t : topics) {
    std::string spec = t.name;
    spec.append(":").append(std::to_string(t.partitions));
    if (t.compacted) spec.append(":compact");
    command.append(" ").append(Quoted(spec));
  }
  command += " >" + Quoted(dir() + "/create.err") + " 2>&1";
  if (std::system(command.c_str()) != 0) {
    return Status::Unavailable("creating topics on the real Kafka broker failed: " + FileText(dir() + "/create.err"));
  }
  return Status::Ok();
}

}  // namespace voc::test
