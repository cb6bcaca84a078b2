// What operators read from a running ServiceRunner's /metrics, on the embedded broker and
// a real RocksDB state store: librdkafka's statistics, RocksDB's properties and the state
// folder's size, the standard process_* metrics, build info, and lag in seconds; and, on a
// real Kafka 0.9 broker, which keeps no record timestamps, no lag in seconds at all.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <cstdio>
#include <ctime>
#include <map>
#include <thread>

#include "common/kafka/embedded_broker.h"
#include "common/metrics/build_info.h"
#include "tests/runtime/processor_harness.h"
#include "common/runtime/service_runner.h"
#include "tests/runtime/real_kafka.h"
#include "tests/runtime/test_util.h"

namespace voc::runtime {
namespace {

using namespace std::chrono_literals;
using test::RunningService;

// Counts records per partition in its store, sleeping `delay` per record when set.
class CountingProcessor final : public Processor {
 public:
  explicit CountingProcessor(std::chrono::milliseconds delay) : delay_(delay) {}
  void Open(Setup& setup) override { counts_ = setup.Store<test::Counter>({.name = "counts"}); }
  void Process(const kafka::Record& record, Context& ctx) override {
    if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
    ctx.out.Emit("out", record.key, record.value);
    counts_->Update(record.partition, "n").n++;
  }

 private:
  std::chrono::milliseconds delay_;
  state::KeyValueStore<test::Counter>* counts_ = nullptr;
};

// CountingProcessor's work, with the table "table" (rows: decimal counts) kept beside it.
class TableProcessor final : public Processor {
 public:
  void Open(Setup& setup) override {
    counts_ = setup.Store<test::Counter>({.name = "counts"});
    setup.ReadTable<test::Counter>("table", {.name = "rows"}, 10s);
  }
  void Process(const kafka::Record& record, Context& ctx) override {
    ctx.out.Emit("out", record.key, record.value);
    counts_->Update(record.partition, "n").n++;
  }

 private:
  state::KeyValueStore<test::Counter>* counts_ = nullptr;
};

// The values of `name`'s samples of the test's service whose labels contain every one of
// `want` (as written: "client=\"consumer\"").
std::vector<double> Values(const std::vector<metrics::Sample>& samples, const std::string& name,
                           const std::vector<std::string>& want = {}) {
  std::vector<double> out;
  for (const auto& s : samples) {
    if (s.name != name || !metrics::HasLabel(s, "service", "voc-test")) continue;
    bool match = true;
    for (const auto& w : want) match = match && s.labels.find(w) != std::string::npos;
    if (match) out.push_back(s.value);
  }
  return out;
}

class RuntimeMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = kafka::EmbeddedBroker::Start();
    ASSERT_TRUE(broker.ok()) << broker.status().ToString();
    broker_ = std::move(broker).value();
    for (const char* topic : {"in", "out", "dlq"}) ASSERT_TRUE(broker_->CreateTopic(topic, 1).ok());
  }

  RuntimeOptions Options(const std::string& group_id) const {
    RuntimeOptions o;
    o.service = "voc-test";
    // Statistics five times a second, set once for every handle, as kafka.client.* does.
    o.kafka = {broker_->bootstrap_servers(), {{"statistics.interval.ms", "200"}}};
    o.group_id = group_id;
    o.input_topics = {"in"};
    o.dead_letter_topic = "dlq";
    o.consumer_properties = {{"session.timeout.ms", "6000"}};
    o.state.path = dir_.path() + "/state";
    o.state.block_cache_bytes = 8 << 20;
    o.state.write_buffer_bytes = 8 << 20;
    o.batch_max_wait = 20ms;
    o.http_listen = "127.0.0.1:0";
    return o;
  }

  std::unique_ptr<ServiceRunner> MakeRunner(RuntimeOptions options, std::chrono::milliseconds delay = 0ms) {
    auto runner = ServiceRunner::Create(std::move(options), std::make_unique<CountingProcessor>(delay), registry_);
    EXPECT_TRUE(runner.ok()) << runner.status().ToString();
    return runner.ok() ? std::move(runner).value() : nullptr;
  }

  void ProduceInputs(int n) {
    auto producer = kafka::Producer::Create({.client = {broker_->bootstrap_servers()}});
    ASSERT_TRUE(producer.ok());
    for (int i = 0; i < n; ++i) ASSERT_TRUE((*producer)->Produce("in", test::Numbered("k", i), "v").ok());
    ASSERT_TRUE((*producer)->Flush(10s).ok());
  }

