// Helpers shared by the runtime, state and ingest tests: a temporary folder, a bare
// HTTP GET, waiting on a condition, reading a topic back from the embedded broker, and
// reading a counter from a prometheus::Registry. They use the real parts only.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/status.h"
#include "common/metrics/metric_value.h"

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

// A fresh folder under $TMPDIR (or /tmp), removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Polls pred every 20 ms until it holds or timeout passes; returns its last answer.
bool WaitFor(const std::function<bool()>& pred, std::chrono::milliseconds timeout);

struct HttpReply {
  int status = 0;  // 0: no answer
  std::string content_type;
  std::string body;
};

// GET http://127.0.0.1:port/path over a plain POSIX socket (HTTP/1.0, one request).
HttpReply HttpGet(int port, const std::string& path);

// A consumed record, copied out of its batch.
struct ConsumedRecord {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  std::string content_type;
};

// Reads every partition of topic from the log's start without a group until at least
// min_count records arrived or timeout passed, then polls a little longer so that
// records beyond min_count show up too. Records are in (partition, offset) order.
std::vector<ConsumedRecord> ReadTopic(const std::string& bootstrap, const std::string& topic, size_t min_count,
                                      std::chrono::milliseconds timeout);

// Produces one record with one header straight through librdkafka, as a third-party
// producer would: voc::kafka::Producer writes no headers.
Status ProduceWithHeader(const std::string& bootstrap, const std::string& topic, const std::string& key,
                         const std::string& value, const std::string& header, const std::string& header_value);

// Reading a metric back: common/metrics/metric_value.h.
using metrics::MetricValue;

}  // namespace voc::test
