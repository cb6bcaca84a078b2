// State follows its partitions: an instance killed for good is replaced by one with an
// empty state folder, which restores the partitions from the changelog instead of
// replaying their input; an instance that joins mid-stream takes partitions and restores
// them; a changelog that lost its beginning is reported and the input rebuilds the
// partition. In every case the final aggregates equal the ground truth. On the embedded
// broker and on a real Kafka broker (whose changelogs are compacted for real).
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "tests/e2e/child_process.h"
#include "tests/e2e/e2e_util.h"
#include "tests/runtime/test_util.h"

namespace voc {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using test::BrokerKind;

// A service as a process, /metrics on a port of its own, its state in `state_dir`.
struct Service {
  std::unique_ptr<test::ChildProcess> process;
  int port = 0;
};

Service Start(const std::string& name, const kafka::ClientConfig& cluster, const std::string& state_dir,
              const std::string& log) {
  Service s;
  s.port = metrics::FreePort();
  std::vector<std::string> args = {"--set", "kafka.bootstrap_servers=" + cluster.bootstrap_servers,
                                   "--set", "service.http_listen=127.0.0.1:" + std::to_string(s.port),
                                   "--set", "kafka.consumer.session.timeout.ms=6000",
                                   "--set", "kafka.consumer.heartbeat.interval.ms=500",
                                   "--set", "aggregate.emit_interval=200ms",
                                   "--set", "batch.commit_interval=100ms",
                                   "--set", "state.dir=" + state_dir};
  for (const auto& [key, value] : cluster.properties) args.insert(args.end(), {"--set", "kafka.client." + key + "=" + value});
  s.process = std::make_unique<test::ChildProcess>(test::ServiceBinary(name), args, log);
  EXPECT_TRUE(s.process->Start()) << name;
  return s;
}

// A counter of a service's /metrics (summed over its series), -1 when it cannot be read.
double Scraped(int port, const std::string& family) {
  const auto samples = metrics::Scrape(port);
  return samples ? std::max(0.0, metrics::SampleSum(*samples, family)) : -1;
}

class StateMoves : public ::testing::TestWithParam<BrokerKind> {
 protected:
  void SetUp() override {
    stream_ = test::StartStream(GetParam(), 17, 1200);
    ASSERT_TRUE(stream_.producer);
  }
  const kafka::ClientConfig& cluster() const { return stream_.broker.client; }
  std::string Log(const std::string& name) const { return dir_.path() + "/" + name + ".log"; }

  // The next `n` generated records, acknowledged.
  void Feed(size_t n) {
    for (size_t i = 0; i < n; ++i) {
      auto r = stream_.generator->Next();
      ASSERT_TRUE(stream_.producer->Produce(r.topic, r.key, r.value).ok());
    }
    ASSERT_TRUE(stream_.producer->Flush(seconds(30)).ok());
  }

  void ExpectGroundTruth() {
    const auto diffs = test::AwaitGroundTruth(*stream_.generator, cluster(), stream_.broker.topics.aggregates, seconds(120));
    EXPECT_TRUE(diffs.empty()) << diffs.size() << " window(s) differ, first: " << (diffs.empty() ? "" : diffs.front());
    EXPECT_EQ(test::AwaitPipelineCaughtUp(cluster(), stream_.broker.topics, seconds(60)), "");
  }

