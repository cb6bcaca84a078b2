// Reads another process's metrics over HTTP: a free port for it to listen on, a bare GET,
// and a parser of the text exposition format (0.0.4). For the tests and benchmarks that
// run the services as child processes; in-process readers use MetricValue
// (metric_value.h) instead.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace voc::metrics {

struct HttpReply {
  int status = 0;  // 0: no answer
  std::string content_type;
  std::string body;
};

// GET http://127.0.0.1:port/path over a plain POSIX socket (HTTP/1.0, one request, 5 s
// timeouts).
HttpReply HttpGet(int port, const std::string& path);

// A TCP port on 127.0.0.1 that was free a moment ago (for a child process to listen on).
int FreePort();

// One sample: the series' name, its labels as written between the braces
// (a="x",b="y"; empty without braces), and its value.
struct Sample {
  std::string name;
  std::string labels;
  double value = 0;
};

// The samples of a text exposition, in order; comment lines and blank lines skipped.
std::vector<Sample> ParseExposition(std::string_view body);

// Whether a sample's labels include `label` (name and value) exactly.
bool HasLabel(const Sample& sample, std::string_view name, std::string_view value);

// Sum of the samples named `name` whose labels include all of `labels`; -1 when there is
// none (as MetricValue).
double SampleSum(const std::vector<Sample>& samples, std::string_view name,
                 const std::map<std::string, std::string>& labels = {});

// GET /metrics on 127.0.0.1:port, parsed; nullopt when it did not answer 200.
std::optional<std::vector<Sample>> Scrape(int port);

}  // namespace voc::metrics