  test::TempDir dir_;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
};

// promtool's verdict on an exposition; empty when promtool is not installed.
std::string PromtoolCheck(const std::string& body, bool* ran) {
  *ran = false;
  if (std::system("command -v promtool >/dev/null 2>&1") != 0) return "";
  test::TempDir dir;
  const std::string file = dir.path() + "/metrics.txt";
  FILE* f = std::fopen(file.c_str(), "w");
  std::fwrite(body.data(), 1, body.size(), f);
  std::fclose(f);
  const std::string out = dir.path() + "/out.txt";
  *ran = true;
  const int rc = std::system(("promtool check metrics < " + file + " > " + out + " 2>&1").c_str());
  return rc == 0 ? "" : "promtool check metrics failed: " + test::FileText(out);
}

TEST_F(RuntimeMetricsTest, ScrapeHasKafkaStateProcessAndBuildFamiliesWithPlausibleValues) {
  ProduceInputs(20);
  auto runner = MakeRunner(Options("voc-test"));
  ASSERT_NE(runner, nullptr);
  const int port = runner->http_port();
  RunningService service(*runner);
  ASSERT_TRUE(test::WaitFor([&] { return test::MetricValue(*registry_, "voc_records_produced_total") >= 20; }, 30s));

  // The families that come with statistics, state gauges and the first checkpoint.
  std::vector<metrics::Sample> m;
  std::string body;
  const std::vector<std::string> families = {
      "voc_kafka_broker_rtt_avg_seconds", "voc_kafka_broker_rtt_p99_seconds", "voc_kafka_broker_outbuf_requests",
      "voc_kafka_broker_waitresp_requests", "voc_kafka_broker_up", "voc_kafka_broker_errors_total",
      "voc_kafka_broker_retries_total", "voc_kafka_rebalances_total", "voc_kafka_assigned_partitions",
      "voc_kafka_producer_queue_messages", "voc_state_pending_compaction_bytes", "voc_state_live_sst_bytes",
      "voc_state_memtable_bytes", "voc_state_write_stopped", "voc_state_delayed_write_rate_bytes",
      "voc_state_write_stall_seconds_total", "voc_state_write_stalls_total", "voc_state_disk_bytes",
      "process_cpu_seconds_total", "process_resident_memory_bytes", "process_virtual_memory_bytes",
      "process_open_fds", "process_max_fds", "process_start_time_seconds", "voc_process_peak_resident_memory_bytes",
      "voc_process_resident_memory_bytes", "voc_build_info", "voc_consumer_lag", "voc_consumer_lag_seconds"};
  std::string missing;
  const bool all = test::WaitFor(
      [&] {
        body = metrics::HttpGet(port, "/metrics").body;
        m = metrics::ParseExposition(body);
        missing.clear();
        for (const auto& f : families) {
          if (Values(m, f).empty()) missing += " " + f;
        }
        // Both clients have had a broker round trip, and statistics since the assignment came.
        for (const char* client : {"client=\"consumer\"", "client=\"producer\""}) {
          if (Values(m, "voc_kafka_broker_rtt_avg_seconds", {client}).empty()) missing += std::string(" rtt of ") + client;
        }
        if (Values(m, "voc_kafka_assigned_partitions", {"client=\"consumer\""}) != std::vector<double>{1}) {
          missing += " statistics since the assignment";
        }
        return missing.empty();
      },
      30s);
  ASSERT_TRUE(all) << "missing from /metrics:" << missing << "\n" << body;

  for (const char* client : {"client=\"consumer\"", "client=\"producer\""}) {
    for (double rtt : Values(m, "voc_kafka_broker_rtt_avg_seconds", {client})) {
      EXPECT_GT(rtt, 0) << client;
      EXPECT_LT(rtt, 5) << client;
    }
    for (double up : Values(m, "voc_kafka_broker_up", {client})) EXPECT_EQ(up, 1) << client;
    // One broker: its name labels each broker series, and no bootstrap entry appears.
    EXPECT_EQ(Values(m, "voc_kafka_broker_up", {client}).size(), 1u) << client;
  }
  for (double p99 : Values(m, "voc_kafka_broker_rtt_p99_seconds")) EXPECT_GT(p99, 0);
  for (double n : Values(m, "voc_kafka_broker_errors_total")) EXPECT_GE(n, 0);
  EXPECT_EQ(Values(m, "voc_kafka_broker_errors_total").size(), 6u) << "tx, rx, timeout for each client";
  EXPECT_GE(Values(m, "voc_kafka_rebalances_total", {"client=\"consumer\""}).at(0), 1) << "it joined the group";
  EXPECT_EQ(Values(m, "voc_kafka_assigned_partitions", {"client=\"consumer\""}).at(0), 1);
  EXPECT_GE(Values(m, "voc_kafka_producer_queue_messages").at(0), 0);

  EXPECT_GT(Values(m, "voc_state_memtable_bytes").at(0), 0);
  EXPECT_GT(Values(m, "voc_state_disk_bytes").at(0), 0);
  EXPECT_EQ(Values(m, "voc_state_write_stopped").at(0), 0);
  EXPECT_EQ(Values(m, "voc_state_delayed_write_rate_bytes").at(0), 0);
  EXPECT_EQ(Values(m, "voc_state_write_stalls_total").size(), 2u) << "kind stop and slowdown";

  EXPECT_GT(Values(m, "process_cpu_seconds_total").at(0), 0);
  const double rss = Values(m, "process_resident_memory_bytes").at(0);
  EXPECT_GT(rss, 1 << 20);
  EXPECT_GE(Values(m, "process_virtual_memory_bytes").at(0), rss);
  EXPECT_GE(Values(m, "voc_process_peak_resident_memory_bytes").at(0), rss);
  EXPECT_GT(Values(m, "process_open_fds").at(0), 3);
  EXPECT_LE(Values(m, "process_open_fds").at(0), Values(m, "process_max_fds").at(0));
  const double started = Values(m, "process_start_time_seconds").at(0);
  EXPECT_LE(started, static_cast<double>(std::time(nullptr)) + 1);
  EXPECT_GT(started, static_cast<double>(std::time(nullptr)) - 3600) << "this test process started within the hour";

  const std::string version = "version=\"" + std::string(metrics::BuildVersion()) + "\"";
  ASSERT_EQ(Values(m, "voc_build_info", {version, "revision=\""}).size(), 1u) << body;
  EXPECT_EQ(Values(m, "voc_build_info").at(0), 1);
  EXPECT_NE(metrics::BuildVersion(), "unknown");

  // Caught up: 0 records and 0 seconds behind.
  ASSERT_TRUE(test::WaitFor(
      [&] {
        m = metrics::ParseExposition(metrics::HttpGet(port, "/metrics").body);
        return Values(m, "voc_consumer_lag", {"topic=\"in\""}) == std::vector<double>{0} &&
               Values(m, "voc_consumer_lag_seconds", {"topic=\"in\""}) == std::vector<double>{0};
      },
      10s));

  bool ran = false;
  EXPECT_EQ(PromtoolCheck(body, &ran), "");
  if (!ran) std::printf("promtool not installed: exposition not linted\n");
  ASSERT_TRUE(service.Stop().ok());
}

