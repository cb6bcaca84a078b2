// The HTTP endpoint: /metrics in the Prometheus text format (the registry's and the
// collectables read at each scrape), /healthz, /readyz, routes.
#include "common/metrics/http_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/metric_family.h>
#include <prometheus/registry.h>

#include <atomic>
#include <cmath>
#include <vector>

#include "common/metrics/process_collector.h"
#include "common/metrics/process_metrics.h"
#include "tests/runtime/test_util.h"

namespace voc::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    health_ = std::make_shared<Health>();
    auto server = HttpServer::Start("127.0.0.1:0", registry_, health_);
    ASSERT_TRUE(server.ok()) << server.status().ToString();
    server_ = std::move(server).value();
    ASSERT_GT(server_->port(), 0);
  }

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<Health> health_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, ServesMetricsInPrometheusTextFormat) {
  auto& family = prometheus::BuildCounter().Name("voc_test_events_total").Help("Events.").Register(*registry_);
  family.Add({{"kind", "a"}}).Increment(3);
  auto reply = metrics::HttpGet(server_->port(), "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_THAT(reply.content_type, StartsWith("text/plain; version=0.0.4"));
  EXPECT_THAT(reply.body, HasSubstr("# TYPE voc_test_events_total counter"));
  EXPECT_THAT(reply.body, HasSubstr("voc_test_events_total{kind=\"a\"} 3"));

  // Scrapes see live values.
  family.Add({{"kind", "a"}}).Increment();
  EXPECT_THAT(metrics::HttpGet(server_->port(), "/metrics").body, HasSubstr("voc_test_events_total{kind=\"a\"} 4"));
}

TEST_F(HttpServerTest, AScrapeReadsBackEverySeriesWithItsLabels) {
  auto& events = prometheus::BuildCounter().Name("voc_test_events_total").Help("Events.").Register(*registry_);
  events.Add({{"kind", "a"}, {"topic", "voc.raw"}}).Increment(3);
  events.Add({{"kind", "ab"}, {"topic", "voc.raw.tickets"}}).Increment(4);
  events.Add({{"kind", "b"}, {"topic", "with \"quotes\", a brace } and spaces"}}).Increment(5);
  auto samples = Scrape(server_->port());
  ASSERT_TRUE(samples.has_value());
  EXPECT_EQ(SampleSum(*samples, "voc_test_events_total"), 12);
  EXPECT_EQ(SampleSum(*samples, "voc_test_events_total", {{"kind", "a"}}), 3) << "a label's value matches whole";
  EXPECT_EQ(SampleSum(*samples, "voc_test_events_total", {{"topic", "voc.raw.tickets"}, {"kind", "ab"}}), 4);
  EXPECT_EQ(SampleSum(*samples, "voc_test_events_total", {{"kind", "c"}}), -1);
  EXPECT_EQ(SampleSum(*samples, "voc_test_events", {}), -1) << "a name matches whole";
  EXPECT_FALSE(Scrape(metrics::FreePort()).has_value()) << "nothing listening";
}

// What a scrape cannot read as a sample (a line cut short, a label set left open, a value
// that is not a number) is skipped, and the lines after it are still read; timestamps
// and the exposition's special values are read as the format writes them.
TEST(ParseExposition, SkipsLinesItCannotReadAndKeepsTheRest) {
  const auto samples = metrics::ParseExposition(
      "# HELP voc_a_total A.\n"
      "# TYPE voc_a_total counter\n"
      "voc_a_total{kind=\"x\"} 2 1700000000000\n"
      "voc_cut_short\n"
      "voc_open{kind=\"x\" 5\n"
      "voc_not_a_number{kind=\"y\"} many\n"
      "\n"
      "voc_b +Inf\n"
      "voc_a_total{kind=\"z\"} 3");
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].name, "voc_a_total");
  EXPECT_EQ(samples[0].labels, "kind=\"x\"");
  EXPECT_EQ(samples[0].value, 2) << "the timestamp is not the value";
  EXPECT_EQ(samples[1].name, "voc_b");
  EXPECT_TRUE(std::isinf(samples[1].value));
  EXPECT_EQ(metrics::SampleSum(samples, "voc_a_total"), 5) << "the last line, without a newline, is read";
}

