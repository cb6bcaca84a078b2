// Helpers shared by the runtime, state, ingest and end-to-end tests: a temporary folder
// (temp_dir.h), a service runner on its own thread, waiting on a condition, reading a topic back to its end,
// waiting for a consumer group to catch up, and reading a counter from a
// prometheus::Registry. They use the real parts only, and work on the embedded broker and
// a real one alike.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/core/status.h"
#include "common/kafka/kafka.h"
#include "common/metrics/metric_value.h"
#include "common/metrics/scrape.h"
#include "common/runtime/service_runner.h"
#include "tests/runtime/temp_dir.h"

namespace prometheus {
class Registry;
}

namespace voc::test {

// prefix followed by n in decimal ("key-7"). (GCC 12 warns falsely on "literal" + std::string&&.)
inline std::string Numbered(std::string_view prefix, int64_t n) {
  std::string out(prefix);
  out += std::to_string(n);
  return out;
}

// Polls pred every 20 ms until it holds or timeout passes; returns its last answer.
bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

// The text of a file; empty when it cannot be read.
std::string FileText(const std::string& path);

// A consumed record, copied out of its batch.
struct ConsumedRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  std::string content_type;
};

// Reads every partition of `topic`, without a group, from the log's start to the end
// (high watermark) it had when the read began; records are in (partition, offset) order.
// What was written after that is not read, so a test that asserts "exactly these" first
// makes sure the writers are done (stopped, or AwaitCaughtUp). Not reaching the end
// before `timeout` fails the test with a sentence naming the partition.
std::vector<ConsumedRecord> ReadTopic(const kafka::ClientConfig& cluster, const std::string& topic,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(30));

// Records the topic holds now, over all partitions (high minus low watermark); -1 when
// the broker cannot say.
int64_t CountRecords(const kafka::ClientConfig& cluster, const std::string& topic);

// Waits until `topic` holds at least min_count records; false when timeout passed first.
// For tests that assert "at least"; "exactly" reads to the end after the writers are done.
bool AwaitRecords(const kafka::ClientConfig& cluster, const std::string& topic, int64_t min_count,
                  std::chrono::milliseconds timeout);

// Waits until consumer group `group` has committed, for every partition of `topics`, the
// offset at the partition's end: every input read, and (since the runtime commits to the
// group only after a checkpoint) every output acknowledged. Empty when it did; otherwise
// a sentence naming a partition that is behind.
std::string AwaitCaughtUp(const kafka::ClientConfig& cluster, const std::string& group,
                          const std::vector<std::string>& topics, std::chrono::milliseconds timeout);

// Produces one record with one header straight through librdkafka, as a third-party
// producer would: voc::kafka::Producer writes no headers.
Status ProduceWithHeader(const std::string& bootstrap, const std::string& topic, const std::string& key,
                         const std::string& value, const std::string& header, const std::string& header_value);

// Runs a ServiceRunner on its own thread until Stop (or destruction).
class RunningService {
 public:
  explicit RunningService(runtime::ServiceRunner& runner)
      : thread_([this, &runner] { status_ = runner.Run(stop_); }) {}
  ~RunningService() {
    if (thread_.joinable()) Stop().ok();
  }
  RunningService(const RunningService&) = delete;
  RunningService& operator=(const RunningService&) = delete;
  // Asks the runner to stop, waits for it and returns what Run returned.
  Status Stop() {
    stop_ = true;
    thread_.join();
    return status_;
  }

 private:
  std::atomic<bool> stop_{false};
  Status status_;
  std::thread thread_;  // last: starts after the members it uses exist
};

// Reading a metric back: common/metrics/metric_value.h.
using metrics::MetricValue;

}  // namespace voc::test
