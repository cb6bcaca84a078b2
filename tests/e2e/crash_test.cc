// kill -9 of each stateful service (and of ingest) at several points while the stream
// flows, then restart, on the embedded broker and on a real Kafka broker: nothing is lost
// and the final aggregates equal the ground truth, which the uninterrupted run
// (pipeline_test) reproduces too.
#include <fcntl.h>
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>
#include <thread>

#include "common/kafka/embedded_broker.h"
#include "common/kafka/kafka.h"
#include "tests/e2e/child_process.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/oracle.h"
#include "tests/runtime/test_util.h"
#include "voc/v1/dead_letter.pb.h"
#include "voc/v1/enriched.pb.h"

namespace voc {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// kill_point > 0: the service dies on its own at that checkpoint, right after its
// outputs and changelog are acknowledged and before its state commits. Checkpoints every 100 ms span
// a few batches each, and the kill points come before the kills from outside.
std::unique_ptr<test::ChildProcess> Service(const std::string& name, const kafka::ClientConfig& cluster,
                                            const std::string& dir, int kill_point = 0) {
  const std::string binary = test::ServiceBinary(name);
  std::vector<std::string> args = {"--set", "kafka.bootstrap_servers=" + cluster.bootstrap_servers,
                                   "--set", "service.http_listen=127.0.0.1:0",
                                   "--set", "kafka.consumer.session.timeout.ms=6000",
                                   "--set", "kafka.consumer.heartbeat.interval.ms=500",
                                   "--set", "batch.max_records=100",
                                   "--set", "aggregate.emit_interval=200ms",
                                   "--set", "state.dir=" + dir + "/" + name,
                                   "--set", "batch.commit_interval=100ms",
                                   "--set", "testing.exit_before_commit=" + std::to_string(kill_point)};
  // The cluster's client properties (a real 0.9 broker's two) once, in the common section.
  for (const auto& [key, value] : cluster.properties) args.insert(args.end(), {"--set", "kafka.client." + key + "=" + value});
  auto child = std::make_unique<test::ChildProcess>(binary, args, dir + "/" + name + ".log");
  EXPECT_TRUE(child->Start()) << binary;
  return child;
}

using test::BrokerKind;

class CrashRecovery : public ::testing::TestWithParam<BrokerKind> {};

INSTANTIATE_TEST_SUITE_P(Brokers, CrashRecovery, ::testing::Values(BrokerKind::kEmbedded, BrokerKind::kReal),
                         test::BrokerName);

TEST_P(CrashRecovery, KillNineOfEveryServiceLosesNothingAndAggregatesMatch) {
  test::TempDir dir;
  auto stream = test::StartStream(GetParam(), 11, 4000, {{"linger.ms", "5"}});
  ASSERT_TRUE(stream.producer);
  const kafka::ClientConfig& bs = stream.broker.client;
  const auto& topics = stream.broker.topics;
  auto& generator = *stream.generator;
  auto& producer = stream.producer;
  const auto& go = stream.options;

  // First lives end at the kill point before commit, each at its second checkpoint with
  // outputs, so that it has committed state to come back to; later ones by kill -9 from
  // outside. A service that died on its own is restarted at once.
  std::map<std::string, std::unique_ptr<test::ChildProcess>> services;
  for (const char* name : {"voc-ingest", "voc-enrich", "voc-aggregate"}) services[name] = Service(name, bs, dir.path(), 2);
  std::map<std::string, int> first_exit;  // how each first life ended on its own

  // The stream flows while services die: 4000 records over about 12 s.
  std::thread feeder([&] {
    for (size_t i = 0; i < go.planned_count; ++i) {
      auto r = generator.Next();
      producer->Produce(r.topic, r.key, r.value).ok();
      if (i % 100 == 99) {
        producer->Flush(seconds(10)).ok();
        std::this_thread::sleep_for(milliseconds(300));
      }
    }
    producer->Flush(seconds(30)).ok();
  });
  // The kills from outside, counted from when the last first life ended (a loaded
  // machine, or a sanitizer build, takes longer to reach the kill points).
  const std::vector<std::pair<int, std::vector<const char*>>> kills = {
      {1000, {"voc-enrich", "voc-ingest"}}, {3000, {"voc-aggregate"}}, {5000, {"voc-enrich"}},
      {7000, {"voc-ingest", "voc-aggregate"}}, {9000, {"voc-enrich", "voc-aggregate"}}};
  const auto restart_the_dead = [&] {
    for (auto& [name, child] : services) {
      int exit_code = 0;
      if (!child->Exited(&exit_code)) continue;
      first_exit.try_emplace(name, exit_code);
      child = Service(name, bs, dir.path());
    }
  };
  const auto first_lives_deadline = std::chrono::steady_clock::now() + seconds(90);
  while (first_exit.size() < services.size() && std::chrono::steady_clock::now() < first_lives_deadline) {
    restart_the_dead();
    std::this_thread::sleep_for(milliseconds(50));
  }
  for (const auto& [name, child] : services) {
    EXPECT_TRUE(first_exit.contains(name)) << name << " was still in its first life after 90 s: it never reached its "
                                           << "kill point";
  }
  const auto start = std::chrono::steady_clock::now();
  for (const auto& [at_ms, victims] : kills) {
    while (std::chrono::steady_clock::now() < start + milliseconds(at_ms)) {
      restart_the_dead();
      std::this_thread::sleep_for(milliseconds(50));
    }
    for (const char* v : victims) {
      first_exit.try_emplace(v, -1);
      services[v]->Kill();
      services[v] = Service(v, bs, dir.path());
    }
  }
  for (const auto& [name, exit_code] : first_exit) {
    EXPECT_EQ(exit_code, 137) << name << "'s first life did not end at its kill point";
  }
  feeder.join();
  const auto& truth = generator.truth();

  const auto diffs = test::AwaitGroundTruth(generator, bs, topics.aggregates, seconds(150));
  EXPECT_TRUE(diffs.empty()) << diffs.size() << " window(s) differ after the crashes, first: "
                             << (diffs.empty() ? "" : diffs.front());
  EXPECT_EQ(test::AwaitPipelineCaughtUp(bs, topics, seconds(60)), "");
  // Graceful shutdown still works after all that; then nothing more is written.
  for (auto& [name, child] : services) EXPECT_EQ(child->Terminate(), 0) << name << " did not stop cleanly";
  // Those first lives left their changelog ahead of their local state (the checkpoint
  // acknowledged, marker included, its commit not made): a later life restored it from
  // the changelog rather than resuming from the older local state, whose next marker
  // would have passed off what the dead life sent as part of its own checkpoint.
  for (const char* name : {"voc-enrich", "voc-aggregate"}) {
    std::ifstream log(dir.path() + "/" + name + ".log");
    const std::string lines((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
    EXPECT_NE(lines.find("stopped while it sent a checkpoint"), std::string::npos)
        << name << " did not restore what its first life left unconfirmed";
  }

  // No loss: every version of every feedback came out, every malformed record was dead-lettered
  // (redelivery after a crash may repeat some; each is counted once here).
  const auto versions = test::EnrichedVersions(test::ReadTopic(bs, topics.enriched));
  EXPECT_EQ(versions.size(), truth.expected_enriched());
  std::set<std::tuple<std::string, int32_t, int64_t>> origins;
  voc::v1::DeadLetter d;
  for (const auto& r : test::ReadTopic(bs, topics.dlq)) {
    ASSERT_TRUE(d.ParseFromString(r.value));
    origins.emplace(d.origin_topic(), d.origin_partition(), d.origin_offset());
  }
  EXPECT_EQ(origins.size(), truth.malformed);
}

}  // namespace
}  // namespace voc