TEST_F(HttpServerTest, HealthzAnswersWhileTheLoopBeats) {
  health_->Beat();
  auto reply = metrics::HttpGet(server_->port(), "/healthz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "ok\n");
}

TEST_F(HttpServerTest, ReadyzIs503UntilReady) {
  auto reply = metrics::HttpGet(server_->port(), "/readyz");
  EXPECT_EQ(reply.status, 503);
  health_->SetReady(true);
  reply = metrics::HttpGet(server_->port(), "/readyz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "ready\n");
  health_->SetReady(false);
  EXPECT_EQ(metrics::HttpGet(server_->port(), "/readyz").status, 503);
}

TEST_F(HttpServerTest, AddedRouteGetsTheQueryString) {
  server_->AddRoute("/windows", [](const std::string& query) {
    return HttpResponse{200, "application/json", "{\"query\":\"" + query + "\"}"};
  });
  auto reply = metrics::HttpGet(server_->port(), "/windows?theme=billing");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/json");
  EXPECT_EQ(reply.body, R"({"query":"theme=billing"})");
}

// A collectable added to the server is read at each scrape, not at a refresh of its own:
// what the process metrics rely on to show the moment's values.
TEST_F(HttpServerTest, AddedCollectableIsReadAtEveryScrape) {
  class Scrapes final : public prometheus::Collectable {
   public:
    std::vector<prometheus::MetricFamily> Collect() const override {
      prometheus::MetricFamily family{"voc_test_scrapes_total", "Scrapes seen.", prometheus::MetricType::Counter, {}};
      prometheus::ClientMetric metric;
      metric.counter.value = static_cast<double>(++count_);
      family.metric.push_back(metric);
      return {family};
    }

   private:
    mutable std::atomic<int> count_{0};
  };
  server_->AddCollectable(std::make_shared<Scrapes>());
  prometheus::BuildCounter().Name("voc_test_events_total").Help("Events.").Register(*registry_).Add({}).Increment();
  auto body = metrics::HttpGet(server_->port(), "/metrics").body;
  EXPECT_THAT(body, HasSubstr("voc_test_events_total 1"));
  EXPECT_THAT(body, HasSubstr("# TYPE voc_test_scrapes_total counter\nvoc_test_scrapes_total 1\n"));
  EXPECT_THAT(metrics::HttpGet(server_->port(), "/metrics").body, HasSubstr("voc_test_scrapes_total 2\n"));
}

// The standard process metrics, read from /proc at each scrape with the labels given.
TEST_F(HttpServerTest, ServesProcessMetricsReadAtScrapeTime) {
  server_->AddCollectable(std::make_shared<ProcessCollector>(prometheus::Labels{{"service", "voc-test"}}));
  const auto body = metrics::HttpGet(server_->port(), "/metrics").body;
  for (const char* family : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                             "process_virtual_memory_bytes", "process_open_fds", "process_max_fds",
                             "process_start_time_seconds", "voc_process_peak_resident_memory_bytes"}) {
    EXPECT_THAT(body, HasSubstr(std::string(family) + "{service=\"voc-test\"} ")) << family;
  }
  EXPECT_THAT(body, HasSubstr("# TYPE process_cpu_seconds_total counter"));
  // A resident size taken now, and again after 64 MiB more is touched.
  const ProcessStats before = ReadProcessStats();
  ASSERT_GT(before.resident_bytes, 0);
  std::vector<char> block(64 << 20, 1);
  const ProcessStats after = ReadProcessStats();
  EXPECT_GT(after.resident_bytes, before.resident_bytes + (48 << 20)) << "read when asked, not cached";
  EXPECT_GE(after.peak_resident_bytes, after.resident_bytes);
  EXPECT_GE(after.cpu_seconds, before.cpu_seconds);
  EXPECT_EQ(block[block.size() / 2], 1);
}

TEST(HttpServer, BusyPortFailsNamingTheAddress) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto health = std::make_shared<Health>();
  auto first = HttpServer::Start("127.0.0.1:0", registry, health);
  ASSERT_TRUE(first.ok());
  const std::string listen = test::Numbered("127.0.0.1:", (*first)->port());
  auto second = HttpServer::Start(listen, registry, health);
  ASSERT_FALSE(second.ok());
  EXPECT_THAT(second.status().message(), HasSubstr(listen));
}

}  // namespace
}  // namespace voc::metrics