  test::TempDir dir_;
  test::E2eStream stream_;
};

INSTANTIATE_TEST_SUITE_P(Brokers, StateMoves, ::testing::Values(BrokerKind::kEmbedded, BrokerKind::kReal),
                         test::BrokerName);

TEST_P(StateMoves, KilledInstanceIsReplacedByOneWithEmptyStateThatRestoresFromTheChangelog) {
  auto ingest = Start("voc-ingest", cluster(), dir_.path() + "/ingest", Log("ingest"));
  auto enrich = Start("voc-enrich", cluster(), dir_.path() + "/enrich-a", Log("enrich-a"));
  auto aggregate = Start("voc-aggregate", cluster(), dir_.path() + "/aggregate-a", Log("aggregate-a"));
  Feed(600);
  ASSERT_EQ(test::AwaitPipelineCaughtUp(cluster(), stream_.broker.topics, seconds(90)), "");
  enrich.process->Kill();  // for good: its state folder is never seen again
  aggregate.process->Kill();

  auto enrich_b = Start("voc-enrich", cluster(), dir_.path() + "/enrich-b", Log("enrich-b"));
  auto aggregate_b = Start("voc-aggregate", cluster(), dir_.path() + "/aggregate-b", Log("aggregate-b"));
  Feed(600);
  ExpectGroundTruth();
  for (const Service* s : {&enrich_b, &aggregate_b}) {
    EXPECT_GT(Scraped(s->port, "voc_state_restores_total"), 0) << "nothing was restored";
    EXPECT_GT(Scraped(s->port, "voc_state_restored_records_total"), 0);
    EXPECT_EQ(Scraped(s->port, "voc_state_restore_fallbacks_total"), 0);
    const auto samples = metrics::Scrape(s->port);  // the gauge itself, not Scraped's floor of 0 for a missing one
    ASSERT_TRUE(samples);
    EXPECT_EQ(metrics::SampleSum(*samples, "voc_state_restore_remaining_records"), 0) << "no restore runs any more";
  }
  // Restored, not replayed: the new instance read only what came after the checkpoint.
  const double feedback = test::CountRecords(cluster(), stream_.broker.topics.feedback);
  EXPECT_LT(Scraped(enrich_b.port, "voc_records_consumed_total"), feedback * 0.75) << test::FileText(Log("enrich-b"));
  for (Service* s : {&ingest, &enrich_b, &aggregate_b}) EXPECT_EQ(s->process->Terminate(), 0);
}

TEST_P(StateMoves, InstanceJoiningMidStreamTakesPartitionsRestoresThemAndGoesOn) {
  auto ingest = Start("voc-ingest", cluster(), dir_.path() + "/ingest", Log("ingest"));
  auto enrich = Start("voc-enrich", cluster(), dir_.path() + "/enrich-a", Log("enrich-a"));
  auto aggregate = Start("voc-aggregate", cluster(), dir_.path() + "/aggregate-a", Log("aggregate-a"));
  Feed(600);
  ASSERT_EQ(test::AwaitPipelineCaughtUp(cluster(), stream_.broker.topics, seconds(90)), "");
  auto enrich_b = Start("voc-enrich", cluster(), dir_.path() + "/enrich-b", Log("enrich-b"));
  auto aggregate_b = Start("voc-aggregate", cluster(), dir_.path() + "/aggregate-b", Log("aggregate-b"));
  ASSERT_TRUE(test::WaitFor([&] { return Scraped(enrich_b.port, "voc_state_restores_total") > 0; }, seconds(60)))
      << "the joining instance restored nothing: " << test::FileText(Log("enrich-b"));
  Feed(600);
  ExpectGroundTruth();
  EXPECT_GT(Scraped(aggregate_b.port, "voc_state_restores_total"), 0) << test::FileText(Log("aggregate-b"));
  for (auto [s, name] : {std::pair{&ingest, "ingest"}, std::pair{&enrich, "enrich-a"}, std::pair{&aggregate, "aggregate-a"},
                         std::pair{&enrich_b, "enrich-b"}, std::pair{&aggregate_b, "aggregate-b"}}) {
    EXPECT_EQ(s->process->Terminate(), 0) << name << ": " << test::FileText(Log(name));
  }
}

// The embedded broker keeps at most 5 MiB per partition: a changelog partition pushed past
// that has lost its beginning, and no complete checkpoint can be trusted. (A real broker's
// retention is not in reach of a test.)
class TruncatedChangelog : public StateMoves {};

INSTANTIATE_TEST_SUITE_P(Brokers, TruncatedChangelog, ::testing::Values(BrokerKind::kEmbedded), test::BrokerName);

TEST_P(TruncatedChangelog, IsReportedAndTheInputRebuildsThePartition) {
  auto ingest = Start("voc-ingest", cluster(), dir_.path() + "/ingest", Log("ingest"));
  auto enrich = Start("voc-enrich", cluster(), dir_.path() + "/enrich-a", Log("enrich-a"));
  auto aggregate = Start("voc-aggregate", cluster(), dir_.path() + "/aggregate-a", Log("aggregate-a"));
  Feed(600);
  ASSERT_EQ(test::AwaitPipelineCaughtUp(cluster(), stream_.broker.topics, seconds(90)), "");
  aggregate.process->Kill();
  const std::string& changelog = stream_.broker.topics.aggregate_changelog;
  const std::string junk(256 << 10, 'x');
  for (int i = 0; i < 24; ++i) {  // 6 MiB into partition 0
    ASSERT_TRUE(stream_.producer->ProduceTo(changelog, PartitionId(0), "\x7f" "junk", junk).ok());
  }
  ASSERT_TRUE(stream_.producer->Flush(seconds(30)).ok());
  auto marks = kafka::Watermarks(cluster(), {changelog, PartitionId(0)}, seconds(5));
  ASSERT_TRUE(marks.ok());
  ASSERT_GT(marks->first.value, 0) << "the changelog kept its beginning: the test proves nothing";

  auto aggregate_b = Start("voc-aggregate", cluster(), dir_.path() + "/aggregate-b", Log("aggregate-b"));
  Feed(600);
  ExpectGroundTruth();
  EXPECT_GE(Scraped(aggregate_b.port, "voc_state_restore_fallbacks_total"), 1);
  EXPECT_NE(test::FileText(Log("aggregate-b")).find("lost its first"), std::string::npos);
  for (Service* s : {&ingest, &enrich, &aggregate_b}) EXPECT_EQ(s->process->Terminate(), 0);
}

}  // namespace
}  // namespace voc
