// voc-aggregate's insight detectors through the processor, driven as the runner drives
// it (test::ProcessorHarness, RocksDB state): theme spikes against a theme's own history
// and release regressions, with the alert lifecycle on voc.alerts.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <string>
#include <vector>

#include "common/config/config.h"
#include "services/aggregate/aggregate_config.h"
#include "services/aggregate/aggregate_processor.h"
#include "tests/runtime/processor_harness.h"
#include "tests/runtime/test_util.h"
#include "voc/v1/alert.pb.h"

namespace voc::aggregate {
namespace {

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kT0 = 1'793'491'200'000;  // 2026-11-01T00:00:00Z, a Sunday
constexpr char kInput[] = "voc.theme.mentions";

class ThemeInsightsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    harness_ = std::make_unique<test::ProcessorHarness>(
        [this] {
          registry_ = std::make_shared<prometheus::Registry>();
          AggregateOptions o;
          o.emit_interval = std::chrono::milliseconds(0);
          return std::make_unique<AggregateProcessor>(o, *registry_);
        },
        dir_.path(), std::vector<TopicPartition>{{kInput, PartitionId(0)}});
    Status s = harness_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // n mentions of theme in [start, start + span), every fifth negative.
  std::vector<voc::v1::ThemeMention> Mentions(const std::string& theme, int64_t start, int64_t span, int n,
                                              const std::string& version = "4.1.0", int negative_every = 5) {
    std::vector<voc::v1::ThemeMention> out;
    for (int i = 0; i < n; ++i) {
      voc::v1::ThemeMention m;
      m.set_schema_version(1);
      m.set_theme_id(theme);
      std::string id = "f";  // (not "f" + ...: GCC 12 warns falsely of an overlapping copy)
      id += std::to_string(next_id_++);
      m.set_feedback_id(id);
      m.set_revision(1);
      m.set_channel(voc::v1::CHANNEL_TICKET);
      std::string customer = "c";
      customer += std::to_string(i % 7);
      m.set_customer_id(customer);
      m.set_event_time_ms(start + span * i / n);
      m.set_sentiment_scored(true);
      m.set_sentiment(i % negative_every == 0 ? -0.6 : 0.4);
      m.set_app_version(version);
      out.push_back(m);
    }
    return out;
  }

  // One batch; the alerts it emitted.
  std::vector<voc::v1::Alert> Feed(const std::vector<voc::v1::ThemeMention>& mentions) {
    std::vector<test::Input> inputs;
    for (const auto& m : mentions) inputs.push_back({kInput, 0, m.theme_id(), m.SerializeAsString()});
    std::vector<voc::v1::Alert> alerts;
    for (const auto& o : harness_->Batch(inputs).outputs) {
      if (o.topic != "voc.alerts") continue;
      voc::v1::Alert a;
      EXPECT_TRUE(a.ParseFromString(o.value));
      EXPECT_EQ(o.key, a.alert_id()) << "theme alerts are keyed by their id";
      alerts.push_back(a);
    }
    return alerts;
  }

  // A steady history: `per_hour` mentions of theme in each hour from `from` for `hours`,
  // one batch per hour; every alert it raised.
  std::vector<voc::v1::Alert> Steady(const std::string& theme, int64_t from, int hours, int per_hour) {
    std::vector<voc::v1::Alert> alerts;
    for (int h = 0; h < hours; ++h) {
      // A little variation, the same every day: 0, +1, -1, +2, -2 ...
      const int n = per_hour + ((h % 5) + 1) / 2 * ((h % 2) ? 1 : -1);
      for (auto& a : Feed(Mentions(theme, from + h * kHour, kHour, std::max(n, 0)))) alerts.push_back(a);
    }
    return alerts;
  }

