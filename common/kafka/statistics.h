// librdkafka's statistics (the JSON document a client emits every
// statistics.interval.ms; fields as librdkafka's STATISTICS.md names them), reduced to
// what operators watch: per broker round-trip times, request queues, errors and state;
// the consumer group's rebalances; the producer's queue.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/status.h"

namespace voc::kafka {

struct BrokerStatistics {
  std::string name;  // "host:port/id", as librdkafka names the broker
  int32_t node_id = -1;
  bool up = false;  // state "UP": connected and usable
  // Requests waiting to be sent (outbuf_cnt) and sent but not answered (waitresp_cnt).
  int64_t outbuf_requests = 0;
  int64_t waitresp_requests = 0;
  // Since the client started (cumulative): transmission errors, receive errors, requests
  // timed out, requests retried.
  int64_t tx_errors = 0;
  int64_t rx_errors = 0;
  int64_t request_timeouts = 0;
  int64_t tx_retries = 0;
  // Round-trip time over the last statistics interval; rtt_samples 0: no request was
  // answered in it, and the times mean nothing.
  int64_t rtt_samples = 0;
  double rtt_avg_seconds = 0;
  double rtt_p99_seconds = 0;
};

struct ClientStatistics {
  std::string type;  // "consumer" or "producer"
  // Brokers the client learned from the cluster's metadata; the bootstrap entries
  // (node id -1) and librdkafka's internal and logical brokers are left out, so there is
  // one entry per real broker.
  std::vector<BrokerStatistics> brokers;
  // Consumer group (cgrp), for a consumer in a group: rebalances since the client
  // started (rebalance_cnt), partitions assigned now (assignment_size).
  std::optional<int64_t> rebalances;
  std::optional<int64_t> assigned_partitions;
  // Records in the producer's queues, not yet acknowledged (msg_cnt).
  int64_t queued_messages = 0;
};

// InvalidArgument when json is not a statistics document.
Result<ClientStatistics> ParseStatistics(std::string_view json);

}  // namespace voc::kafka