// While records wait, lag in seconds is the age of the last record read, and it goes
// back to 0 once the partition is caught up.
TEST_F(RuntimeMetricsTest, LagSecondsGrowsWhileBehindAndIsZeroWhenCaughtUp) {
  ProduceInputs(60);
  auto options = Options("");
  options.batch_max_records = 1;
  auto runner = MakeRunner(options, 100ms);  // 6 s for the backlog
  ASSERT_NE(runner, nullptr);
  RunningService service(*runner);
  const std::map<std::string, std::string> in = {{"topic", "in"}, {"partition", "0"}};
  double seconds = 0, records = 0;
  EXPECT_TRUE(test::WaitFor(
      [&] {
        records = test::MetricValue(*registry_, "voc_consumer_lag", in);
        seconds = test::MetricValue(*registry_, "voc_consumer_lag_seconds", in);
        return records > 0 && seconds >= 1.5;
      },
      20s))
      << "lag " << records << " records, " << seconds << " s";
  EXPECT_LT(seconds, 30) << "the records were produced just now";
  EXPECT_TRUE(test::WaitFor(
      [&] {
        records = test::MetricValue(*registry_, "voc_consumer_lag", in);
        seconds = test::MetricValue(*registry_, "voc_consumer_lag_seconds", in);
        return records == 0 && seconds == 0;
      },
      30s))
      << "lag " << records << " records, " << seconds << " s";
  ASSERT_TRUE(service.Stop().ok());
}

