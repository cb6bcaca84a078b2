// The services under a small memory budget (service.memory_budget_mb) stay under it on a
// stream whose state outgrows it: the caches are sized from the budget and counted by
// what their decoded values hold, librdkafka's buffers are bounded in records as well as
// bytes, checkpoints come early when unwritten entries grow, and the memory guard sheds
// the caches when the resident size nears the budget. Each service runs as a real process
// and drains a backlog of many customers over 30 days of event time, its resident size
// read from /proc every 20 ms.
//
// voc-aggregate's peak is 115-144 MiB under 160 MiB: 170-202 MiB before closing windows
// were emitted as they close and batches ended within a poll of the caches passing their
// budget, 441-466 MiB before the caches counted decoded sizes and librdkafka's record bounds.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "tests/e2e/child_process.h"
#include "tests/e2e/e2e_util.h"
#include "tests/runtime/test_util.h"
#include "tools/gen/generator.h"
#include "voc/v1/theme.pb.h"

namespace voc {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint64_t kMiB = 1 << 20;

uint64_t ResidentBytesOf(pid_t pid) {
  std::ifstream statm("/proc/" + std::to_string(pid) + "/statm");
  uint64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
}

uint64_t DiskBytes(const std::string& folder) {
  uint64_t bytes = 0;
  for (const auto& f : std::filesystem::recursive_directory_iterator(folder)) {
    if (f.is_regular_file()) bytes += f.file_size();
  }
  return bytes;
}

TEST(MemoryBudget, AggregateUnderASmallBudgetStaysUnderItWhileItsStateOutgrowsIt) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's shadow memory and quarantine are resident too: no budget holds under it";
#endif
  constexpr int kBudgetMb = 160;
  constexpr int kMentions = 300'000;
  test::TempDir dir;
  auto broker = test::StartBroker(test::BrokerKind::kEmbedded, 32);
  ASSERT_FALSE(broker.client.bootstrap_servers.empty());
  auto producer = kafka::Producer::Create({.client = broker.client, .properties = {{"linger.ms", "20"}}});
  ASSERT_TRUE(producer.ok()) << producer.status().ToString();

  test::ChildProcess aggregate(
      test::ServiceBinary("voc-aggregate"),
      {"--set", "kafka.bootstrap_servers=" + broker.client.bootstrap_servers, "--set", "service.http_listen=127.0.0.1:0",
       "--set", "service.memory_budget_mb=" + std::to_string(kBudgetMb), "--set", "state.dir=" + dir.path() + "/state",
       "--set", "aggregate.emit_interval=1s"},
      dir.path() + "/voc-aggregate.log");
  ASSERT_TRUE(aggregate.Start());

