// voc-aggregate's processor on a real RocksDB state store, driven batch by batch the
// way the runtime drives it (test::ProcessorHarness): process, end of batch, timer,
// checkpoint; restarts on the same state folder.
#include "services/aggregate/aggregate_processor.h"

#include <gtest/gtest.h>

#include <prometheus/registry.h>

#include <map>
#include <thread>

#include "common/config/config.h"
#include "common/core/theme_ids.h"
#include "common/metrics/metric_value.h"
#include "services/aggregate/aggregate_config.h"
#include "tests/runtime/processor_harness.h"
#include "tests/runtime/test_util.h"
#include "voc/v1/dead_letter.pb.h"

namespace voc::aggregate {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kT0 = 1'793'491'200'000;  // 2026-11-01T00:00:00Z, an hour boundary

voc::v1::ThemeMention Mention(const std::string& id, uint32_t revision, int64_t t, const std::string& theme = "ux.design",
                              const std::string& customer = "c1", int64_t arr = 1000) {
  voc::v1::ThemeMention m;
  m.set_theme_id(theme);
  m.set_theme_path("UX > Design");
  m.set_feedback_id(id);
  m.set_revision(revision);
  m.set_channel(voc::v1::CHANNEL_SURVEY);
  m.set_customer_id(customer);
  m.set_event_time_ms(t);
  m.set_sentiment_scored(true);
  m.set_sentiment(-0.5);
  m.set_nps(3);
  m.set_arr(arr);
  return m;
}

// What a batch emitted: the aggregates by key (the last of each) and the dead letters.
struct Out {
  std::map<std::string, voc::v1::ThemeAggregate> latest;
  std::vector<std::string> dead_letters;
};

class AggregateProcessorTest : public ::testing::Test {
 protected:
  // (Re)starts the processor on the test's state folder: a restart when it ran before.
  void Open(std::chrono::milliseconds emit_interval = std::chrono::milliseconds(0),
            std::chrono::milliseconds retention = std::chrono::hours(24)) {
    AggregateOptions o;
    o.window_sizes = window_sizes_;
    o.allowed_lateness = std::chrono::hours(1);
    o.retention = retention;
    o.emit_interval = emit_interval;
    o.rollup_max_values = rollup_caps_;
    harness_ = std::make_unique<test::ProcessorHarness>(
        [this, o] {
          registry_ = std::make_shared<prometheus::Registry>();
          return std::make_unique<AggregateProcessor>(o, *registry_);
        },
        dir_.path(), std::vector<TopicPartition>{{"voc.theme.mentions", PartitionId(0)}});
    Status s = harness_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // One batch, as the runner runs it; returns what it emitted.
  Out Batch(const std::vector<voc::v1::ThemeMention>& mentions, bool commit = true) {
    std::vector<test::Input> inputs;
    for (const auto& m : mentions) inputs.push_back({"voc.theme.mentions", 0, m.theme_id(), m.SerializeAsString()});
    return Collect(harness_->Batch(inputs, commit));
  }

  static Out Collect(const test::Emitted& emitted) {
    Out out;
    for (const auto& o : emitted.outputs) out.latest[o.key].ParseFromString(o.value);
    out.dead_letters = emitted.reasons();
    return out;
  }

  static const voc::v1::ThemeAggregate* Find(const Out& out, const std::string& key) {
    auto it = out.latest.find(key);
    return it == out.latest.end() ? nullptr : &it->second;
  }

  // Rollup windows: "segment=enterprise", "app_version=4.2.0".
  static std::string Rollup(Rollup rollup, const std::string& value, const std::string& theme = "ux.design") {
    return WindowKey(kHour, kT0, theme, RollupSlot(rollup, value));
  }

  std::vector<std::chrono::milliseconds> window_sizes_ = {std::chrono::hours(1)};
  std::array<size_t, kRollups> rollup_caps_ = {16, 16};
  test::TempDir dir_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<test::ProcessorHarness> harness_;
  const std::string all_ = WindowKey(kHour, kT0, "ux.design", "all");
  const std::string survey_ = WindowKey(kHour, kT0, "ux.design", "survey");
};

TEST_F(AggregateProcessorTest, CountsOneWindowPerChannelAndTheRollup) {
  Open();
  auto out = Batch({Mention("a", 1, kT0 + 10), Mention("b", 1, kT0 + 20, "ux.design", "c2")});
  ASSERT_NE(Find(out, all_), nullptr);
  ASSERT_NE(Find(out, survey_), nullptr);
  const auto& a = *Find(out, all_);
  EXPECT_EQ(a.volume(), 2);
  EXPECT_EQ(a.unique_customers(), 2);
  EXPECT_EQ(a.arr_affected(), 2000);
  EXPECT_EQ(a.negative(), 2);
  EXPECT_EQ(a.detractors(), 2);
  EXPECT_DOUBLE_EQ(a.nps(), -100.0);
  EXPECT_DOUBLE_EQ(a.sentiment_mean(), -0.5);
}

// State is bounded: what nothing can touch any more (older than the retention behind the
// watermark) expires once unwritten while the watermark moved twice the retention. The
// clock is event time, not the wall's: a replay or a backfill that plays months in minutes
// levels off as a live stream does, and no wall time passes in this test.
TEST_F(AggregateProcessorTest, StateUnwrittenWhileTheWatermarkMovedTwiceTheRetentionExpires) {
  Open(std::chrono::milliseconds(0), std::chrono::hours(1));
  constexpr state::StoreId kContribution = 0, kWindow = 2;  // the order Open declares them in
  // [theme length] theme [customer length, 2 bytes] customer, then the feedback id
  const std::string contribution = std::string("\x09ux.design") + '\0' + '\x02' + "c1" + "a";
  const auto stored = [&](state::StoreId id, const std::string& key) {
    std::string value;
    auto found = harness_->db()->Get(id, PartitionId(0), key, &value);
    EXPECT_TRUE(found.ok());
    return found.ok() && *found;
  };
  Batch({Mention("a", 1, kT0 + 10)});
  ASSERT_TRUE(stored(kWindow, all_));
  ASSERT_TRUE(stored(kContribution, contribution));
  // Another theme moves the partition's watermark; ux.design's entries are not written.
  Batch({Mention("b", 1, kT0 + 2 * kHour - kHour / 2, "billing", "c2")});
  EXPECT_TRUE(stored(kWindow, all_)) << "the watermark moved 1.5 retentions: not yet";
  EXPECT_TRUE(stored(kContribution, contribution));
  Batch({Mention("c", 1, kT0 + 2 * kHour + kHour / 2, "billing", "c2")});
  EXPECT_FALSE(stored(kContribution, contribution)) << "the contribution outlived twice the retention of event time";
  // The window closed in that batch (its end and the hour's lateness passed): its closing
  // emission wrote it, at a watermark of 2.5 hours.
  EXPECT_TRUE(stored(kWindow, all_));
  Batch({Mention("d", 1, kT0 + 4 * kHour + 3 * kHour / 4, "billing", "c2")});
  EXPECT_FALSE(stored(kWindow, all_)) << "the window outlived twice the retention of event time";
  EXPECT_TRUE(stored(kWindow, WindowKey(kHour, kT0 + 4 * kHour, "billing", "all"))) << "a fresh window stays";
}

// What a checkpoint writes, in bytes of keys and values (the changelog's view).
struct WrittenBytes final : state::ChangeSink {
  size_t bytes = 0;
  void Changed(state::StoreId, PartitionId, std::string_view key, const std::string* value, bool, int64_t) override {
    bytes += key.size() + (value != nullptr ? value->size() : 0);
  }
};

// A mention reads and writes its own contribution and its customer's spans, however
// many the customer made before: the cost per mention does not grow with the stream. Once
// the customer's whole history was one value, rewritten at every checkpoint that touched
// it (issue 16). The 2,000 mentions fall in one hour, where one span holds them all.
TEST_F(AggregateProcessorTest, AMentionWritesSmallEntriesHoweverLongTheCustomersHistory) {
  Open();
  const auto checkpoint_bytes = [&](const std::vector<voc::v1::ThemeMention>& mentions) {
    Batch(mentions, false);
    WrittenBytes written;
    harness_->driver().WriteChanges(&written);
    EXPECT_TRUE(harness_->Checkpoint().ok());
    return written.bytes;
  };
  const size_t first = checkpoint_bytes({Mention("f-first", 1, kT0 + 10)});
  std::vector<voc::v1::ThemeMention> history;
  for (int i = 0; i < 2'000; ++i) history.push_back(Mention(test::Numbered("f-", i), 1, kT0 + 20 + i));
  checkpoint_bytes(history);
  const size_t next = checkpoint_bytes({Mention("f-next", 1, kT0 + 3'000)});
  EXPECT_LE(next, first + 512) << "one more mention wrote " << next << " bytes, the first one " << first;
}

// A customer's spans within one day of a theme, the day's and each of its hours', are one
// entry: a mention reads and writes one span entry however many window sizes there are
// (there were one per size), and each window still counts the customer once.
TEST_F(AggregateProcessorTest, ACustomersSpansWithinADayAreOneEntry) {
  window_sizes_ = {std::chrono::hours(1), std::chrono::hours(24)};
  Open();
  constexpr state::StoreId kSpan = 1;  // the order Open declares them in
  const auto span_entries = [&] {
    size_t entries = 0;
    const Status s = harness_->db()->Scan(kSpan, PartitionId(0), "", [&](std::string_view, std::string_view, int64_t) {
      ++entries;
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return entries;
  };
  const std::string later_hour = WindowKey(kHour, kT0 + 2 * kHour, "ux.design", "all");
  const std::string day = WindowKey(24 * kHour, kT0, "ux.design", "all");
  auto out = Batch({Mention("a", 1, kT0 + 10), Mention("b", 1, kT0 + 2 * kHour + 10),
                    Mention("c", 1, kT0 + 20, "ux.design", "c2", 500)});
  ASSERT_NE(Find(out, all_), nullptr);
  ASSERT_NE(Find(out, later_hour), nullptr);
  ASSERT_NE(Find(out, day), nullptr);
  EXPECT_EQ(Find(out, all_)->unique_customers(), 2);
  EXPECT_EQ(Find(out, later_hour)->unique_customers(), 1);
  EXPECT_EQ(Find(out, day)->unique_customers(), 2);
  EXPECT_EQ(Find(out, day)->arr_affected(), 1500);
  EXPECT_EQ(span_entries(), 2u) << "c1's day and two hours, c2's day and hour: one entry per customer";
  auto retract = [](const std::string& id, int64_t t) {
    auto r = Mention(id, 2, t);
    r.set_retracted(true);
    return r;
  };
  out = Batch({retract("b", kT0 + 2 * kHour + 10)});
  ASSERT_NE(Find(out, later_hour), nullptr);
  EXPECT_EQ(Find(out, later_hour)->unique_customers(), 0);
  EXPECT_EQ(Find(out, day)->unique_customers(), 2);
  out = Batch({retract("a", kT0 + 10)});
  ASSERT_NE(Find(out, day), nullptr);
  EXPECT_EQ(Find(out, day)->unique_customers(), 1);
  EXPECT_EQ(Find(out, day)->arr_affected(), 500);
  EXPECT_EQ(span_entries(), 1u) << "c1's entry goes with its last span";
}

TEST(AggregateConfig, WindowSizesMustEachDivideTheLargestAndBeListedOnce) {
  const auto error = [](const std::string& windows) {
    auto c = config::Config::Load("", {}, {"aggregate.windows=" + windows, "aggregate.insights.enabled=false"});
    try {
      LoadAggregateOptions(c);
    } catch (const config::ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error("1h, 1d"), "");
  EXPECT_EQ(error("15m, 1h, 1d"), "");
  EXPECT_EQ(error("1d, 1h"), "");
  EXPECT_NE(error("45m, 1h").find("must divide the largest"), std::string::npos) << error("45m, 1h");
  EXPECT_NE(error("1h, 1d, 1h").find("twice"), std::string::npos) << error("1h, 1d, 1h");
}

// A span keeps the ARR of its customer's latest contributions only (kMaxCredits): when
// all of those are taken back, the one before them is found among the contributions, and
// the window carries its ARR.
TEST_F(AggregateProcessorTest, ArrFallsBackToTheLatestLiveContributionBeyondTheKeptOnes) {
  Open();
  std::vector<voc::v1::ThemeMention> mentions;
  for (int i = 0; i < 20; ++i) mentions.push_back(Mention(test::Numbered("f", i), 1, kT0 + 10 + i, "ux.design", "c1", 1000 + i));
  auto out = Batch(mentions);
  ASSERT_NE(Find(out, all_), nullptr);
  EXPECT_EQ(Find(out, all_)->arr_affected(), 1019);
  const auto retract = [](int i) {
    auto r = Mention(test::Numbered("f", i), 2, kT0 + 10 + i);
    r.set_retracted(true);
    return r;
  };
  std::vector<voc::v1::ThemeMention> retractions;
  for (int i = 19; i >= 4; --i) retractions.push_back(retract(i));  // every kept credit
  out = Batch(retractions);
  ASSERT_NE(Find(out, all_), nullptr);
  EXPECT_EQ(Find(out, all_)->volume(), 4);
  EXPECT_EQ(Find(out, all_)->unique_customers(), 1);
  EXPECT_EQ(Find(out, all_)->arr_affected(), 1003);
  Open();  // from the store: the credits found again were written
  out = Batch({retract(3)});
  ASSERT_NE(Find(out, all_), nullptr);
  EXPECT_EQ(Find(out, all_)->arr_affected(), 1002);
}

TEST_F(AggregateProcessorTest, RedeliveredMentionChangesNothing) {
  Open();
  Batch({Mention("a", 1, kT0 + 10)});
  auto out = Batch({Mention("a", 1, kT0 + 10), Mention("a", 1, kT0 + 10)});
  EXPECT_EQ(Find(out, all_), nullptr) << "a redelivery must not even re-emit";
  out = Batch({Mention("b", 1, kT0 + 30)});
  EXPECT_EQ(Find(out, all_)->volume(), 2);
}

TEST_F(AggregateProcessorTest, NewRevisionMovesTheContributionAndStaleOneIsIgnored) {
  Open();
  Batch({Mention("a", 1, kT0 + 10)});
  auto moved = Mention("a", 2, kT0 + kHour + 10);  // edited: now in the next hour
  auto out = Batch({moved, Mention("a", 1, kT0 + 10)});
  EXPECT_EQ(Find(out, all_)->volume(), 0);
  EXPECT_EQ(Find(out, all_)->unique_customers(), 0);
  EXPECT_EQ(Find(out, WindowKey(kHour, kT0 + kHour, "ux.design", "all"))->volume(), 1);
}

TEST_F(AggregateProcessorTest, RetractionTakesTheThemeBackOut) {
  Open();
  Batch({Mention("a", 1, kT0 + 10), Mention("b", 1, kT0 + 20)});
  auto retract = Mention("a", 2, kT0 + 10);
  retract.set_retracted(true);
  auto out = Batch({retract});
  EXPECT_EQ(Find(out, all_)->volume(), 1);
  EXPECT_EQ(Find(out, all_)->example_feedback_ids_size(), 1);
  EXPECT_EQ(Find(out, all_)->example_feedback_ids(0), "b");
}

// A customer counts once per window, with the ARR of its latest contribution there; the
// counts derive from the stored contributions, so a restart (every cache gone) continues
// exactly where the running process was.
TEST_F(AggregateProcessorTest, UniqueCustomersAndTheirArrDeriveFromContributionsAcrossARestart) {
  Open();
  Batch({Mention("a", 1, kT0 + 10, "ux.design", "c1", 1000), Mention("b", 1, kT0 + 20, "ux.design", "c2", 500)});
  auto out = Batch({Mention("c", 1, kT0 + 30, "ux.design", "c1", 3000)});  // c1's profile changed
  EXPECT_EQ(Find(out, all_)->unique_customers(), 2);
  EXPECT_EQ(Find(out, all_)->arr_affected(), 3500);
  Open();  // a restart: only the store is left
  auto retract = Mention("c", 2, kT0 + 30, "ux.design", "c1", 3000);
  retract.set_retracted(true);
  out = Batch({retract});
  ASSERT_NE(Find(out, all_), nullptr);
  EXPECT_EQ(Find(out, all_)->volume(), 2);
  EXPECT_EQ(Find(out, all_)->unique_customers(), 2);
  EXPECT_EQ(Find(out, all_)->arr_affected(), 1500) << "c1 counts again with its remaining contribution's ARR";
  Open();
  retract = Mention("a", 2, kT0 + 10, "ux.design", "c1", 1000);
  retract.set_retracted(true);
  out = Batch({retract, Mention("c", 2, kT0 + 30, "ux.design", "c1", 3000)});  // the redelivered retraction changes nothing
  EXPECT_EQ(Find(out, all_)->unique_customers(), 1);
  EXPECT_EQ(Find(out, all_)->arr_affected(), 500);
  EXPECT_EQ(Find(out, survey_)->unique_customers(), 1);
}

// A revision filed under another customer arrives as a retraction under the old one and
// a new contribution under the new one (voc-enrich sends both).
TEST_F(AggregateProcessorTest, FeedbackMovedToAnotherCustomerCountsOnlyThere) {
  Open();
  Batch({Mention("a", 1, kT0 + 10, "ux.design", "c1", 1000)});
  auto retract = Mention("a", 2, kT0 + 10, "ux.design", "c1", 1000);
  retract.set_retracted(true);
  auto out = Batch({Mention("a", 2, kT0 + 10, "ux.design", "c2", 700), retract});
  const auto& a = *Find(out, all_);
  EXPECT_EQ(a.volume(), 1);
  EXPECT_EQ(a.unique_customers(), 1);
  EXPECT_EQ(a.arr_affected(), 700);
}

voc::v1::ThemeMention Profiled(voc::v1::ThemeMention m, const std::string& segment, const std::string& version) {
  m.set_segment(segment);
  m.set_app_version(version);
  return m;
}

// Each theme by segment and by app version, all channels together: its own counts,
// customers and ARR; a customer without a profile is the "unknown" segment; a mention
// without an app version has no version window.
TEST_F(AggregateProcessorTest, RollupsCountEachThemeBySegmentAndByAppVersion) {
  Open();
  auto ticket = Profiled(Mention("c", 1, kT0 + 30, "ux.design", "c3", 300), "smb", "");
  ticket.set_channel(voc::v1::CHANNEL_TICKET);
  auto out = Batch({Profiled(Mention("a", 1, kT0 + 10, "ux.design", "c1", 1000), "enterprise", "4.2.0"),
                    Profiled(Mention("b", 1, kT0 + 20, "ux.design", "c2", 500), "enterprise", "4.1.0"), ticket,
                    Profiled(Mention("d", 1, kT0 + 40, "ux.design", "c4", 0), "", "4.2.0")});
  const auto* enterprise = Find(out, Rollup(Rollup::kSegment, "enterprise"));
  ASSERT_NE(enterprise, nullptr);
  EXPECT_EQ(enterprise->volume(), 2);
  EXPECT_EQ(enterprise->unique_customers(), 2);
  EXPECT_EQ(enterprise->arr_affected(), 1500);
  EXPECT_EQ(enterprise->segment(), "enterprise");
  EXPECT_TRUE(enterprise->app_version().empty());
  EXPECT_EQ(enterprise->channel(), voc::v1::CHANNEL_UNSPECIFIED);
  ASSERT_NE(Find(out, Rollup(Rollup::kSegment, "smb")), nullptr);
  EXPECT_EQ(Find(out, Rollup(Rollup::kSegment, "smb"))->volume(), 1) << "a ticket counts in its segment's window";
  ASSERT_NE(Find(out, Rollup(Rollup::kSegment, "unknown")), nullptr);
  const auto* v420 = Find(out, Rollup(Rollup::kAppVersion, "4.2.0"));
  ASSERT_NE(v420, nullptr);
  EXPECT_EQ(v420->volume(), 2);
  EXPECT_EQ(v420->unique_customers(), 2);
  EXPECT_EQ(v420->arr_affected(), 1000);
  EXPECT_EQ(v420->app_version(), "4.2.0");
  EXPECT_EQ(Find(out, Rollup(Rollup::kAppVersion, "4.1.0"))->volume(), 1);
  size_t version_windows = 0;
  for (const auto& [key, a] : out.latest) version_windows += a.app_version().empty() ? 0 : 1;
  EXPECT_EQ(version_windows, 2u) << "the ticket without an app version has no version window";
  EXPECT_EQ(Find(out, all_)->volume(), 4) << "the theme's own windows are unchanged";
}

// A revision that moves the feedback to another segment and version takes it out where it
// went in, also after a restart (the contribution remembers where it counted).
TEST_F(AggregateProcessorTest, RevisionTakesItsRollupContributionOutWhereItWentIn) {
  Open();
  Batch({Profiled(Mention("a", 1, kT0 + 10), "enterprise", "4.1.0"),
         Profiled(Mention("b", 1, kT0 + 20, "ux.design", "c2", 500), "enterprise", "4.1.0")});
  Open();  // a restart: only the store is left
  auto out = Batch({Profiled(Mention("a", 2, kT0 + 10), "smb", "4.2.0")});
  ASSERT_NE(Find(out, Rollup(Rollup::kSegment, "enterprise")), nullptr);
  EXPECT_EQ(Find(out, Rollup(Rollup::kSegment, "enterprise"))->volume(), 1);
  EXPECT_EQ(Find(out, Rollup(Rollup::kSegment, "enterprise"))->unique_customers(), 1);
  EXPECT_EQ(Find(out, Rollup(Rollup::kSegment, "enterprise"))->arr_affected(), 500);
  EXPECT_EQ(Find(out, Rollup(Rollup::kSegment, "smb"))->volume(), 1);
  EXPECT_EQ(Find(out, Rollup(Rollup::kSegment, "smb"))->arr_affected(), 1000);
  EXPECT_EQ(Find(out, Rollup(Rollup::kAppVersion, "4.1.0"))->volume(), 1);
  EXPECT_EQ(Find(out, Rollup(Rollup::kAppVersion, "4.2.0"))->volume(), 1);
  auto retract = Mention("b", 2, kT0 + 20, "ux.design", "c2", 500);
  retract.set_retracted(true);
  out = Batch({retract});
  EXPECT_EQ(Find(out, Rollup(Rollup::kSegment, "enterprise"))->volume(), 0);
  EXPECT_EQ(Find(out, Rollup(Rollup::kSegment, "enterprise"))->unique_customers(), 0);
  EXPECT_EQ(Find(out, Rollup(Rollup::kSegment, "enterprise"))->arr_affected(), 0);
}

// State stays bounded however many values a dimension has: past the cap, new values count
// as "other" until a value unseen for the retention gives up its place (kept across a
// restart).
TEST_F(AggregateProcessorTest, RollupValuesPastTheCapCountAsOtherUntilOneAgesOut) {
  rollup_caps_ = {2, 0};  // two segments; no app version windows at all
  Open();
  auto out = Batch({Profiled(Mention("a", 1, kT0 + 10), "enterprise", "4.1.0"),
                    Profiled(Mention("b", 1, kT0 + 20), "smb", "4.1.0"),
                    Profiled(Mention("c", 1, kT0 + 30), "mid-market", "4.1.0"),
                    Profiled(Mention("d", 1, kT0 + 40), "consumer", "4.1.0")});
  EXPECT_NE(Find(out, Rollup(Rollup::kSegment, "enterprise")), nullptr);
  EXPECT_NE(Find(out, Rollup(Rollup::kSegment, "smb")), nullptr);
  EXPECT_EQ(Find(out, Rollup(Rollup::kSegment, "mid-market")), nullptr);
  ASSERT_NE(Find(out, Rollup(Rollup::kSegment, "other")), nullptr);
  EXPECT_EQ(Find(out, Rollup(Rollup::kSegment, "other"))->volume(), 2);
  for (const auto& [key, a] : out.latest) EXPECT_TRUE(a.app_version().empty()) << key;
  Open();
  // Two days on (retention 24 h): "smb" keeps its place by being seen, "enterprise" was
  // not seen for longer than the retention, and "mid-market" takes its place.
  const int64_t later = kT0 + 50 * kHour;
  out = Batch({Profiled(Mention("e", 1, later - 2 * kHour), "smb", "4.1.0")});
  out = Batch({Profiled(Mention("f", 1, later), "mid-market", "4.1.0"),
               Profiled(Mention("g", 1, later + 1), "consumer", "4.1.0")});
  EXPECT_NE(Find(out, WindowKey(kHour, later / kHour * kHour, "ux.design", RollupSlot(Rollup::kSegment, "mid-market"))),
            nullptr);
  EXPECT_NE(Find(out, WindowKey(kHour, later / kHour * kHour, "ux.design", RollupSlot(Rollup::kSegment, "other"))),
            nullptr);
}

TEST_F(AggregateProcessorTest, MentionWithoutAKnownChannelIsAnInvalidFieldDeadLetter) {
  Open();
  auto unspecified = Mention("a", 1, kT0 + 10);
  unspecified.set_channel(voc::v1::CHANNEL_UNSPECIFIED);
  auto unknown = Mention("b", 1, kT0 + 10);
  unknown.set_channel(static_cast<voc::v1::Channel>(7));
  auto out = Batch({unspecified, unknown, Mention("c", 1, kT0 + 10)});
  EXPECT_EQ(out.dead_letters, (std::vector<std::string>{"INVALID_FIELD", "INVALID_FIELD"}));
  EXPECT_EQ(Find(out, all_)->volume(), 1);
}

TEST_F(AggregateProcessorTest, DirtyWindowsSurviveACrashBeforeEmissionAndAreEmittedAfterRestart) {
  Open(std::chrono::hours(1));
  Batch({Mention("a", 1, kT0 + 10)});  // the first batch emits (nothing emitted yet)
  auto out = Batch({Mention("b", 1, kT0 + 20)});
  EXPECT_EQ(Find(out, all_), nullptr) << "within the emit interval nothing is emitted";
  Open(std::chrono::hours(1));  // the process dies; state and its dirty marks were committed
  out = Batch({});
  ASSERT_NE(Find(out, all_), nullptr) << "a committed change was never emitted";
  EXPECT_EQ(Find(out, all_)->volume(), 2);
}

TEST_F(AggregateProcessorTest, WindowClosesOnceTheWatermarkPassesAndLateDataIsACorrection) {
  Open();
  Batch({Mention("a", 1, kT0 + 10)});
  auto out = Batch({Mention("b", 1, kT0 + 3 * kHour)});  // watermark: end + lateness passed
  ASSERT_NE(Find(out, all_), nullptr);
  EXPECT_TRUE(Find(out, all_)->window_closed());
  EXPECT_FALSE(Find(out, all_)->correction());
  out = Batch({Mention("c", 1, kT0 + 50)});  // a backfill into the closed hour
  ASSERT_NE(Find(out, all_), nullptr);
  EXPECT_EQ(Find(out, all_)->volume(), 2);
  EXPECT_TRUE(Find(out, all_)->correction());
}

// A window is emitted as it closes, at the end of the batch that closed it, however long
// the emit interval: it is in hand then (in a backlog, reading it again at the next
// interval doubled the windows in memory).
TEST_F(AggregateProcessorTest, AWindowIsEmittedClosedAtTheEndOfTheBatchThatClosesIt) {
  Open(std::chrono::hours(1));
  Batch({Mention("a", 1, kT0 + 10)});  // the first batch emits
  auto out = Batch({Mention("b", 1, kT0 + 20)});
  EXPECT_EQ(Find(out, all_), nullptr) << "within the emit interval an open window is not emitted";
  out = Batch({Mention("c", 1, kT0 + 3 * kHour)});  // watermark: end + lateness passed
  ASSERT_NE(Find(out, all_), nullptr) << "the closing window waited for the emit interval";
  EXPECT_TRUE(Find(out, all_)->window_closed());
  EXPECT_EQ(Find(out, all_)->volume(), 2);
  ASSERT_NE(Find(out, survey_), nullptr) << "the channel's window closed at the same time";
  EXPECT_TRUE(Find(out, survey_)->window_closed());
}

// A correction is an emission that changes what was already published as closed: data
// that arrives after the window closed but before its closing emission is not one.
TEST_F(AggregateProcessorTest, CorrectionMeansAChangeToAWindowAlreadyEmittedAsClosed) {
  Open();
  Batch({Mention("a", 1, kT0 + 10)});
  auto out = Batch({Mention("b", 1, kT0 + 3 * kHour), Mention("c", 1, kT0 + 50)});
  ASSERT_NE(Find(out, all_), nullptr);
  EXPECT_TRUE(Find(out, all_)->window_closed());
  EXPECT_EQ(Find(out, all_)->volume(), 2);
  EXPECT_FALSE(Find(out, all_)->correction()) << "the window had not been emitted as closed yet";
  out = Batch({Mention("d", 1, kT0 + 60)});
  ASSERT_NE(Find(out, all_), nullptr);
  EXPECT_TRUE(Find(out, all_)->correction());
  Open();  // the flag survives a restart: it is part of the window's committed state
  out = Batch({Mention("e", 1, kT0 + 70)});
  ASSERT_NE(Find(out, all_), nullptr);
  EXPECT_EQ(Find(out, all_)->volume(), 4);
  EXPECT_TRUE(Find(out, all_)->correction());
}

TEST_F(AggregateProcessorTest, AggregateNamesTheTaxonomyVersionOfItsLatestMention) {
  Open();
  auto a = Mention("a", 1, kT0 + 10);
  a.set_taxonomy_version("1.1.0");
  auto out = Batch({a});
  ASSERT_NE(Find(out, all_), nullptr);
  EXPECT_EQ(Find(out, all_)->taxonomy_version(), "1.1.0");
  auto b = Mention("b", 1, kT0 + 20);
  b.set_taxonomy_version("1.2.0");
  out = Batch({b});
  ASSERT_NE(Find(out, all_), nullptr);
  EXPECT_EQ(Find(out, all_)->taxonomy_version(), "1.2.0");
}

// The overall window ("*") counts each response once, and each theme's driver impact is
// the overall NPS minus the NPS of the responses without the theme.
TEST_F(AggregateProcessorTest, OverallWindowCarriesEachThemesDriverImpactAndFollowsRetractions) {
  Open();
  auto overall = [](const std::string& id, uint32_t revision, int nps, std::vector<std::string> themes) {
    auto m = Mention(id, revision, kT0 + 10, kOverallThemeId, "c-" + id);
    m.set_nps(nps);
    for (const auto& t : themes) m.add_themes(t);
    return m;
  };
  auto out = Batch({overall("f1", 1, 10, {"a"}), overall("f2", 1, 0, {"b"}), overall("f3", 1, 0, {"b"}),
                    overall("f4", 1, 9, {"a", "b"})});
  const std::string key = WindowKey(kHour, kT0, kOverallThemeId, "all");
  ASSERT_NE(Find(out, key), nullptr);
  const auto* a = Find(out, key);
  EXPECT_EQ(a->nps_responses(), 4);
  EXPECT_DOUBLE_EQ(a->nps(), 0.0);
  ASSERT_EQ(a->drivers_size(), 2);
  EXPECT_EQ(a->drivers(0).theme_id(), "b") << "the theme that drags the score down most comes first";
  EXPECT_EQ(a->drivers(0).nps_responses(), 3);
  EXPECT_DOUBLE_EQ(a->drivers(0).nps_without(), 100.0);
  EXPECT_DOUBLE_EQ(a->drivers(0).nps_impact(), -100.0);
  EXPECT_EQ(a->drivers(1).theme_id(), "a");
  EXPECT_DOUBLE_EQ(a->drivers(1).nps_impact(), 100.0);
  // f2 taken back: b now holds f3 and f4.
  auto retract = overall("f2", 2, 0, {});
  retract.set_retracted(true);
  out = Batch({retract});
  ASSERT_NE(Find(out, key), nullptr);
  a = Find(out, key);
  EXPECT_EQ(a->nps_responses(), 3);
  ASSERT_EQ(a->drivers_size(), 2);
  EXPECT_EQ(a->drivers(0).theme_id(), "b");
  EXPECT_EQ(a->drivers(0).nps_responses(), 2);
  EXPECT_NEAR(a->drivers(0).nps_impact(), 100.0 / 3 - 100.0, 1e-9);
}

TEST_F(AggregateProcessorTest, MentionOlderThanRetentionGoesToDeadLetters) {
  Open();
  Batch({Mention("a", 1, kT0 + 48 * kHour)});
  auto out = Batch({Mention("old", 1, kT0)});
  EXPECT_EQ(out.dead_letters, std::vector<std::string>{"TOO_LATE"});
  EXPECT_EQ(Find(out, all_), nullptr);
}

TEST_F(AggregateProcessorTest, ExamplesAreTheSmallestIdsWhateverTheOrder) {
  Open();
  auto out = Batch({Mention("d", 1, kT0 + 1), Mention("b", 1, kT0 + 2), Mention("e", 1, kT0 + 3),
                    Mention("a", 1, kT0 + 4), Mention("c", 1, kT0 + 5)});
  const auto& ex = Find(out, all_)->example_feedback_ids();
  EXPECT_EQ(std::vector<std::string>(ex.begin(), ex.end()), (std::vector<std::string>{"a", "b", "c"}));
}

// Examples lost to retractions are refilled from every account of the theme: those in
// the store after a restart, and one created in the same batch, not yet committed.
TEST_F(AggregateProcessorTest, RetractedExamplesAreRefilledFromEveryAccountOfTheTheme) {
  Open();
  std::vector<voc::v1::ThemeMention> mentions;
  for (char id = 'a'; id <= 'h'; ++id) {
    // g and h belong to a customer nothing touches after the restart
    const std::string customer = id >= 'g' ? "c7" : test::Numbered("c", id % 3);
    mentions.push_back(Mention(std::string(1, id), 1, kT0 + 10, "ux.design", customer));
  }
  Batch(mentions);  // examples kept: a to f, an exact prefix of the eight ids
  Open();           // a restart: every account is in the store only
  // "f5" from a new account lies beyond the kept prefix, so it is not taken in directly;
  // once a to e are retracted, only a refill finds it, and g.
  std::vector<voc::v1::ThemeMention> batch = {Mention("f5", 1, kT0 + 20, "ux.design", "c9")};
  for (char id = 'a'; id <= 'e'; ++id) {
    auto r = Mention(std::string(1, id), 2, kT0 + 10, "ux.design", test::Numbered("c", id % 3));
    r.set_retracted(true);
    batch.push_back(r);
  }
  auto out = Batch(batch);
  ASSERT_NE(Find(out, all_), nullptr);
  const auto& a = *Find(out, all_);
  EXPECT_EQ(a.volume(), 4);
  EXPECT_EQ(std::vector<std::string>(a.example_feedback_ids().begin(), a.example_feedback_ids().end()),
            (std::vector<std::string>{"f", "f5", "g"}));
}

// A new revision of a window's largest kept example stays an example: without that,
// revisions wore the kept prefix down until a refill scanned the whole theme (in a long
// soak, scans of the overall theme stalled voc-aggregate). Refills are for removals only.
TEST_F(AggregateProcessorTest, RevisionsOfTheLargestExamplesKeepThemWithoutARefill) {
  Open();
  std::vector<voc::v1::ThemeMention> mentions;
  for (char id = 'a'; id <= 'h'; ++id) mentions.push_back(Mention(std::string(1, id), 1, kT0 + 10));
  Batch(mentions);  // kept: a to f
  const auto refills = [&] { return metrics::MetricValue(*registry_, "voc_aggregate_example_refills_total"); };
  for (uint32_t revision = 2; revision <= 5; ++revision) {
    // f, then e, d, c: each the largest kept at the time it is revised... and kept.
    auto out = Batch({Mention(std::string(1, static_cast<char>('f' - (revision - 2))), revision, kT0 + 10)});
    ASSERT_NE(Find(out, all_), nullptr);
    const auto& ex = Find(out, all_)->example_feedback_ids();
    EXPECT_EQ(std::vector<std::string>(ex.begin(), ex.end()), (std::vector<std::string>{"a", "b", "c"}));
  }
  EXPECT_EQ(refills(), 0);
  // Retractions take examples out for good: a to d gone, e and f remain of the kept six,
  // so the windows refill from the theme's contributions.
  std::vector<voc::v1::ThemeMention> retractions;
  for (char id = 'a'; id <= 'd'; ++id) {
    auto r = Mention(std::string(1, id), 9, kT0 + 10);
    r.set_retracted(true);
    retractions.push_back(r);
  }
  auto out = Batch(retractions);
  ASSERT_NE(Find(out, all_), nullptr);
  const auto& ex = Find(out, all_)->example_feedback_ids();
  EXPECT_EQ(std::vector<std::string>(ex.begin(), ex.end()), (std::vector<std::string>{"e", "f", "g"}));
  EXPECT_EQ(refills(), 3) << "one refill for each window of the group: all channels, survey, segment=unknown";
}

TEST_F(AggregateProcessorTest, MalformedMentionGoesToDeadLettersAndLaterOnesCount) {
  Open();
  auto out = Collect(harness_->Batch({{"voc.theme.mentions", 0, "", "\xff\xff\xff"},
                                      {"voc.theme.mentions", 0, "", Mention("a", 1, kT0 + 10).SerializeAsString()}}));
  EXPECT_EQ(out.dead_letters, std::vector<std::string>{"MALFORMED_PROTOBUF"});
  ASSERT_NE(Find(out, all_), nullptr);
  EXPECT_EQ(Find(out, all_)->volume(), 1);
}

}  // namespace
}  // namespace voc::aggregate
