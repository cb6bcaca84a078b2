// librdkafka's statistics JSON reduced to what the runtime publishes: a document as
// STATISTICS.md describes it, a broken one, and the real thing from clients of the
// embedded broker.
#include "common/kafka/statistics.h"

#include <gtest/gtest.h>

#include <mutex>

#include "common/kafka/embedded_broker.h"
#include "common/kafka/kafka.h"
#include "tests/runtime/test_util.h"

namespace voc::kafka {
namespace {

using namespace std::chrono_literals;

// Trimmed from a consumer's statistics: a bootstrap entry, librdkafka's internal broker,
// the group coordinator as a logical broker (newer librdkafka), two learned brokers.
constexpr char kConsumerStatistics[] = R"({
  "name": "rdkafka#consumer-1", "client_id": "rdkafka", "type": "consumer", "ts": 1, "time": 2, "msg_cnt": 0,
  "brokers": {
    "localhost:9092/bootstrap": {"name": "localhost:9092/bootstrap", "nodeid": -1, "source": "configured",
                                 "state": "UP", "outbuf_cnt": 0, "waitresp_cnt": 0, "txerrs": 9},
    ":0/internal": {"name": ":0/internal", "nodeid": -1, "source": "internal", "state": "UP"},
    "GroupCoordinator": {"name": "GroupCoordinator", "nodeid": 1, "source": "logical", "state": "UP"},
    "kafka-0:9092/1": {"name": "kafka-0:9092/1", "nodeid": 1, "source": "learned", "state": "UP",
                       "outbuf_cnt": 3, "waitresp_cnt": 2, "txerrs": 4, "rxerrs": 5, "req_timeouts": 6,
                       "txretries": 7,
                       "rtt": {"min": 100, "max": 90000, "avg": 1500, "sum": 150000, "cnt": 100, "p50": 1200,
                               "p99": 45000, "p99_99": 90000}},
    "kafka-1:9092/2": {"name": "kafka-1:9092/2", "nodeid": 2, "source": "learned", "state": "CONNECT",
                       "outbuf_cnt": 0, "waitresp_cnt": 0, "txerrs": 0, "rxerrs": 0, "req_timeouts": 0,
                       "txretries": 0, "rtt": {"avg": 0, "p99": 0, "cnt": 0}}
  },
  "topics": {"in": {"topic": "in", "partitions": {"0": {"partition": 0, "consumer_lag": 12}}}},
  "cgrp": {"state": "up", "join_state": "steady", "rebalance_cnt": 3, "assignment_size": 4}
})";

TEST(KafkaStatistics, ParsesBrokersAndGroupLeavingOutBootstrapInternalAndLogicalBrokers) {
  auto stats = ParseStatistics(kConsumerStatistics);
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->type, "consumer");
  ASSERT_EQ(stats->brokers.size(), 2u);
  const BrokerStatistics& b = stats->brokers[0].node_id == 1 ? stats->brokers[0] : stats->brokers[1];
  const BrokerStatistics& down = stats->brokers[0].node_id == 1 ? stats->brokers[1] : stats->brokers[0];
  EXPECT_EQ(b.name, "kafka-0:9092/1");
  EXPECT_TRUE(b.up);
  EXPECT_EQ(b.outbuf_requests, 3);
  EXPECT_EQ(b.waitresp_requests, 2);
  EXPECT_EQ(b.tx_errors, 4);
  EXPECT_EQ(b.rx_errors, 5);
  EXPECT_EQ(b.request_timeouts, 6);
  EXPECT_EQ(b.tx_retries, 7);
  EXPECT_EQ(b.rtt_samples, 100);
  EXPECT_DOUBLE_EQ(b.rtt_avg_seconds, 0.0015);
  EXPECT_DOUBLE_EQ(b.rtt_p99_seconds, 0.045);
  EXPECT_EQ(down.name, "kafka-1:9092/2");
  EXPECT_FALSE(down.up);
  EXPECT_EQ(down.rtt_samples, 0);
  EXPECT_EQ(stats->rebalances, 3);
  EXPECT_EQ(stats->assigned_partitions, 4);
}

TEST(KafkaStatistics, ProducerWithoutGroupHasNoRebalancesAndReportsItsQueue) {
  auto stats = ParseStatistics(R"({"type": "producer", "msg_cnt": 42, "brokers": {}})");
  ASSERT_TRUE(stats.ok()) << stats.status().ToString();
  EXPECT_EQ(stats->type, "producer");
  EXPECT_EQ(stats->queued_messages, 42);
  EXPECT_TRUE(stats->brokers.empty());
  EXPECT_FALSE(stats->rebalances.has_value());
  EXPECT_FALSE(stats->assigned_partitions.has_value());
}

TEST(KafkaStatistics, RefusesWhatIsNotAStatisticsDocument) {
  EXPECT_EQ(ParseStatistics("{\"type\": \"consumer\", ").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ParseStatistics("[1, 2]").status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(ParseStatistics("{\"brokers\": {}}").status().code(), Status::Code::kInvalidArgument);
}

// What librdkafka 2.0.2 really emits parses, and names the embedded broker with a round trip.
TEST(KafkaStatistics, ParsesWhatTheClientsOfTheEmbeddedBrokerEmit) {
  auto broker = EmbeddedBroker::Start();
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  ASSERT_TRUE((*broker)->CreateTopic("t", 1).ok());
  std::mutex mu;
  std::vector<std::string> documents;  // guarded by mu
  auto keep = [&](std::string_view json) {
    std::lock_guard lock(mu);
    documents.emplace_back(json);
  };
  const ClientConfig client{(*broker)->bootstrap_servers(), {{"statistics.interval.ms", "100"}}};
  auto producer = Producer::Create({.client = client, .on_statistics = keep});
  ASSERT_TRUE(producer.ok()) << producer.status().ToString();
  ConsumerOptions co;
  co.client = client;
  co.topics = {"t"};
  co.on_statistics = keep;
  auto consumer = Consumer::Create(std::move(co));
  ASSERT_TRUE(consumer.ok()) << consumer.status().ToString();
  ASSERT_TRUE((*producer)->Produce("t", "k", "v").ok());
  ASSERT_TRUE((*producer)->Flush(10s).ok());

  bool consumer_rtt = false, producer_rtt = false;
  RecordBatch batch;
  ASSERT_TRUE(test::WaitFor(
      [&] {
        (*consumer)->Poll(100, 50ms, &batch).ok();
        batch.Clear();
        (*producer)->Poll();
        std::lock_guard lock(mu);
        for (const auto& json : documents) {
          auto stats = ParseStatistics(json);
          EXPECT_TRUE(stats.ok()) << stats.status().ToString() << "\n" << json;
          if (!stats.ok()) return true;
          for (const auto& b : stats->brokers) {
            EXPECT_GE(b.node_id, 0);
            if (!b.up || b.rtt_samples == 0) continue;
            EXPECT_GT(b.rtt_avg_seconds, 0);
            EXPECT_LT(b.rtt_avg_seconds, 10);
            EXPECT_GT(b.rtt_p99_seconds, 0);
            (stats->type == "consumer" ? consumer_rtt : producer_rtt) = true;
          }
        }
        documents.clear();
        return consumer_rtt && producer_rtt;
      },
      20s))
      << "no statistics with a broker round trip from " << (consumer_rtt ? "the producer" : "the consumer");
  ASSERT_TRUE((*consumer)->Close(5s).ok());
}

}  // namespace
}  // namespace voc::kafka