  // 20,000 customers, 24 themes, 30 days: accounts and windows far beyond what the
  // budget's caches hold (the state ends at several hundred MiB decoded).
  std::atomic<uint64_t> peak{0};
  std::jthread sampler([&](const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      peak = std::max<uint64_t>(peak, ResidentBytesOf(aggregate.pid()));
      std::this_thread::sleep_for(milliseconds(20));
    }
  });
  constexpr int64_t kT0 = 1'793'491'200'000;  // 2026-11-01
  voc::v1::ThemeMention m;
  std::string bytes;
  for (int64_t i = 0; i < kMentions; ++i) {
    m.Clear();
    m.set_schema_version(1);
    std::string theme = "theme.";
    theme += std::to_string(i % 24);
    m.set_theme_id(theme);
    m.set_feedback_id(test::Numbered("feedback-", i));
    m.set_revision(1);
    m.set_channel(static_cast<voc::v1::Channel>(1 + i % 3));
    m.set_customer_id(test::Numbered("customer-", (i * 7919) % 20'000));
    m.set_event_time_ms(kT0 + static_cast<int64_t>(i) * 30 * 86'400'000LL / kMentions);
    m.set_sentiment_scored(true);
    m.set_sentiment((i % 5) / 2.0 - 1.0);
    m.set_nps(i % 11);
    m.set_arr(1000 + i % 977);
    m.set_segment(i % 2 ? "enterprise" : "smb");
    m.set_app_version(i % 3 ? "4.1.0" : "4.2.0");
    m.SerializeToString(&bytes);
    ASSERT_TRUE((*producer)->Produce(broker.topics.mentions, m.theme_id() + "/" + std::to_string(i % 97), bytes).ok());
    if (i % 20'000 == 19'999) {
      ASSERT_TRUE((*producer)->Flush(seconds(30)).ok());
    }
  }
  ASSERT_TRUE((*producer)->Flush(seconds(30)).ok());
  const std::string lag = test::AwaitCaughtUp(broker.client, "voc-aggregate", {broker.topics.mentions}, seconds(240));
  sampler.request_stop();
  sampler.join();
  EXPECT_EQ(lag, "") << "voc-aggregate did not drain the stream; its log: " << dir.path() << "/voc-aggregate.log";
  EXPECT_GT(peak.load(), 40 * kMiB) << "the process never held any state: the test proves nothing";
  EXPECT_LE(peak.load(), static_cast<uint64_t>(kBudgetMb) * kMiB)
      << "peak resident size " << peak.load() / kMiB << " MiB over a budget of " << kBudgetMb << " MiB";
  std::cerr << "voc-aggregate under a " << kBudgetMb << " MiB budget: peak resident " << peak.load() / kMiB
            << " MiB over " << kMentions << " mentions\n";
  EXPECT_EQ(aggregate.Terminate(), 0);
}

// voc-ingest and voc-enrich under the same budget, on generated feedback of 20,000
// customers over 30 days: voc-enrich's dedupe and near-duplicate indexes and customer
// table outgrow what its caches hold (70 MiB on disk, compressed, against a 30 MiB share);
// voc-ingest holds no state, only its librdkafka queues. Peaks: voc-enrich 138-141 MiB,
// voc-ingest 35 MiB.
TEST(MemoryBudget, IngestAndEnrichUnderASmallBudgetStayUnderItWhileTheirStateOutgrowsIt) {
#if defined(__SANITIZE_ADDRESS__)
  GTEST_SKIP() << "AddressSanitizer's shadow memory and quarantine are resident too: no budget holds under it";
#endif
  constexpr int kBudgetMb = 160;
  test::TempDir dir;
  auto broker = test::StartBroker(test::BrokerKind::kEmbedded, 32);
  ASSERT_FALSE(broker.client.bootstrap_servers.empty());
  auto producer = kafka::Producer::Create({.client = broker.client, .properties = {{"linger.ms", "20"}}});
  ASSERT_TRUE(producer.ok()) << producer.status().ToString();
  gen::GenOptions options;
  options.customers = 20'000;
  options.planned_count = 150'000;
  options.span_ms = 30LL * 86'400'000;
  options.history = 20'000;
  options.truth_feedback = false;
  gen::Generator generator(options);
  test::ProduceCustomers(**producer, generator, broker.topics.customers);

  std::map<std::string, std::unique_ptr<test::ChildProcess>> services;
  for (const char* name : {"voc-ingest", "voc-enrich"}) {
    services[name] = std::make_unique<test::ChildProcess>(
        test::ServiceBinary(name),
        std::vector<std::string>{"--set", "kafka.bootstrap_servers=" + broker.client.bootstrap_servers, "--set",
                                 "service.http_listen=127.0.0.1:0", "--set",
                                 "service.memory_budget_mb=" + std::to_string(kBudgetMb), "--set",
                                 "state.dir=" + dir.path() + "/" + name},
        dir.path() + "/" + name + ".log");
    ASSERT_TRUE(services[name]->Start()) << name;
  }
  std::map<std::string, std::atomic<uint64_t>> peak;
  for (const auto& [name, _] : services) peak[name] = 0;
  std::jthread sampler([&](const std::stop_token& stop) {
    while (!stop.stop_requested()) {
      for (auto& [name, child] : services) {
        peak.at(name) = std::max<uint64_t>(peak.at(name), ResidentBytesOf(child->pid()));
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  });
  for (size_t i = 0; i < options.planned_count; ++i) {
    const auto r = generator.Next();
    ASSERT_TRUE((*producer)->Produce(r.topic, r.key, r.value).ok());
    if (i % 20'000 == 19'999) {
      ASSERT_TRUE((*producer)->Flush(seconds(30)).ok());
    }
  }
  ASSERT_TRUE((*producer)->Flush(seconds(30)).ok());
  const auto& topics = broker.topics;
  std::string lag = test::AwaitCaughtUp(broker.client, "voc-ingest",
                                        {topics.raw_tickets, topics.raw_surveys, topics.raw_reviews}, seconds(240));
  if (lag.empty()) lag = test::AwaitCaughtUp(broker.client, "voc-enrich", {topics.feedback}, seconds(240));
  sampler.request_stop();
  sampler.join();
  EXPECT_EQ(lag, "") << "the stream was not drained; the logs: " << dir.path();
  // The caches' share of the budget is 30 MiB; RocksDB's files hold the state compressed.
  EXPECT_GT(DiskBytes(dir.path() + "/voc-enrich"), 30 * kMiB)
      << "voc-enrich's state never outgrew its caches: the test proves nothing";
  for (auto& [name, child] : services) {
    EXPECT_LE(peak[name].load(), static_cast<uint64_t>(kBudgetMb) * kMiB)
        << name << "'s peak resident size " << peak[name].load() / kMiB << " MiB over a budget of " << kBudgetMb
        << " MiB";
    std::cerr << name << " under a " << kBudgetMb << " MiB budget: peak resident " << peak[name].load() / kMiB
              << " MiB over " << options.planned_count << " records\n";
    EXPECT_EQ(child->Terminate(), 0) << name;
  }
}

}  // namespace
}  // namespace voc
