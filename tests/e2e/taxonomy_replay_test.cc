// Replaying history through a new taxonomy (README, "A new taxonomy over history"): a
// second voc-enrich and voc-aggregate, started unchanged with only configuration — their
// own group ids, the new taxonomy file, versioned output topics, their own state — read
// voc.feedback from its beginning. Their aggregates must equal the ground truth under the
// new taxonomy (the new theme back-filled over history, nothing counted twice), while the
// running pipeline's aggregates stay what they were under the old one.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/e2e/child_process.h"
#include "tests/e2e/e2e_util.h"
#include "tests/e2e/oracle.h"
#include "tests/runtime/test_util.h"

namespace voc {
namespace {

using std::chrono::seconds;

constexpr char kNewTheme[] = "replay.loading_screen";

std::unique_ptr<test::ChildProcess> Service(const std::string& name, const kafka::ClientConfig& cluster,
                                            const std::string& dir, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--set", "kafka.bootstrap_servers=" + cluster.bootstrap_servers,
                                   "--set", "service.http_listen=127.0.0.1:0",
                                   "--set", "kafka.consumer.session.timeout.ms=6000",
                                   "--set", "aggregate.emit_interval=200ms",
                                   "--set", "batch.commit_interval=200ms"};
  args.insert(args.end(), extra.begin(), extra.end());
  auto child = std::make_unique<test::ChildProcess>(test::ServiceBinary(name), args, dir + "/" + name + ".log");
  EXPECT_TRUE(child->Start()) << name;
  return child;
}

// The default taxonomy with one more theme and a new version.
std::string NewTaxonomy(const std::string& dir) {
  std::ifstream in(VOC_SOURCE_DIR "/data/taxonomy/software.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  const std::string version = "version: \"1.2.0\"";
  EXPECT_NE(yaml.find(version), std::string::npos) << "the default taxonomy's version moved: update this test";
  yaml.replace(yaml.find(version), version.size(), "version: \"1.3.0-replay\"");
  yaml += "  - id: replay\n    name: Replayed\n    themes:\n      - id: " + std::string(kNewTheme) +
          "\n        name: Loading screen\n        phrases: [\"loading screen\"]\n";
  const std::string path = dir + "/taxonomy-1.3.yaml";
  std::ofstream(path) << yaml;
  return path;
}

bool HasTheme(const std::map<std::string, voc::v1::ThemeAggregate>& aggregates, const std::string& theme) {
  for (const auto& [key, a] : aggregates) {
    if (a.theme_id() == theme && a.volume() > 0) return true;
  }
  return false;
}

TEST(TaxonomyReplay, ANewTaxonomyRunsOverHistoryIntoVersionedTopicsWithoutTouchingTheLiveOnes) {
  test::TempDir dir;
  auto stream = test::StartStream(test::BrokerKind::kEmbedded, 19, 1200);
  ASSERT_TRUE(stream.producer);
  const kafka::ClientConfig& bs = stream.broker.client;
  const auto& topics = stream.broker.topics;
  auto& generator = *stream.generator;

  // The live pipeline, and all of history through it.
  std::vector<std::unique_ptr<test::ChildProcess>> live;
  for (const char* name : {"voc-ingest", "voc-enrich", "voc-aggregate"}) {
    live.push_back(Service(name, bs, dir.path(), {"--set", "state.dir=" + dir.path() + "/live/" + name}));
  }
  for (size_t i = 0; i < stream.options.planned_count; ++i) {
    auto r = generator.Next();
    ASSERT_TRUE(stream.producer->Produce(r.topic, r.key, r.value).ok());
  }
  ASSERT_TRUE(stream.producer->Flush(seconds(30)).ok());
  auto diffs = test::AwaitGroundTruth(generator, bs, topics.aggregates, seconds(120));
  ASSERT_TRUE(diffs.empty()) << diffs.front();
  ASSERT_FALSE(HasTheme(test::LatestAggregates(bs, topics.aggregates), kNewTheme));

  // The replay lane: versioned outputs, its own groups, changelogs and state.
  const std::string suffix = ".tax-1.2";
  for (const std::string& t : {topics.enriched + suffix, topics.mentions + suffix, topics.aggregates + suffix,
                               topics.alerts + suffix, std::string("voc-enrich-tax-1.2-changelog"),
                               std::string("voc-aggregate-tax-1.2-changelog")}) {
    ASSERT_TRUE(stream.broker.embedded->CreateTopic(t, 4).ok()) << t;
  }
  const std::string taxonomy = NewTaxonomy(dir.path());
  for (const char* logs : {"/replay-enrich", "/replay-aggregate"}) std::filesystem::create_directories(dir.path() + logs);
  const std::vector<std::string> lane = {"--set", "topics.enriched=" + topics.enriched + suffix,
                                         "--set", "topics.mentions=" + topics.mentions + suffix,
                                         "--set", "topics.aggregates=" + topics.aggregates + suffix,
                                         "--set", "topics.alerts=" + topics.alerts + suffix};
  auto with = [&](std::vector<std::string> args, const std::string& service) {
    args.insert(args.end(), {"--set", "service.group_id=" + service + "-tax-1.2", "--set",
                             "state.dir=" + dir.path() + "/replay/" + service});
    return args;
  };
  auto enrich_args = with(lane, "voc-enrich");
  enrich_args.insert(enrich_args.end(), {"--set", "enrich.taxonomy=" + taxonomy});
  auto replay_enrich = Service("voc-enrich", bs, dir.path() + "/replay-enrich", enrich_args);
  auto replay_aggregate = Service("voc-aggregate", bs, dir.path() + "/replay-aggregate", with(lane, "voc-aggregate"));

  const auto expected_new = test::ExpectedAggregates(generator.truth(), generator.customers(),
                                                     {std::chrono::hours(1), std::chrono::hours(24)}, taxonomy);
  const auto deadline = std::chrono::steady_clock::now() + seconds(120);
  std::map<std::string, voc::v1::ThemeAggregate> replayed;
  do {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    replayed = test::LatestAggregates(bs, topics.aggregates + suffix);
    diffs = test::CompareAggregates(expected_new, replayed);
  } while (!diffs.empty() && std::chrono::steady_clock::now() < deadline);
  EXPECT_TRUE(diffs.empty()) << diffs.size() << " replayed window(s) differ from the new taxonomy's ground truth, first: "
                             << diffs.front();
  EXPECT_TRUE(HasTheme(replayed, kNewTheme)) << "the new theme was not back-filled";
  for (const auto& [key, a] : replayed) {
    EXPECT_EQ(a.taxonomy_version(), "software@1.3.0-replay") << key;
    break;
  }
  // The live topics: untouched by the replay, still the old taxonomy's truth.
  const auto live_now = test::LatestAggregates(bs, topics.aggregates);
  EXPECT_FALSE(HasTheme(live_now, kNewTheme));
  diffs = test::CompareAggregates(
      test::ExpectedAggregates(generator.truth(), generator.customers(), {std::chrono::hours(1), std::chrono::hours(24)}),
      live_now);
  EXPECT_TRUE(diffs.empty()) << diffs.front();
  for (auto* child : {replay_enrich.get(), replay_aggregate.get()}) EXPECT_EQ(child->Terminate(), 0);
  for (auto& child : live) EXPECT_EQ(child->Terminate(), 0);
}

}  // namespace
}  // namespace voc
