// Emerging topics (services/aggregate/emerging_topics.h): the Space-Saving sketch on its
// own (bounded memory, the heavy-hitter guarantee, retractions, its stored form), then
// through the aggregate processor driven as the runner drives it (test::ProcessorHarness,
// RocksDB state): a phrase that rises in unthemed feedback over a quiet history is
// emitted once, with its evidence, while steady phrases are not; redelivery, restarts and
// crashes emit nothing new; bad phrase lists are dead letters.
#include "services/aggregate/emerging_topics.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/core/limits.h"
#include "common/core/theme_ids.h"
#include "services/aggregate/aggregate_processor.h"
#include "tests/runtime/processor_harness.h"
#include "tests/runtime/test_util.h"
#include "voc/v1/topic.pb.h"

namespace voc::aggregate {
namespace {

// ---- the sketch ----

TEST(PhraseSketch, MemoryStaysAtItsCapacityHoweverManyPhrases) {
  PhraseSketch sketch(16);
  for (int i = 0; i < 10'000; ++i) {
    std::string phrase = "p";
    phrase += std::to_string(i);
    sketch.Add(phrase);
  }
  EXPECT_EQ(sketch.counters().size(), 16u);
  EXPECT_EQ(sketch.total(), 10'000);
}

TEST(PhraseSketch, TracksEveryHeavyHitterAndBoundsEachCount) {
  // A skewed stream: a few heavy phrases among many rare ones, in random order.
  std::vector<std::string> stream;
  std::map<std::string, int64_t> truth;
  for (int heavy = 0; heavy < 5; ++heavy) {
    for (int k = 0; k < 400 - 50 * heavy; ++k) {
      std::string phrase = "heavy ";
      phrase += std::to_string(heavy);
      stream.push_back(phrase);
    }
  }
  for (int i = 0; i < 6'000; ++i) {
    std::string phrase = "rare ";
    phrase += std::to_string(i % 1'500);
    stream.push_back(phrase);
  }
  std::mt19937 random(7);
  std::shuffle(stream.begin(), stream.end(), random);
  PhraseSketch sketch(64);
  for (const auto& phrase : stream) {
    sketch.Add(phrase);
    ++truth[phrase];
  }
  const int64_t bound = sketch.total() / static_cast<int64_t>(sketch.capacity());
  for (const auto& [phrase, count] : truth) {
    const PhraseCounter* c = sketch.Find(phrase);
    if (count > bound) {
      ASSERT_NE(c, nullptr) << phrase << " occurs " << count << " times, above total / capacity = " << bound;
    }
    if (c != nullptr) {
      EXPECT_GE(c->count, count) << phrase;
      EXPECT_LE(c->count - c->error, count) << phrase;
      EXPECT_LE(c->error, bound) << phrase;
    }
  }
}

TEST(PhraseSketch, SubtractTakesBackOnlyWhatItTracks) {
  PhraseSketch sketch(2);
  sketch.Add("dark mode");
  sketch.Add("dark mode");
  sketch.Add("login");
  ASSERT_NE(sketch.Subtract("dark mode"), nullptr);
  EXPECT_EQ(sketch.Find("dark mode")->count, 1);
  EXPECT_EQ(sketch.Subtract("never seen"), nullptr);
  EXPECT_EQ(sketch.Find("never seen"), nullptr);
  // The smallest counter is the one a new phrase takes over, its count the new error.
  sketch.Add("dark mode");
  sketch.Add("sync");
  EXPECT_EQ(sketch.Find("login"), nullptr);
  ASSERT_NE(sketch.Find("sync"), nullptr);
  EXPECT_EQ(sketch.Find("sync")->count, 2);
  EXPECT_EQ(sketch.Find("sync")->error, 1);
}

TEST(PhraseSketch, StoredFormRoundTripsAndGoesOnAsTheOriginal) {
  TopicWindow a;
  a.start_ms = 3'600'000;
  a.size_ms = 3'600'000;
  a.unthemed.SetCapacity(8);
  a.all.SetCapacity(8);
  std::mt19937 random(3);
  auto phrase = [&] {
    std::string p = "w";
    p += std::to_string(random() % 20);
    return p;
  };
  for (int i = 0; i < 200; ++i) {
    a.unthemed.Add(phrase()).examples = {"f1", "f2"};
    a.all.Add(phrase()).co_themes = {{"billing", 2}, {"ui", 1}};
  }
  std::string bytes;
  state::Codec<TopicWindow>::Encode(a, &bytes);
  TopicWindow b;
  ASSERT_TRUE(state::Codec<TopicWindow>::Decode(bytes, &b));
  b.unthemed.SetCapacity(8);
  b.all.SetCapacity(8);
  for (int i = 0; i < 200; ++i) {
    const std::string p = phrase();
    a.unthemed.Add(p);
    b.unthemed.Add(p);
  }
  std::string again_a, again_b;
  state::Codec<TopicWindow>::Encode(a, &again_a);
  state::Codec<TopicWindow>::Encode(b, &again_b);
  EXPECT_EQ(again_a, again_b) << "a reloaded sketch must go on exactly as the one that stayed in memory";
  EXPECT_FALSE(state::Codec<TopicWindow>::Decode("\xff\xff", &b));
}

// ---- through the processor ----

constexpr int64_t kHour = 3'600'000;
constexpr int64_t kT0 = 1'793'491'200'000;  // 2026-11-01T00:00:00Z
constexpr char kInput[] = "voc.theme.mentions";
constexpr char kTopics[] = "voc.topics.emerging";
constexpr int kSpikeHour = 9;

class EmergingTopicsTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open(bool enabled = true) {
    harness_ = std::make_unique<test::ProcessorHarness>(
        [this, enabled] {
          registry_ = std::make_shared<prometheus::Registry>();
          AggregateOptions o;
          o.emit_interval = std::chrono::milliseconds(0);
          o.window_sizes = {std::chrono::hours(1)};
          o.insights.enabled = false;
          o.topics.enabled = enabled;
          return std::make_unique<AggregateProcessor>(o, *registry_);
        },
        dir_.path(), std::vector<TopicPartition>{{kInput, PartitionId(0)}});
    Status s = harness_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  void Restart() {
    harness_->Crash();  // every batch checkpointed: nothing is lost
    Status s = harness_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  static voc::v1::ThemeMention Overall(const std::string& id, int64_t t, const std::vector<std::string>& themes,
                                       const std::vector<std::string>& phrases, uint32_t revision = 1) {
    voc::v1::ThemeMention m;
    m.set_schema_version(1);
    m.set_theme_id(kOverallThemeId);
    m.set_feedback_id(id);
    m.set_revision(revision);
    m.set_channel(voc::v1::CHANNEL_TICKET);
    m.set_customer_id("c-" + id);
    m.set_event_time_ms(t);
    for (const auto& theme : themes) m.add_themes(theme);
    for (const auto& phrase : phrases) m.add_phrases(phrase);
    return m;
  }

  std::string NextId() {
    char id[16];
    std::snprintf(id, sizeof id, "f%05d", next_id_++);
    return id;
  }

  // An hour of steady feedback: two unthemed phrases at about 11 a hour each, and themed
  // feedback; for the spike hour, `dark mode` in 15 unthemed and 5 themed feedback too.
  std::vector<voc::v1::ThemeMention> Hour(int h) {
    std::vector<voc::v1::ThemeMention> out;
    const int64_t start = kT0 + h * kHour;
    auto add = [&](const std::vector<std::string>& themes, const std::vector<std::string>& phrases) {
      out.push_back(Overall(NextId(), 0, themes, phrases));
    };
    for (int i = 0; i < 11 + h % 3; ++i) add({kUnthemedId}, {"login", "page", "login page"});
    for (int i = 0; i < 12 - h % 2; ++i) add({kUnthemedId}, {"slow", "sync", "slow sync"});
    for (int i = 0; i < 10; ++i) add({"billing"}, {"invoice", "refund", "login"});
    if (h == kSpikeHour) {
      for (int i = 0; i < 15; ++i) {
        add({kUnthemedId}, {"dark", "mode", "dark mode"});
        spike_ids_.push_back(out.back().feedback_id());
      }
      for (int i = 0; i < 5; ++i) add({"ui.appearance", "reliability.crashes"}, {"dark", "mode", "dark mode"});
    }
    for (size_t i = 0; i < out.size(); ++i) out[i].set_event_time_ms(start + kHour * static_cast<int64_t>(i) / static_cast<int64_t>(out.size()));
    return out;
  }

  // One batch; the emerging topics it emitted.
  std::vector<voc::v1::EmergingTopic> Feed(const std::vector<voc::v1::ThemeMention>& mentions, bool checkpoint = true) {
    std::vector<test::Input> inputs;
    for (const auto& m : mentions) inputs.push_back({kInput, 0, m.theme_id(), m.SerializeAsString()});
    const auto emitted = harness_->Batch(inputs, checkpoint);
    last_dead_letters_ = emitted.reasons();
    std::vector<voc::v1::EmergingTopic> topics;
    for (const auto& o : emitted.outputs) {
      if (o.topic != kTopics) continue;
      voc::v1::EmergingTopic t;
      EXPECT_TRUE(t.ParseFromString(o.value));
      EXPECT_EQ(o.key, t.phrase()) << "emerging topics are keyed by phrase";
      topics.push_back(t);
    }
    return topics;
  }

  // Hours [from, to), one batch each; every topic they emitted.
  std::vector<voc::v1::EmergingTopic> Hours(int from, int to) {
    std::vector<voc::v1::EmergingTopic> all;
    for (int h = from; h < to; ++h) {
      hours_[h] = Hour(h);
      for (auto& t : Feed(hours_[h])) all.push_back(t);
    }
    return all;
  }

  static void ExpectDarkMode(const voc::v1::EmergingTopic& t, int64_t unthemed, int64_t count) {
    EXPECT_EQ(t.phrase(), "dark mode");
    EXPECT_EQ(t.window_start_ms(), kT0 + kSpikeHour * kHour);
    EXPECT_EQ(t.window_size_ms(), kHour);
    EXPECT_EQ(t.unthemed_count(), unthemed);
    EXPECT_EQ(t.count(), count);
    EXPECT_EQ(t.expected(), 0.0) << "never seen before";
    EXPECT_DOUBLE_EQ(t.growth(), static_cast<double>(unthemed));  // unthemed / (0 + prior 1)
    EXPECT_EQ(t.first_seen_ms(), kT0 + kSpikeHour * kHour);
    EXPECT_EQ(t.count_error(), 0) << "few phrases: the sketch is exact";
    ASSERT_EQ(t.co_themes_size(), 2);
    EXPECT_EQ(t.co_themes(0).theme_id(), "reliability.crashes");
    EXPECT_EQ(t.co_themes(0).count(), 5);
    EXPECT_EQ(t.co_themes(1).theme_id(), "ui.appearance");
    EXPECT_EQ(t.co_themes(1).count(), 5);
    EXPECT_EQ(t.meta().service(), "voc-aggregate");
  }

  test::TempDir dir_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<test::ProcessorHarness> harness_;
  int next_id_ = 0;
  std::vector<std::string> spike_ids_;
  std::map<int, std::vector<voc::v1::ThemeMention>> hours_;
  std::vector<std::string> last_dead_letters_;
};

TEST_F(EmergingTopicsTest, NewPhraseRisingInUnthemedFeedbackIsEmittedOnceWithItsEvidenceSteadyOnesNever) {
  EXPECT_TRUE(Hours(0, kSpikeHour + 2).empty()) << "steady phrases, and the spike hour before it closed";
  // Hour 11 moves the watermark past the spike hour's end plus the allowed lateness.
  const auto topics = Hours(kSpikeHour + 2, kSpikeHour + 3);
  ASSERT_EQ(topics.size(), 1u) << "\"dark\" and \"mode\" rose only with \"dark mode\": one topic";
  ExpectDarkMode(topics[0], 15, 20);
  ASSERT_EQ(topics[0].example_feedback_ids_size(), 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(topics[0].example_feedback_ids(i), spike_ids_[static_cast<size_t>(i)]);
  EXPECT_TRUE(Hours(kSpikeHour + 3, kSpikeHour + 8).empty()) << "the window is emitted once; the phrase went quiet";
}

TEST_F(EmergingTopicsTest, RedeliveredAndLateMentionsEmitNothingMore) {
  Hours(0, kSpikeHour + 2);
  ASSERT_EQ(Hours(kSpikeHour + 2, kSpikeHour + 3).size(), 1u);
  // The whole spike hour again (a redelivery after a rebalance), and new feedback of the
  // closed hour with the phrase (late data): that hour has been judged.
  EXPECT_TRUE(Feed(hours_[kSpikeHour]).empty());
  std::vector<voc::v1::ThemeMention> late;
  for (int i = 0; i < 40; ++i) {
    late.push_back(Overall(NextId(), kT0 + kSpikeHour * kHour + i, {kUnthemedId}, {"dark", "mode", "dark mode"}));
  }
  EXPECT_TRUE(Feed(late).empty());
  EXPECT_TRUE(Hours(kSpikeHour + 3, kSpikeHour + 6).empty());
}

TEST_F(EmergingTopicsTest, RestartsKeepTheWindowsAndWhatWasEmitted) {
  Hours(0, kSpikeHour + 1);
  Restart();  // the spike hour's sketches are in the store only
  Hours(kSpikeHour + 1, kSpikeHour + 2);
  Restart();
  const auto topics = Hours(kSpikeHour + 2, kSpikeHour + 3);
  ASSERT_EQ(topics.size(), 1u);
  ExpectDarkMode(topics[0], 15, 20);
  Restart();
  EXPECT_TRUE(Feed(hours_[kSpikeHour + 2]).empty()) << "redelivered after a restart";
  EXPECT_TRUE(Hours(kSpikeHour + 3, kSpikeHour + 5).empty());
}

TEST_F(EmergingTopicsTest, ACrashBeforeTheCheckpointRepeatsTheSameTopic) {
  Hours(0, kSpikeHour + 2);
  const auto closing = Hour(kSpikeHour + 2);
  const auto first = Feed(closing, /*checkpoint=*/false);
  ASSERT_EQ(first.size(), 1u);
  harness_->Crash();
  ASSERT_TRUE(harness_->Start().ok());
  auto again = Feed(closing);
  ASSERT_EQ(again.size(), 1u) << "the state that remembers the emission did not commit: the same topic again";
  again[0].mutable_meta()->set_processed_at_ms(first[0].meta().processed_at_ms());
  EXPECT_EQ(again[0].SerializeAsString(), first[0].SerializeAsString());
  EXPECT_TRUE(Hours(kSpikeHour + 3, kSpikeHour + 5).empty());
}

TEST_F(EmergingTopicsTest, ARevisionTakesItsPhrasesBackOut) {
  Hours(0, kSpikeHour + 1);
  // Four of the unthemed spike feedback, revised: a theme now matches and the phrase is gone.
  std::vector<voc::v1::ThemeMention> revised;
  for (size_t i = spike_ids_.size() - 4; i < spike_ids_.size(); ++i) {
    revised.push_back(Overall(spike_ids_[i], kT0 + kSpikeHour * kHour + 1, {"billing"}, {"invoice"}, 2));
  }
  EXPECT_TRUE(Feed(revised).empty());
  Hours(kSpikeHour + 1, kSpikeHour + 2);
  const auto topics = Hours(kSpikeHour + 2, kSpikeHour + 3);
  ASSERT_EQ(topics.size(), 1u);
  ExpectDarkMode(topics[0], 11, 16);
}

TEST_F(EmergingTopicsTest, DisabledEmitsNothing) {
  Open(/*enabled=*/false);
  EXPECT_TRUE(Hours(0, kSpikeHour + 4).empty());
}

TEST_F(EmergingTopicsTest, OverlongPhraseListsAndPhrasesAreDeadLetters) {
  std::vector<std::string> many;
  for (int i = 0; i < 25; ++i) {
    std::string p = "phrase ";
    p += std::to_string(i);
    many.push_back(p);
  }
  const std::string long_phrase(101, 'x');
  EXPECT_TRUE(Feed({Overall("f-many", kT0, {kUnthemedId}, many)}).empty());
  EXPECT_EQ(last_dead_letters_, std::vector<std::string>{"INVALID_FIELD"});
  Feed({Overall("f-long", kT0, {kUnthemedId}, {"ok", long_phrase})});
  EXPECT_EQ(last_dead_letters_, std::vector<std::string>{"INVALID_FIELD"});
  Feed({Overall("f-empty", kT0, {kUnthemedId}, {""})});
  EXPECT_EQ(last_dead_letters_, std::vector<std::string>{"INVALID_FIELD"});
  many.pop_back();
  Feed({Overall("f-24", kT0, {kUnthemedId}, many)});
  EXPECT_TRUE(last_dead_letters_.empty()) << "24 phrases are the limit, not past it";
}

TEST_F(EmergingTopicsTest, OverallMentionsListingTooManyThemesOrBadIdsAreDeadLetters) {
  std::vector<std::string> themes;
  for (size_t i = 0; i <= voc::kMaxThemesPerFeedback; ++i) themes.push_back(std::to_string(i) + "t");
  Feed({Overall("f-many", kT0, themes, {"dark mode"})});
  EXPECT_EQ(last_dead_letters_, std::vector<std::string>{"INVALID_FIELD"});
  Feed({Overall("f-empty", kT0, {"billing", ""}, {"dark mode"})});
  EXPECT_EQ(last_dead_letters_, std::vector<std::string>{"INVALID_FIELD"});
  Feed({Overall("f-long", kT0, {std::string(256, 'x')}, {"dark mode"})});
  EXPECT_EQ(last_dead_letters_, std::vector<std::string>{"INVALID_FIELD"});
  themes.pop_back();
  Feed({Overall("f-1024", kT0, themes, {"dark mode"})});
  EXPECT_TRUE(last_dead_letters_.empty()) << "1024 themes are the limit, not past it";
}

}  // namespace
}  // namespace voc::aggregate