  test::TempDir dir_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<test::ProcessorHarness> harness_;
  int next_id_ = 0;
};

TEST_F(ThemeInsightsTest, SpikeOpensWhileTheHourFillsCarriesItsEvidenceAndResolvesAfterRecovery) {
  const int days = 8;
  EXPECT_TRUE(Steady("billing", kT0, days * 24, 20).empty()) << "a steady theme raised an alert";
  const int64_t spike = kT0 + days * 24 * kHour;
  // A quarter into the hour, three times what a whole hour usually brings.
  auto alerts = Feed(Mentions("billing", spike, kHour / 4, 60));
  ASSERT_EQ(alerts.size(), 1u) << "the emission that crossed the line must carry the alert";
  const auto& opened = alerts[0];
  EXPECT_EQ(opened.kind(), voc::v1::Alert::KIND_THEME_SPIKE);
  EXPECT_EQ(opened.status(), voc::v1::Alert::STATUS_OPENED);
  EXPECT_EQ(opened.theme_id(), "billing");
  EXPECT_EQ(opened.evidence().metric(), "volume");
  EXPECT_EQ(opened.evidence().observed(), 60);
  EXPECT_NEAR(opened.evidence().expected(), 5, 2.5) << "the expectation is scaled to the quarter hour seen";
  EXPECT_GT(opened.evidence().statistic(), 4);
  EXPECT_EQ(opened.evidence().window_start_ms(), spike);
  EXPECT_EQ(opened.evidence().unique_customers(), 7);
  EXPECT_EQ(opened.evidence().example_feedback_ids_size(), 3);
  EXPECT_FALSE(opened.summary().empty());

  // The rest of the spike hour and normal hours after it: the alert resolves once two
  // closed hours are normal again, under the same id.
  std::vector<voc::v1::Alert> later;
  for (int h = 0; h < 5; ++h) {
    for (auto& a : Feed(Mentions("billing", spike + kHour / 4 + h * kHour, kHour, 20))) later.push_back(a);
  }
  ASSERT_FALSE(later.empty());
  EXPECT_EQ(later.back().status(), voc::v1::Alert::STATUS_RESOLVED);
  for (const auto& a : later) EXPECT_EQ(a.alert_id(), opened.alert_id());
  size_t opens = 0;
  for (const auto& a : later) opens += a.status() == voc::v1::Alert::STATUS_OPENED;
  EXPECT_EQ(opens, 0u) << "one spike opens one alert";
}

std::vector<voc::v1::ThemeMention> InSegment(std::vector<voc::v1::ThemeMention> mentions, const std::string& segment) {
  for (auto& m : mentions) {
    m.set_segment(segment);
    m.set_customer_id(segment + m.customer_id());
  }
  return mentions;
}

// A spike in one segment of a large theme hides in the theme's total: the segment's own
// series finds it and names the segment. A spike of the whole theme is the theme's alert,
// with its top segments, and no segment repeats it.
TEST_F(ThemeInsightsTest, SpikeInOneSegmentIsASegmentAlertAndAThemeSpikeNamesItsTopSegments) {
  auto hour = [&](int64_t start, int enterprise, int smb) {
    auto batch = InSegment(Mentions("billing", start, kHour, enterprise), "enterprise");
    for (auto& m : InSegment(Mentions("billing", start, kHour, smb), "smb")) batch.push_back(m);
    return Feed(batch);
  };
  for (int h = 0; h < 8 * 24; ++h) {
    ASSERT_TRUE(hour(kT0 + h * kHour, 40 + (h % 3) - 1, 2).empty()) << "a steady history raised an alert";
  }
  const int64_t spike = kT0 + 8 * 24 * kHour;
  auto alerts = hour(spike, 40, 14);
  ASSERT_EQ(alerts.size(), 1u) << "the smb spike is one alert of its segment";
  EXPECT_EQ(alerts[0].theme_id(), "billing");
  EXPECT_EQ(alerts[0].evidence().segment(), "smb");
  EXPECT_EQ(alerts[0].evidence().metric(), "volume");
  EXPECT_EQ(alerts[0].evidence().observed(), 14);
  EXPECT_NE(alerts[0].summary().find("smb"), std::string::npos) << alerts[0].summary();

  alerts = hour(spike + kHour, 200, 14);  // now the whole theme
  voc::v1::Alert theme;
  for (const auto& a : alerts) {
    if (a.status() == voc::v1::Alert::STATUS_OPENED) {
      EXPECT_TRUE(a.evidence().segment().empty()) << "a segment repeated the theme's spike: " << a.summary();
      theme = a;
    }
  }
  ASSERT_FALSE(theme.alert_id().empty()) << "the theme's spike was not found";
  ASSERT_EQ(theme.evidence().top_segments_size(), 2);
  EXPECT_EQ(theme.evidence().top_segments(0), "enterprise");
  EXPECT_EQ(theme.evidence().top_segments(1), "smb");
}

TEST_F(ThemeInsightsTest, QuietThemeDoublingIsNotNews) {
  EXPECT_TRUE(Steady("export", kT0, 8 * 24, 2).empty());
  EXPECT_TRUE(Feed(Mentions("export", kT0 + 8 * 24 * kHour, kHour, 4)).empty()) << "2 -> 4 an hour is noise";
}

TEST_F(ThemeInsightsTest, NoAlertBeforeAWeekOfHistory) {
  Steady("sync", kT0, 24, 20);
  EXPECT_TRUE(Feed(Mentions("sync", kT0 + 24 * kHour, kHour / 4, 80)).empty())
      << "one day of history is too little to call anything a spike";
}

// At least once, under one id: a spike redelivered after a checkpoint changes nothing; one
// lost to a crash before its checkpoint is found again under the same alert id.
TEST_F(ThemeInsightsTest, RedeliveryRepeatsNothingAndACrashRepeatsTheSameAlertId) {
  Steady("billing", kT0, 8 * 24, 20);
  const auto batch = Mentions("billing", kT0 + 8 * 24 * kHour, kHour / 4, 60);
  std::vector<test::Input> inputs;
  for (const auto& m : batch) inputs.push_back({kInput, 0, m.theme_id(), m.SerializeAsString()});
  auto alerts_of = [](const test::Emitted& emitted) {
    std::vector<voc::v1::Alert> out;
    for (const auto& o : emitted.outputs) {
      if (o.topic != "voc.alerts") continue;
      EXPECT_TRUE(out.emplace_back().ParseFromString(o.value));
    }
    return out;
  };
  const auto first = alerts_of(harness_->Batch(inputs, /*checkpoint=*/false));
  ASSERT_EQ(first.size(), 1u);
  harness_->Crash();  // the alert went out; the state that remembers it did not commit
  Status s = harness_->Start();
  ASSERT_TRUE(s.ok()) << s.ToString();
  const auto again = alerts_of(harness_->Batch(inputs));
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].alert_id(), first[0].alert_id());
  EXPECT_EQ(again[0].status(), voc::v1::Alert::STATUS_OPENED);
  EXPECT_TRUE(alerts_of(harness_->Batch(inputs)).empty()) << "a redelivery after the checkpoint repeated the alert";
}