// Series of `name` in the registry whose labels include topic="in".
size_t SeriesOfInput(prometheus::Registry& registry, const std::string& name) {
  size_t n = 0;
  for (const auto& family : registry.Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) n += label.name == "topic" && label.value == "in";
    }
  }
  return n;
}

// Kafka 0.9 keeps no record timestamps (every record reads -1): lag in seconds would be
// garbage, so there is none, behind or caught up, while lag in records is there; and
// librdkafka's statistics work against that broker too.
// A stateful service stopped at offset 5 comes back after the broker dropped the start of
// its input (the embedded broker keeps 5 MiB a partition): it says how many records it
// lost, on the partition they were lost from, and reads on from the log's start.
TEST_F(RuntimeMetricsTest, RecordsThatFellOffTheLogWhileStoppedAreCountedByTopicAndPartition) {
  ProduceInputs(5);
  {
    auto runner = MakeRunner(Options("voc-test"));
    ASSERT_NE(runner, nullptr);
    RunningService service(*runner);
    ASSERT_TRUE(test::WaitFor([&] { return test::MetricValue(*registry_, "voc_records_consumed_total") >= 5; }, 30s));
    ASSERT_TRUE(service.Stop().ok());  // a stop checkpoints offset 5 with the state
  }
  const TopicPartition in{"in", PartitionId(0)};
  {
    auto producer = kafka::Producer::Create({.client = {broker_->bootstrap_servers()}});
    ASSERT_TRUE(producer.ok());
    const std::string value(64 << 10, 'x');
    for (int i = 0; i < 120; ++i) ASSERT_TRUE((*producer)->ProduceTo("in", PartitionId(0), "big", value).ok());
    ASSERT_TRUE((*producer)->Flush(20s).ok());
  }
  auto marks = kafka::Watermarks({broker_->bootstrap_servers()}, in, 5s);
  ASSERT_TRUE(marks.ok()) << marks.status().ToString();
  const int64_t low = marks->first.value, high = marks->second.value;
  ASSERT_GT(low, 5) << "the broker kept offset 5: the test proves nothing";
  ASSERT_EQ(high, 125);

  auto runner = MakeRunner(Options("voc-test"));
  ASSERT_NE(runner, nullptr);
  const int port = runner->http_port();
  RunningService service(*runner);
  ASSERT_TRUE(test::WaitFor(
      [&] { return test::MetricValue(*registry_, "voc_records_consumed_total") >= static_cast<double>(5 + high - low); },
      30s))
      << "reading did not go on from the log's start";
  const auto m = metrics::ParseExposition(metrics::HttpGet(port, "/metrics").body);
  EXPECT_EQ(Values(m, "voc_records_lost_total", {"topic=\"in\"", "partition=\"0\""}),
            std::vector<double>{static_cast<double>(low - 5)});
  EXPECT_EQ(Values(m, "voc_records_lost_total").size(), 1u) << "only the partition that lost records has a series";
  EXPECT_EQ(test::MetricValue(*registry_, "voc_records_consumed_total"), static_cast<double>(5 + high - low));
}

// The same for a table's rows: a service stopped after reading 5 rows of its table comes
// back after the broker dropped the table's first rows; it counts them lost on the
// table's partition and reads the table on from the log's start.
TEST_F(RuntimeMetricsTest, TableRowsThatFellOffTheLogWhileStoppedAreCountedByTopicAndPartition) {
  ASSERT_TRUE(broker_->CreateTopic("table", 1).ok());
  const TopicPartition table{"table", PartitionId(0)};
  auto produce_rows = [&](int n, const std::string& value) {
    auto producer = kafka::Producer::Create({.client = {broker_->bootstrap_servers()}});
    ASSERT_TRUE(producer.ok());
    for (int i = 0; i < n; ++i) ASSERT_TRUE((*producer)->ProduceTo("table", PartitionId(0), "row", value).ok());
    ASSERT_TRUE((*producer)->Flush(20s).ok());
  };
  produce_rows(5, "1");
  auto make_runner = [&] {
    auto runner = ServiceRunner::Create(Options("voc-test"), std::make_unique<TableProcessor>(), registry_);
    EXPECT_TRUE(runner.ok()) << runner.status().ToString();
    return runner.ok() ? std::move(runner).value() : nullptr;
  };
  {
    auto runner = make_runner();
    ASSERT_NE(runner, nullptr);
    RunningService service(*runner);
    ASSERT_TRUE(test::WaitFor([&] { return test::MetricValue(*registry_, "voc_ready") == 1; }, 30s))
        << "the table was not read";
    ASSERT_TRUE(service.Stop().ok());  // a stop checkpoints the table's offset 5 with the state
  }
  produce_rows(120, std::string(64 << 10, '0'));  // 7.5 MiB of rows that count 0
  auto marks = kafka::Watermarks({broker_->bootstrap_servers()}, table, 5s);
  ASSERT_TRUE(marks.ok()) << marks.status().ToString();
  const int64_t low = marks->first.value;
  ASSERT_GT(low, 5) << "the broker kept offset 5: the test proves nothing";

  auto runner = make_runner();
  ASSERT_NE(runner, nullptr);
  const int port = runner->http_port();
  RunningService service(*runner);
  std::vector<metrics::Sample> m;
  ASSERT_TRUE(test::WaitFor(
      [&] {
        m = metrics::ParseExposition(metrics::HttpGet(port, "/metrics").body);
        return !Values(m, "voc_records_lost_total").empty() && Values(m, "voc_ready") == std::vector<double>{1};
      },
      30s))
      << "no loss reported, or the table was not read to its end";
  EXPECT_EQ(Values(m, "voc_records_lost_total", {"topic=\"table\"", "partition=\"0\""}),
            std::vector<double>{static_cast<double>(low - 5)});
  EXPECT_EQ(Values(m, "voc_records_lost_total").size(), 1u);
}

