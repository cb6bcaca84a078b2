// The vocctl subcommands other than score (score.h): each returns the process exit code
// and writes its errors as sentences to stderr.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

#include "common/kafka/kafka.h"
#include "tools/gen/generator.h"

namespace voc::vocctl {

struct ProduceArgs {
  kafka::ClientConfig client;
  std::string topic;
  std::string input;              // a .jsonl or .csv file
  std::string key_field = "customer_id";
  bool customers = false;         // rows are customer profiles: sent as CustomerProfile protobuf
  bool progress = true;  // drawn only when stderr is a terminal
};
int RunProduce(const ProduceArgs& args);

struct TailArgs {
  kafka::ClientConfig client;
  std::string topic;
  std::string type;  // feedback, enriched, mention, aggregate, alert, dlq, customer, raw; empty: from the topic name
  bool from_end = false;
  // Each line an object with topic, partition, offset, timestamp (null when the broker
  // keeps none) and key beside the record as "value".
  bool with_meta = false;
  int64_t max_records = -1;
  std::chrono::milliseconds exit_when_idle{0};  // 0: follow until Ctrl-C
};
int RunTail(const TailArgs& args, const std::atomic<bool>& stop);

struct GenArgs {
  gen::GenOptions options;
  size_t count = 1000;
  std::string out_dir;
};
int RunGen(const GenArgs& args);

struct DemoArgs {
  std::chrono::milliseconds duration{30'000};  // 0: until Ctrl-C
  double rate = 300;                           // records per second
  int partitions = 8;
  std::string state_dir;                       // empty: a temporary folder, removed at the end
  uint64_t seed = 42;
  bool plain = false;                          // no screen clearing (logs, CI)
};
int RunDemo(const DemoArgs& args, const std::atomic<bool>& stop);

}  // namespace voc::vocctl