TEST_F(ThemeInsightsTest, NewestVersionWorseThanThePreviousIsARegressionNamingBoth) {
  // 4.1.0: one in five negative; 4.2.0 from the second hour on: one in two.
  Feed(Mentions("performance.speed", kT0, kHour, 120, "4.1.0", 5));
  Feed(Mentions("performance.speed", kT0 + kHour, kHour, 120, "4.2.0", 2));
  // Two more hours close the first two windows; the release test runs as each closes.
  std::vector<voc::v1::Alert> alerts = Feed(Mentions("performance.speed", kT0 + 2 * kHour, kHour, 1, "4.2.0", 2));
  for (auto& a : Feed(Mentions("performance.speed", kT0 + 3 * kHour, kHour, 1, "4.2.0", 2))) alerts.push_back(a);
  for (auto& a : Feed(Mentions("performance.speed", kT0 + 4 * kHour, kHour, 1, "4.2.0", 2))) alerts.push_back(a);
  const voc::v1::Alert* regression = nullptr;
  for (const auto& a : alerts) {
    if (a.kind() == voc::v1::Alert::KIND_RELEASE_REGRESSION) regression = &a;
    EXPECT_NE(a.kind(), voc::v1::Alert::KIND_RELEASE_FIX);
  }
  ASSERT_NE(regression, nullptr) << "4.2.0's negative share doubled and nothing said so";
  EXPECT_EQ(regression->status(), voc::v1::Alert::STATUS_OPENED);
  EXPECT_EQ(regression->evidence().version(), "4.2.0");
  EXPECT_EQ(regression->evidence().previous_version(), "4.1.0");
  // Worse by its negative share or by its mean sentiment, whichever says so more strongly.
  if (regression->evidence().metric() == "negative_share") {
    EXPECT_GT(regression->evidence().observed(), regression->evidence().expected());
  } else {
    EXPECT_EQ(regression->evidence().metric(), "sentiment");
    EXPECT_LT(regression->evidence().observed(), regression->evidence().expected());
  }
}

TEST_F(ThemeInsightsTest, NewestVersionBetterThanThePreviousIsAFix) {
  Feed(Mentions("performance.speed", kT0, kHour, 120, "4.1.0", 2));
  Feed(Mentions("performance.speed", kT0 + kHour, kHour, 120, "4.2.0", 10));
  std::vector<voc::v1::Alert> alerts;
  for (int h = 2; h < 5; ++h) {
    for (auto& a : Feed(Mentions("performance.speed", kT0 + h * kHour, kHour, 1, "4.2.0", 10))) alerts.push_back(a);
  }
  bool fix = false;
  for (const auto& a : alerts) fix |= a.kind() == voc::v1::Alert::KIND_RELEASE_FIX;
  EXPECT_TRUE(fix);
}

TEST(InsightConfig, SettingsReachTheDetectorsAndHourlyWindowsAreRequired) {
  auto c = config::Config::Load("", {}, {"aggregate.insights.z_threshold=5.5", "aggregate.insights.min_history=2d",
                                          "aggregate.insights.segment_spikes=false",
                                          "aggregate.rollups.app_version.max_values=3"});
  const AggregateOptions o = LoadAggregateOptions(c);
  EXPECT_FALSE(o.insights.segment_spikes);
  EXPECT_EQ(o.rollup_max_values[static_cast<size_t>(Rollup::kAppVersion)], 3u);
  EXPECT_EQ(o.rollup_max_values[static_cast<size_t>(Rollup::kSegment)], 16u);
  EXPECT_EQ(o.insights.sensitivity.z_threshold, 5.5);
  EXPECT_EQ(o.insights.sensitivity.min_history_windows, 48u);
  auto daily = config::Config::Load("", {}, {"aggregate.windows=1d"});
  try {
    LoadAggregateOptions(daily);
    ADD_FAILURE() << "insights without an hourly window were accepted";
  } catch (const config::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("aggregate.insights.enabled"), std::string::npos) << e.what();
  }
  auto off = config::Config::Load("", {}, {"aggregate.windows=1d", "aggregate.insights.enabled=false"});
  EXPECT_FALSE(LoadAggregateOptions(off).insights.enabled);
}

}  // namespace
}  // namespace voc::aggregate