TEST(RuntimeMetricsRealKafka, NoLagSecondsWhereTheBrokerKeepsNoTimestamps) {
  auto broker = test::RealKafka::Start();
  ASSERT_TRUE(broker.ok()) << broker.status().ToString();
  ASSERT_TRUE((*broker)->CreateTopics({{"in", 1}, {"out", 1}, {"dlq", 1}}).ok());
  {
    auto producer = kafka::Producer::Create({.client = (*broker)->client()});
    ASSERT_TRUE(producer.ok()) << producer.status().ToString();
    for (int i = 0; i < 40; ++i) ASSERT_TRUE((*producer)->Produce("in", test::Numbered("k", i), "v").ok());
    ASSERT_TRUE((*producer)->Flush(30s).ok());
  }
  test::TempDir dir;
  RuntimeOptions o;
  o.service = "voc-test";
  o.kafka = (*broker)->client();
  o.kafka.properties["statistics.interval.ms"] = "200";
  o.input_topics = {"in"};
  o.dead_letter_topic = "dlq";
  o.state.path = dir.path() + "/state";
  o.state.block_cache_bytes = 8 << 20;
  o.state.write_buffer_bytes = 8 << 20;
  o.batch_max_wait = 20ms;
  o.batch_max_records = 1;
  auto registry = std::make_shared<prometheus::Registry>();
  auto runner = ServiceRunner::Create(std::move(o), std::make_unique<CountingProcessor>(100ms), registry);
  ASSERT_TRUE(runner.ok()) << runner.status().ToString();
  RunningService service(**runner);
  bool behind_seen = false;
  ASSERT_TRUE(test::WaitFor(
      [&] {
        if (test::MetricValue(*registry, "voc_consumer_lag", {{"topic", "in"}}) > 0) {
          behind_seen = true;
          EXPECT_EQ(SeriesOfInput(*registry, "voc_consumer_lag_seconds"), 0u) << "lag in seconds while behind";
        }
        return behind_seen && test::MetricValue(*registry, "voc_records_produced_total") >= 40;
      },
      60s))
      << "behind seen: " << behind_seen;
  ASSERT_TRUE(test::WaitFor([&] { return test::MetricValue(*registry, "voc_consumer_lag", {{"topic", "in"}}) == 0; },
                            10s));
  EXPECT_EQ(SeriesOfInput(*registry, "voc_consumer_lag"), 1u);
  EXPECT_EQ(SeriesOfInput(*registry, "voc_consumer_lag_seconds"), 0u) << "lag in seconds when caught up";
  EXPECT_TRUE(test::WaitFor(
      [&] {
        return test::MetricValue(*registry, "voc_kafka_broker_rtt_avg_seconds", {{"client", "consumer"}}) > 0 &&
               test::MetricValue(*registry, "voc_kafka_broker_rtt_avg_seconds", {{"client", "producer"}}) > 0;
      },
      10s))
      << "no round trips from librdkafka's statistics on Kafka 0.9";
  ASSERT_TRUE(service.Stop().ok());
}

}  // namespace
}  // namespace voc::runtime
