// What only a real Kafka broker shows: a property set once in kafka.client reaches every
// client handle of every service (the customer table's reader and the metadata queries
// included), and a broker error that waiting cannot heal is one log line naming the
// setting and a readiness reason, not a silent retry loop.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <thread>

#include "tests/e2e/child_process.h"
#include "tests/e2e/e2e_util.h"
#include "tests/runtime/real_kafka.h"
#include "tests/runtime/test_util.h"

namespace voc {
namespace {

using namespace std::chrono_literals;

class RealBroker : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    broker_ = new test::E2eBroker(test::StartBroker(test::BrokerKind::kReal, 2));
  }
  static void TearDownTestSuite() {
    delete broker_;
    broker_ = nullptr;
  }
  void SetUp() override { ASSERT_FALSE(broker_->client.bootstrap_servers.empty()) << "the real broker did not start"; }

  // A service against the real broker with its two client properties in kafka.client
  // only, /readyz on `port`, logging to <dir>/<name>.log.
  std::unique_ptr<test::ChildProcess> Service(const std::string& name, int port,
                                              std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"--set", "kafka.bootstrap_servers=" + broker_->client.bootstrap_servers,
                                     "--set", "service.http_listen=127.0.0.1:" + std::to_string(port),
                                     "--set", "state.dir=" + dir_.path() + "/" + name};
    for (const auto& [key, value] : broker_->client.properties) {
      args.insert(args.end(), {"--set", "kafka.client." + key + "=" + value});
    }
    args.insert(args.end(), extra.begin(), extra.end());
    auto child = std::make_unique<test::ChildProcess>(test::ServiceBinary(name), args, Log(name));
    EXPECT_TRUE(child->Start()) << name;
    return child;
  }
  std::string Log(const std::string& name) const { return dir_.path() + "/" + name + ".log"; }

  static size_t Count(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }

  static test::E2eBroker* broker_;
  test::TempDir dir_;
};

test::E2eBroker* RealBroker::broker_ = nullptr;

// The 0.9 broker has no ApiVersions request: a handle that misses the two properties
// never talks to it. voc-enrich has the most handles (consumer, producer, the customer
// table's reader, its metadata and watermark queries); every service must get ready.
TEST_F(RealBroker, EveryServiceGetsReadyWithTheBrokerPropertiesSetOnceInKafkaClient) {
  std::map<std::string, std::pair<int, std::unique_ptr<test::ChildProcess>>> services;
  for (const char* name : {"voc-ingest", "voc-enrich", "voc-aggregate"}) {
    const int port = metrics::FreePort();
    services[name] = {port, Service(name, port)};
  }
  for (auto& [name, service] : services) {
    const int port = service.first;
    EXPECT_TRUE(test::WaitFor([&] { return metrics::HttpGet(port, "/readyz").status == 200; }, 60s))
        << name << " never got ready: " << metrics::HttpGet(port, "/readyz").body << test::FileText(Log(name));
  }
  for (auto& [name, service] : services) EXPECT_EQ(service.second->Terminate(), 0) << name;
}

// librdkafka's default session timeout (45 s) is above what brokers before 2.3 accept.
TEST_F(RealBroker, RefusedSessionTimeoutIsOneLogLineAndAReadinessReasonNamingTheSetting) {
  const int port = metrics::FreePort();
  auto ingest = Service("voc-ingest", port, {"--set", "kafka.consumer.session.timeout.ms=45000"});
  std::string reason;
  EXPECT_TRUE(test::WaitFor(
      [&] {
        reason = metrics::HttpGet(port, "/readyz").body;
        return reason.find("session.timeout.ms") != std::string::npos;
      },
      30s))
      << "readiness: " << reason;
  EXPECT_EQ(metrics::HttpGet(port, "/readyz").status, 503);
  // The broker refuses every JoinGroup (every couple of seconds): still one line.
  std::this_thread::sleep_for(5s);
  const std::string log = test::FileText(Log("voc-ingest"));
  EXPECT_EQ(Count(log, "kafka.consumer.session.timeout.ms"), 1u) << log;
  EXPECT_EQ(ingest->Terminate(), 0);
}

// The real broker does not create topics on demand (auto.create.topics.enable=false).
TEST_F(RealBroker, MissingInputTopicIsNamedInTheReadinessReason) {
  const int port = metrics::FreePort();
  auto ingest = Service("voc-ingest", port, {"--set", "ingest.inputs=no.such.topic:ticket:json"});
  std::string reason;
  EXPECT_TRUE(test::WaitFor(
      [&] {
        reason = metrics::HttpGet(port, "/readyz").body;
        return reason.find("does not exist") != std::string::npos;
      },
      30s))
      << "readiness: " << reason << test::FileText(Log("voc-ingest"));
  EXPECT_EQ(ingest->Terminate(), 0);
}

// vocctl reaches the old broker with the two properties as -X flags, and a topic the
// cluster does not have is an error (the embedded broker creates any topic it is asked
// about, so only a real one shows this).
TEST_F(RealBroker, VocctlProducesAndTailsWithDashXAndRefusesAMissingTopic) {
  const std::string vocctl = std::string(VOC_BINARY_DIR) + "/tools/vocctl/vocctl";
  std::vector<std::string> x;
  for (const auto& [key, value] : broker_->client.properties) x.insert(x.end(), {"-X", key + "=" + value});
  const std::string input = dir_.path() + "/one.jsonl";
  {
    std::ofstream(input) << R"({"customer_id":"vocctl-1","ticket_id":"T-1"})" << "\n";
  }
  const auto run = [&](std::vector<std::string> args, const std::string& name) {
    args.insert(args.end(), x.begin(), x.end());
    test::ChildProcess child(vocctl, args, Log(name));
    EXPECT_TRUE(child.Start());
    int exit_code = -1;
    EXPECT_TRUE(test::WaitFor([&] { return child.Exited(&exit_code); }, 60s)) << name << " did not end";
    return exit_code;
  };
  const std::string& bs = broker_->client.bootstrap_servers;
  EXPECT_EQ(run({"produce", "-b", bs, "-t", broker_->topics.raw_tickets, "-i", input}, "produce"), 0)
      << test::FileText(Log("produce"));
  EXPECT_EQ(run({"tail", "-b", bs, "-t", broker_->topics.raw_tickets, "--exit-when-idle", "2s"}, "tail"), 0);
  EXPECT_NE(test::FileText(Log("tail")).find("vocctl-1"), std::string::npos) << test::FileText(Log("tail"));
  EXPECT_EQ(run({"tail", "-b", bs, "-t", "no.such.topic", "--type", "dlq"}, "missing"), 1);
  EXPECT_NE(test::FileText(Log("missing")).find("topic no.such.topic does not exist"), std::string::npos)
      << test::FileText(Log("missing"));
}

}  // namespace
}  // namespace voc
