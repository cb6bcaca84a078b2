#include "common/kafka/statistics.h"

#include <simdjson.h>

namespace voc::kafka {
namespace {

// A numeric field of obj (librdkafka writes them as integers); fallback when absent.
int64_t Int(simdjson::dom::object obj, std::string_view key, int64_t fallback = 0) {
  simdjson::dom::element e;
  if (obj[key].get(e) != simdjson::SUCCESS) return fallback;
  int64_t i = 0;
  if (e.get(i) == simdjson::SUCCESS) return i;
  double d = 0;
  if (e.get(d) == simdjson::SUCCESS) return static_cast<int64_t>(d);
  return fallback;
}

std::string_view String(simdjson::dom::object obj, std::string_view key) {
  std::string_view s;
  return obj[key].get(s) == simdjson::SUCCESS ? s : std::string_view();
}

BrokerStatistics Broker(simdjson::dom::object b) {
  BrokerStatistics out;
  out.name = std::string(String(b, "name"));
  out.node_id = static_cast<int32_t>(Int(b, "nodeid", -1));
  out.up = String(b, "state") == "UP";
  out.outbuf_requests = Int(b, "outbuf_cnt");
  out.waitresp_requests = Int(b, "waitresp_cnt");
  out.tx_errors = Int(b, "txerrs");
  out.rx_errors = Int(b, "rxerrs");
  out.request_timeouts = Int(b, "req_timeouts");
  out.tx_retries = Int(b, "txretries");
  simdjson::dom::object rtt;
  if (b["rtt"].get(rtt) == simdjson::SUCCESS) {  // window stats, in microseconds
    out.rtt_samples = Int(rtt, "cnt");
    out.rtt_avg_seconds = static_cast<double>(Int(rtt, "avg")) / 1e6;
    out.rtt_p99_seconds = static_cast<double>(Int(rtt, "p99")) / 1e6;
  }
  return out;
}

}  // namespace

Result<ClientStatistics> ParseStatistics(std::string_view json) {
  // Called every statistics.interval.ms (seconds apart): a parser per call costs nothing
  // that matters.
  simdjson::dom::parser parser;
  simdjson::padded_string padded(json);
  simdjson::dom::object root;
  if (auto error = parser.parse(padded).get(root); error != simdjson::SUCCESS) {
    return Status::InvalidArgument(std::string("librdkafka statistics are not a JSON object: ") +
                                   simdjson::error_message(error));
  }
  ClientStatistics out;
  out.type = std::string(String(root, "type"));
  if (out.type.empty()) return Status::InvalidArgument("librdkafka statistics without a client type");
  out.queued_messages = Int(root, "msg_cnt");
  simdjson::dom::object brokers;
  if (root["brokers"].get(brokers) == simdjson::SUCCESS) {
    for (auto [key, value] : brokers) {
      simdjson::dom::object b;
      if (value.get(b) != simdjson::SUCCESS) continue;
      const std::string_view source = String(b, "source");
      // Bootstrap entries (node id -1) and librdkafka's own internal/logical brokers are
      // not brokers of the cluster.
      if (Int(b, "nodeid", -1) < 0 || source == "internal" || source == "logical") continue;
      out.brokers.push_back(Broker(b));
    }
  }
  simdjson::dom::object cgrp;
  if (root["cgrp"].get(cgrp) == simdjson::SUCCESS) {
    out.rebalances = Int(cgrp, "rebalance_cnt");
    out.assigned_partitions = Int(cgrp, "assignment_size");
  }
  return out;
}

}  // namespace voc::kafka
