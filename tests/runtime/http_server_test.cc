// The HTTP endpoint: /metrics in the Prometheus text format, /healthz, /readyz, routes.
#include "common/metrics/http_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

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
  auto reply = test::HttpGet(server_->port(), "/metrics");
  EXPECT_EQ(reply.status, 200);
  EXPECT_THAT(reply.content_type, StartsWith("text/plain; version=0.0.4"));
  EXPECT_THAT(reply.body, HasSubstr("# TYPE voc_test_events_total counter"));
  EXPECT_THAT(reply.body, HasSubstr("voc_test_events_total{kind=\"a\"} 3"));

  // Scrapes see live values.
  family.Add({{"kind", "a"}}).Increment();
  EXPECT_THAT(test::HttpGet(server_->port(), "/metrics").body, HasSubstr("voc_test_events_total{kind=\"a\"} 4"));
}

TEST_F(HttpServerTest, HealthzAnswersWhileTheLoopBeats) {
  health_->Beat();
  auto reply = test::HttpGet(server_->port(), "/healthz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "ok\n");
}

TEST_F(HttpServerTest, ReadyzIs503UntilReady) {
  auto reply = test::HttpGet(server_->port(), "/readyz");
  EXPECT_EQ(reply.status, 503);
  health_->SetReady(true);
  reply = test::HttpGet(server_->port(), "/readyz");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.body, "ready\n");
  health_->SetReady(false);
  EXPECT_EQ(test::HttpGet(server_->port(), "/readyz").status, 503);
}

TEST_F(HttpServerTest, AddedRouteGetsTheQueryString) {
  server_->AddRoute("/windows", [](const std::string& query) {
    return HttpResponse{200, "application/json", "{\"query\":\"" + query + "\"}"};
  });
  auto reply = test::HttpGet(server_->port(), "/windows?theme=billing");
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "application/json");
  EXPECT_EQ(reply.body, R"({"query":"theme=billing"})");
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
