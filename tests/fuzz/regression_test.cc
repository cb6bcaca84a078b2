// The fuzz targets in the normal test suite: every seed and every saved crash input
// (regressions/<target>/) replayed through each target's contract, whatever the compiler;
// and, below, the named regression tests of what fuzzing found, each driving the
// production code the way the crash input did.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "common/config/config.h"
#include "common/core/theme_ids.h"
#include "common/core/utf8.h"
#include "services/aggregate/aggregate_processor.h"
#include "services/enrich/enrich_processor.h"
#include "services/enrich/simhash.h"
#include "services/ingest/ingest_processor.h"
#include "tests/fuzz/processor.h"
#include "tests/runtime/test_util.h"
#include "tools/vocctl/produce_input.h"
#include "voc/state/v1/state.pb.h"

namespace voc::fuzz {
namespace {

class Replay : public ::testing::TestWithParam<std::string> {};

TEST_P(Replay, EverySeedAndCrashInputKeepsTheContract) {
  const std::string& target = GetParam();
  auto it = Targets().find(target);
  ASSERT_NE(it, Targets().end()) << "target " << target << " is in targets.txt but not linked";
  size_t inputs = 0;
  for (const char* folder : {"seeds", "regressions"}) {
    const std::filesystem::path dir = std::filesystem::path(VOC_SOURCE_DIR) / "tests/fuzz" / folder / target;
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      SCOPED_TRACE(entry.path().string());
      const std::string bytes = test::FileText(entry.path().string());
      it->second(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());  // aborts on a broken contract
      ++inputs;
    }
  }
  EXPECT_GT(inputs, 0u) << "no seeds for " << target;
}

std::vector<std::string> TargetNames() {
  std::vector<std::string> names;
  std::ifstream in(std::string(VOC_SOURCE_DIR) + "/tests/fuzz/targets.txt");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] >= 'a' && line[0] <= 'z') names.push_back(line.substr(0, line.find_first_of(" \t")));
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(Fuzz, Replay, ::testing::ValuesIn(TargetNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

// ---- What fuzzing found, one test each ----

// The reason voc-ingest gives a record, or "" when it accepts it.
std::string IngestReason(const std::string& topic, const std::string& payload) {
  test::ProcessorHarness harness([] { return std::make_unique<ingest::IngestProcessor>(ingest::IngestOptions()); },
                                 "", {{topic, PartitionId(0)}});
  EXPECT_TRUE(harness.Start().ok());
  harness.SetWallClock(kNowMs);
  const auto out = harness.Batch({{.topic = topic, .partition = 0, .key = "", .value = payload}});
  return out.dead_letters.empty() ? "" : out.dead_letters[0].reason;
}

// regressions/ingest_raw/numeric-channel-ignored-in-json: a JSON review with "channel":
// 4242 was accepted (the key ignored, its digits kept in the field), where the same
// record as a protobuf is UNKNOWN_CHANNEL: the two wire formats disagreed.
TEST(IngestFuzzRegression, ANumericChannelIsReadByItsDigitsAsInProtobuf) {
  const std::string review =
      R"({"review_id":"98765","rating":4,"body":"Nice","reviewed_at":"2026-11-20T10:00:00Z","channel":)";
  EXPECT_EQ(IngestReason("voc.raw.reviews", review + "4242}"), "UNKNOWN_CHANNEL");
  EXPECT_EQ(IngestReason("voc.raw.reviews", review + "3}"), "UNKNOWN_CHANNEL");
  EXPECT_EQ(IngestReason("voc.raw.reviews", review + "true}"), "INVALID_FIELD");
  EXPECT_EQ(IngestReason("voc.raw.reviews", review + "null}"), "");
  EXPECT_EQ(IngestReason("voc.raw.reviews", review + R"("review"})"), "");
  voc::v1::RawAppReview proto;
  proto.set_review_id("98765");
  proto.set_rating(4);
  proto.set_body("Nice");
  proto.set_reviewed_at_ms(1'795'600'000'000);
  proto.set_channel("4242");
  EXPECT_EQ(IngestReason("voc.raw.reviews", proto.SerializeAsString()), "UNKNOWN_CHANNEL");
}

// regressions/ingest_raw/overlong-dimension-cut-inside-a-character: an overlong platform
// was quoted in the dead letter's reason cut at 64 bytes, in the middle of a three-byte
// character, so the reason (a UTF-8 header downstream) was not UTF-8.
TEST(IngestFuzzRegression, AnOverlongDimensionIsQuotedCutOnACharacterBoundary) {
  test::ProcessorHarness harness([] { return std::make_unique<ingest::IngestProcessor>(ingest::IngestOptions()); },
                                 "", {{"voc.raw.reviews", PartitionId(0)}});
  ASSERT_TRUE(harness.Start().ok());
  harness.SetWallClock(kNowMs);
  const std::string platform = std::string(62, 'a') + "\xe2\x82\xac tail";  // the euro sign spans bytes 63-65
  const std::string review = R"({"review_id":"1","rating":4,"body":"Nice","reviewed_at":"2026-11-20T10:00:00Z",)"
                             R"("platform":")" + platform + "\"}";
  const auto out = harness.Batch({{.topic = "voc.raw.reviews", .partition = 0, .key = "", .value = review}});
  ASSERT_EQ(out.dead_letters.size(), 1u);
  EXPECT_EQ(out.dead_letters[0].reason, "INVALID_FIELD");
  EXPECT_TRUE(IsValidUtf8(out.dead_letters[0].detail)) << out.dead_letters[0].detail;
  EXPECT_NE(out.dead_letters[0].detail.find(std::string(62, 'a') + "...\""), std::string::npos)
      << "the cut keeps whole characters only: " << out.dead_letters[0].detail;
}

constexpr int64_t kT0 = state_seed::kT0;

voc::v1::ThemeMention Mention(const std::string& id, uint32_t revision, const std::string& customer = "c1") {
  voc::v1::ThemeMention m;
  m.set_theme_id("ux.design");
  m.set_theme_path("UX > Design");
  m.set_feedback_id(id);
  m.set_revision(revision);
  m.set_channel(voc::v1::CHANNEL_SURVEY);
  m.set_customer_id(customer);
  m.set_event_time_ms(kT0 + 10);
  m.set_sentiment_scored(true);
  m.set_sentiment(-0.5);
  m.set_arr(1000);
  return m;
}

// voc-aggregate (windows of an hour, emitting at every batch) on a fresh state folder, as
// the runner drives it.
class AggregateFuzzRegression : public ::testing::Test {
 protected:
  void SetUp() override {
    aggregate::AggregateOptions options;
    options.window_sizes = {std::chrono::hours(1)};
    options.emit_interval = std::chrono::milliseconds(0);
    harness_ = std::make_unique<test::ProcessorHarness>(
        [this, options] { return std::make_unique<aggregate::AggregateProcessor>(options, registry_); }, dir_.path(),
        std::vector<TopicPartition>{{"voc.theme.mentions", PartitionId(0)}});
    ASSERT_TRUE(harness_->Start().ok());
    harness_->SetWallClock(kNowMs);
  }

  test::Emitted Batch(const std::vector<voc::v1::ThemeMention>& mentions) {
    std::vector<test::Input> inputs;
    for (const auto& m : mentions) inputs.push_back({"voc.theme.mentions", 0, m.theme_id(), m.SerializeAsString()});
    return harness_->Batch(inputs);
  }

  test::TempDir dir_;
  prometheus::Registry registry_;
  std::unique_ptr<test::ProcessorHarness> harness_;
};

// regressions/aggregate_mentions/sentiment-out-of-range: a sentiment of about 1e300 was
// rounded to INT64_MIN micros and the window's mean read -9e12; an event time near
// INT64_MAX or two ARRs of INT64_MAX overflowed the window end and the ARR sum.
TEST_F(AggregateFuzzRegression, MentionValuesThatWouldOverflowAreInvalidFieldDeadLetters) {
  std::vector<voc::v1::ThemeMention> bad;
  for (double sentiment : {1e300, -1.5, std::numeric_limits<double>::quiet_NaN()}) {
    bad.push_back(Mention("s", 1));
    bad.back().set_sentiment(sentiment);
  }
  bad.push_back(Mention("t", 1));
  bad.back().set_event_time_ms(std::numeric_limits<int64_t>::max() - 10);
  for (int64_t arr : {std::numeric_limits<int64_t>::max(), int64_t{-1}}) {
    bad.push_back(Mention("u", 1));
    bad.back().set_arr(arr);
  }
  bad.push_back(Mention("v", 1));
  bad.back().set_nps(11);
  bad.push_back(Mention("w", 1));
  bad.back().set_csat(0);
  const auto out = Batch(bad);
  ASSERT_EQ(out.dead_letters.size(), bad.size());
  for (const auto& letter : out.dead_letters) EXPECT_EQ(letter.reason, "INVALID_FIELD") << letter.detail;
  EXPECT_TRUE(out.outputs.empty());
  // The bounds themselves are accepted.
  auto edge = Mention("x", 1);
  edge.set_sentiment(-1.0);
  edge.set_arr(1'000'000'000'000);
  edge.set_nps(10);
  edge.set_csat(5);
  const auto ok = Batch({edge});
  EXPECT_TRUE(ok.dead_letters.empty());
  EXPECT_FALSE(ok.outputs.empty());
}

// regressions/aggregate_mentions/duplicate-example-after-customer-move: a revision filed
// under another customer counts in both accounts until its retraction under the old one
// arrives; the example refill listed the id twice meanwhile.
TEST_F(AggregateFuzzRegression, RefilledExamplesListAnIdOnceWhenARevisionMovedCustomer) {
  Batch({Mention("a", 1, "c1")});
  const auto out = Batch({Mention("a", 2, "c2")});
  ASSERT_FALSE(out.outputs.empty());
  for (const auto& o : out.outputs) {
    voc::v1::ThemeAggregate a;
    ASSERT_TRUE(a.ParseFromString(o.value));
    EXPECT_EQ(a.volume(), 2) << "both accounts count it until the retraction";
    ASSERT_EQ(a.example_feedback_ids_size(), 1) << a.ShortDebugString();
    EXPECT_EQ(a.example_feedback_ids(0), "a");
  }
}

// The records voc-enrich emitted again with a new near-duplicate role, in order.
std::vector<voc::v1::EnrichedFeedback> RoleChanges(const test::Emitted& out) {
  std::vector<voc::v1::EnrichedFeedback> changes;
  for (const auto& o : out.outputs) {
    voc::v1::EnrichedFeedback e;
    if (o.topic != "voc.feedback.enriched" || !e.ParseFromString(o.value)) continue;
    EXPECT_EQ(o.key, e.customer_id()) << "an enriched record not keyed by its customer";
    if (e.role_changed()) changes.push_back(e);
  }
  return changes;
}

// voc-enrich on a fresh state folder, as the runner drives it, one record per batch.
class EnrichFuzzRegression : public ::testing::Test {
 protected:
  void SetUp() override {
    harness_ = std::make_unique<test::ProcessorHarness>(
        [this] { return std::make_unique<enrich::EnrichProcessor>(enrich::EnrichOptions{}, AnalyzerFork(), registry_); },
        dir_.path(), std::vector<TopicPartition>{{"voc.feedback", PartitionId(0)}});
    ASSERT_TRUE(harness_->Start().ok());
    harness_->SetWallClock(kNowMs);
  }

  test::Emitted Process(const char* id, const char* customer, int64_t minute, const std::string& text) {
    voc::v1::Feedback f;
    f.set_feedback_id(id);
    f.set_source_revision(1);
    f.set_channel(voc::v1::CHANNEL_TICKET);
    f.set_customer_id(customer);
    f.set_event_time_ms(kT0 + minute * 60'000);
    f.set_text(text);
    return harness_->Batch({{.topic = "voc.feedback", .partition = 0, .key = customer, .value = f.SerializeAsString()}});
  }

  static constexpr char kText[] = "The export to Excel fails every single time I try it.";
  test::TempDir dir_;
  prometheus::Registry registry_;
  std::unique_ptr<test::ProcessorHarness> harness_;
};

// regressions/enrich_feedback/role-change-for-a-text-of-another-customer: a feedback id
// filed again under another customer stayed in its old customer's near-duplicate index.
// An earlier near-identical text of the old customer then emitted it again there, as the
// old customer's, from the record it had before it moved; and the old customer's later
// texts kept it as their original.
TEST_F(EnrichFuzzRegression, ATextFiledUnderAnotherCustomerLeavesTheOldCustomersNearDuplicates) {
  Process("e3", "cust-2", 3, kText);
  const auto repeat = Process("e4", "cust-2", 4, kText);
  ASSERT_FALSE(repeat.outputs.empty());
  voc::v1::EnrichedFeedback e4;
  ASSERT_TRUE(e4.ParseFromString(repeat.outputs[0].value));
  ASSERT_EQ(e4.duplicate_of(), "e3");

  // e3 again at its source revision, now cust-1's and without a text: e4 is an original.
  auto changes = RoleChanges(Process("e3", "cust-1", 3, ""));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].feedback_id(), "e4");
  EXPECT_EQ(changes[0].customer_id(), "cust-2");
  EXPECT_EQ(changes[0].duplicate_of(), "");
  EXPECT_EQ(changes[0].revision(), 2u);

  // An earlier text of cust-2 like e3's was: only e4 changes role, e3 is cust-1's.
  changes = RoleChanges(Process("e1", "cust-2", 1, kText));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].feedback_id(), "e4");
  EXPECT_EQ(changes[0].duplicate_of(), "e1");
  EXPECT_EQ(changes[0].revision(), 3u);
}

// regressions/enrich_feedback/text-without-a-customer-filed-under-one: the same with a
// text first filed under no customer. An empty old customer did not count as a move, so
// the text stayed among the texts without a customer, and its old themes were not
// retracted there: voc-aggregate counted it under both.
TEST_F(EnrichFuzzRegression, ATextWithoutACustomerFiledUnderOneLeavesTheTextsAndAccountWithoutOne) {
  Process("e3", "", 3, kText);
  Process("e4", "", 4, kText);
  const auto moved = Process("e3", "cust-1", 3, "");
  std::set<std::string> retracted_under_none;
  for (const auto& o : moved.outputs) {
    voc::v1::ThemeMention m;
    if (o.topic == "voc.theme.mentions" && m.ParseFromString(o.value) && m.retracted() && m.customer_id().empty()) {
      retracted_under_none.insert(m.theme_id());
    }
  }
  EXPECT_TRUE(retracted_under_none.contains(kOverallThemeId)) << "the overall mention under no customer was not taken back";
  const auto changes = RoleChanges(moved);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].feedback_id(), "e4");
  EXPECT_EQ(changes[0].customer_id(), "");
  EXPECT_EQ(changes[0].duplicate_of(), "");
  EXPECT_TRUE(RoleChanges(Process("e1", "", 1, kText)).size() == 1u) << "only e4 changes role";
}

// regressions/state_values/near-duplicate-event-time-overflows: a stored index whose text
// had event time INT64_MIN; "how long before this record" overflowed (undefined behaviour;
// in practice it wrapped negative, inside the horizon), so a record became a near
// duplicate of a text dated before the epoch by 292 million years.
TEST_F(EnrichFuzzRegression, AStoredTextWhoseDistanceInTimeOverflowsIsBeyondTheHorizon) {
  int words = 0;
  voc::state::v1::NearDuplicateIndex index;
  index.add_simhash(enrich::SimHash(kText, &words));
  index.add_event_time_ms(std::numeric_limits<int64_t>::min());
  index.add_feedback_id("ancient");
  index.add_duplicate_of("");
  auto txn = harness_->db()->Begin();
  txn->Put(StoreNamed(*harness_, "neardup"), PartitionId(0), "cust-1", index.SerializeAsString());
  ASSERT_TRUE(harness_->db()->Commit(txn.get()).ok());
  const auto out = Process("e1", "cust-1", 1, kText);
  ASSERT_FALSE(out.outputs.empty());
  voc::v1::EnrichedFeedback e1;
  ASSERT_TRUE(e1.ParseFromString(out.outputs[0].value));
  EXPECT_EQ(e1.duplicate_of(), "");
}

// regressions/state_values/window-theme-not-utf8 and the rest of state_values: a stored
// value that cannot be read stops the service with a FatalError naming the store. Before,
// a window's unparseable bytes went out as a ThemeAggregate nobody could parse, a dedupe
// entry whose theme id was not UTF-8 went out in a retraction nobody could parse, a
// contribution's channel 7 indexed past an array, and values out of their bounds
// overflowed sums.
class StoredValueTest : public ::testing::Test {
 protected:
  static constexpr char kGarbage[] = "\x0a\xff\xff\xff\xff\x0f";

  // Stores value in the named store of voc-enrich's state, then processes the fixed
  // Feedback; the FatalError's message ("" when there is none).
  std::string Enrich(const char* store, PartitionId partition, const std::string& key, const std::string& value) {
    voc::v1::Feedback f;
    f.set_feedback_id(state_seed::kFeedbackId);
    f.set_source_revision(2);
    f.set_channel(voc::v1::CHANNEL_TICKET);
    f.set_customer_id(state_seed::kCustomer);
    f.set_event_time_ms(kT0);
    f.set_text("The dashboard is far too slow to load every single morning.");
    return Run([] { return std::make_unique<enrich::EnrichProcessor>(enrich::EnrichOptions{}, AnalyzerFork(),
                                                                     Registry()); },
               "voc.feedback", store, partition, key, value, f.SerializeAsString());
  }

  // Stores value in the named store of voc-aggregate's state, then processes the fixed
  // mention; the FatalError's message.
  std::string Aggregate(const char* store, const std::string& key, const std::string& value) {
    aggregate::AggregateOptions options;
    options.window_sizes = {std::chrono::hours(1)};
    auto m = Mention(state_seed::kFeedbackId, 2, state_seed::kCustomer);
    m.set_theme_id(state_seed::kTheme);
    return Run([options] { return std::make_unique<aggregate::AggregateProcessor>(options, Registry()); },
               "voc.theme.mentions", store, PartitionId(0), key, value, m.SerializeAsString());
  }

  static prometheus::Registry& Registry() {
    static prometheus::Registry registry;
    return registry;
  }

  // A processor on a fresh state folder holding value, then one batch of record.
  std::string Run(test::ProcessorHarness::Factory make, const std::string& topic, const char* store,
                  PartitionId partition, const std::string& key, const std::string& value, const std::string& record) {
    test::TempDir dir;
    test::ProcessorHarness harness(std::move(make), dir.path(), {{topic, PartitionId(0)}});
    EXPECT_TRUE(harness.Start().ok());
    harness.SetWallClock(kNowMs);
    auto txn = harness.db()->Begin();
    txn->Put(StoreNamed(harness, store), partition, key, value);
    EXPECT_TRUE(harness.db()->Commit(txn.get()).ok());
    try {
      harness.Batch({{.topic = topic, .partition = 0, .key = "", .value = record}});
    } catch (const runtime::FatalError& e) {
      return e.what();
    }
    return "";
  }
};

TEST_F(StoredValueTest, UnreadableEnrichStateIsAFatalErrorNamingTheStore) {
  const PartitionId p0(0);
  EXPECT_NE(Enrich("dedupe", p0, state_seed::kFeedbackId, kGarbage).find("dedupe"), std::string::npos);
  voc::state::v1::DedupeEntry entry;
  entry.set_source_revision(1);
  entry.add_theme_ids("\xff");  // would go out as a retraction's theme id
  EXPECT_NE(Enrich("dedupe", p0, state_seed::kFeedbackId, entry.SerializeAsString()).find("dedupe"), std::string::npos);
  entry.clear_theme_ids();
  entry.set_customer_id("\xc3");  // would go out as a retraction's customer id
  EXPECT_NE(Enrich("dedupe", p0, state_seed::kFeedbackId, entry.SerializeAsString()).find("dedupe"), std::string::npos);
  EXPECT_NE(Enrich("neardup", p0, state_seed::kCustomer, kGarbage).find("neardup"), std::string::npos);
  voc::state::v1::NearDuplicateIndex index;
  index.set_earlier_forgotten(1);  // forgotten texts of an earlier entry it says it has not
  EXPECT_NE(Enrich("neardup", p0, state_seed::kCustomer, index.SerializeAsString()).find("neardup"), std::string::npos);
  index.clear_earlier_forgotten();
  index.add_simhash(1);  // ragged
  EXPECT_NE(Enrich("neardup", p0, state_seed::kCustomer, index.SerializeAsString()).find("neardup"), std::string::npos);
  index.add_event_time_ms(kT0);
  index.add_feedback_id("x");
  index.add_duplicate_of("\xff");  // would go out as a record's duplicate_of
  EXPECT_NE(Enrich("neardup", p0, state_seed::kCustomer, index.SerializeAsString()).find("neardup"), std::string::npos);
  index.set_duplicate_of(0, "");
  index.add_simhash(1);  // out of (event time, id) order
  index.add_event_time_ms(kT0 - 1);
  index.add_feedback_id("y");
  index.add_duplicate_of("");
  EXPECT_NE(Enrich("neardup", p0, state_seed::kCustomer, index.SerializeAsString()).find("neardup"), std::string::npos);
  EXPECT_NE(Enrich("customers", runtime::Table<voc::v1::CustomerProfile>::kPartition, state_seed::kCustomer, kGarbage)
                .find("customers"),
            std::string::npos);
}

TEST_F(StoredValueTest, UnreadableAggregateStateIsAFatalErrorNamingTheStore) {
  std::string account_key(1, static_cast<char>(std::strlen(state_seed::kTheme)));
  account_key += state_seed::kTheme;
  account_key += '\0';
  account_key += static_cast<char>(std::strlen(state_seed::kCustomer));
  account_key += state_seed::kCustomer;
  const std::string contribution_key = account_key + state_seed::kFeedbackId;
  EXPECT_NE(Aggregate("contribution", contribution_key, kGarbage).find("contribution"), std::string::npos);
  voc::state::v1::Contribution c;  // the contribution the mention replaces, on channel 7
  c.set_feedback_id(state_seed::kFeedbackId);
  c.set_revision(1);
  c.set_channel(7);
  c.set_event_time_ms(kT0 + 10);
  EXPECT_NE(Aggregate("contribution", contribution_key, c.SerializeAsString()).find("contribution"),
            std::string::npos);
  c.set_channel(voc::v1::CHANNEL_SURVEY);  // what the processor writes itself reads back
  EXPECT_EQ(Aggregate("contribution", contribution_key, c.SerializeAsString()), "");
  // The customer's spans within the hour [kT0, +1h), the only (so the largest) window size:
  // size and start, 8 bytes big-endian each.
  std::string span_key = account_key;
  for (int64_t v : {int64_t{3'600'000}, kT0}) {
    for (int shift = 56; shift >= 0; shift -= 8) span_key.push_back(static_cast<char>(static_cast<uint64_t>(v) >> shift));
  }
  EXPECT_NE(Aggregate("span", span_key, kGarbage).find("span"), std::string::npos);
  voc::state::v1::SpanGroup spans;
  EXPECT_NE(Aggregate("span", span_key, spans.SerializeAsString()).find("span"), std::string::npos)
      << "a group without spans is never written";
  auto* sized = spans.add_spans();
  sized->set_size_ms(3'600'000);
  sized->set_start_ms(kT0);
  voc::state::v1::Span& span = *sized->mutable_span();
  for (int64_t count : {1, 0, 1, 0}) span.add_counts(count);
  span.add_credit_offsets(1);  // a credit without its ARR
  EXPECT_NE(Aggregate("span", span_key, spans.SerializeAsString()).find("span"), std::string::npos);
  span.add_credit_arrs(-1'000'000'000'001);  // an ARR past any the processor accepts
  EXPECT_NE(Aggregate("span", span_key, spans.SerializeAsString()).find("span"), std::string::npos);
  span.set_credit_arrs(0, 250'000);
  sized->set_start_ms(kT0 + 1);  // a window that does not start on a multiple of its size
  EXPECT_NE(Aggregate("span", span_key, spans.SerializeAsString()).find("span"), std::string::npos);
  sized->set_start_ms(kT0);
  *spans.add_spans() = spans.spans(0);  // the same window twice
  EXPECT_NE(Aggregate("span", span_key, spans.SerializeAsString()).find("span"), std::string::npos);
  spans.mutable_spans()->RemoveLast();
  EXPECT_EQ(Aggregate("span", span_key, spans.SerializeAsString()), "");
  const std::string window = aggregate::WindowKey(3'600'000, kT0, state_seed::kTheme, "all");
  EXPECT_NE(Aggregate("window", window, kGarbage).find("window"), std::string::npos);
  voc::state::v1::WindowState state;
  state.set_theme_id("\xff\xfe");
  state.set_window_start_ms(kT0);
  state.set_window_size_ms(3'600'000);
  EXPECT_NE(Aggregate("window", window, state.SerializeAsString()).find("window"), std::string::npos);
  state.set_theme_id(state_seed::kTheme);
  // regressions/state_values/window-taxonomy-version-not-utf8: strings the window's
  // aggregate carries, not UTF-8.
  state.set_taxonomy_version("\xff\xfe");
  EXPECT_NE(Aggregate("window", window, state.SerializeAsString()).find("window"), std::string::npos);
  state.clear_taxonomy_version();
  state.add_drivers()->set_theme_id("\xff");
  EXPECT_NE(Aggregate("window", window, state.SerializeAsString()).find("window"), std::string::npos);
  state.clear_drivers();
  state.set_volume(std::numeric_limits<int64_t>::max());  // the next mention would overflow it
  EXPECT_NE(Aggregate("window", window, state.SerializeAsString()).find("window"), std::string::npos);
  EXPECT_NE(Aggregate("meta", "meta", kGarbage).find("meta"), std::string::npos);
  voc::state::v1::PartitionMeta meta;
  meta.set_watermark_ms(-5);
  EXPECT_NE(Aggregate("meta", "meta", meta.SerializeAsString()).find("meta"), std::string::npos);
  meta.set_watermark_ms(kT0);
  meta.add_open_end_ms(kT0);  // ragged
  EXPECT_NE(Aggregate("meta", "meta", meta.SerializeAsString()).find("meta"), std::string::npos);
  meta.clear_open_end_ms();
  EXPECT_EQ(Aggregate("meta", "meta", meta.SerializeAsString()), "");
}

// regressions/service_config/complex-key-escapes-as-yaml-exception: "? rocksdb:" made a
// key that is a mapping; yaml-cpp's bad-conversion exception left Config::Load, past
// ServiceMain's ConfigError handler, and ended the service with std::terminate.
TEST(ConfigFuzzRegression, AKeyThatIsAListOrMappingIsAConfigErrorNamingTheFile) {
  test::TempDir dir;
  const std::string path = dir.path() + "/service.yaml";
  for (const char* yaml : {"state:\n  ? rocksdb:\n    max_background_jobs: 2\n", "[a, b]: 1\n", "? {a: b}\n: c\n"}) {
    std::ofstream(path) << yaml;
    try {
      config::Config::Load(path, {}, {});
      ADD_FAILURE() << "accepted: " << yaml;
    } catch (const config::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("list or a mapping"), std::string::npos) << e.what();
    }
  }
}

// A duration's digits times its unit overflowed int64 (undefined behaviour) before it
// was checked; anything over 100 years is refused now.
TEST(ConfigFuzzRegression, DurationsOverAHundredYearsAreRefusedNotOverflowed) {
  std::chrono::milliseconds d{};
  EXPECT_TRUE(config::ParseDuration("36500d", &d));
  EXPECT_EQ(d.count(), 36'500LL * 86'400'000);
  for (const char* huge : {"36501d", "9223372036854775807d", "106751991167d", "3153600000001", "999999999999999999h"}) {
    EXPECT_FALSE(config::ParseDuration(huge, &d)) << huge;
  }
  auto c = config::Config::Load("", {}, {"aggregate.retention=200000d"});
  try {
    c.Duration("aggregate.retention", std::chrono::hours(1));
    ADD_FAILURE() << "a retention of 200000 days was accepted";
  } catch (const config::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("100 years"), std::string::npos) << e.what();
  }
}

std::vector<std::string> ReadAll(const std::string& file, bool csv, std::string* error) {
  std::istringstream in(file);
  vocctl::ProduceInput input(in, {.csv = csv});
  std::vector<std::string> values;
  for (;;) {
    const auto r = input.Next();
    if (r == vocctl::ProduceInput::Result::kEnd) break;
    if (r == vocctl::ProduceInput::Result::kError) {
      *error = input.error();
      break;
    }
    values.push_back(input.value());
  }
  return values;
}

// regressions/vocctl_input/leading-zeros-made-invalid-json: "0000" went out as the JSON
// number 0000, which is no JSON, so voc-ingest refused the whole row as MALFORMED_JSON.
TEST(VocctlFuzzRegression, CsvNumbersWithLeadingZerosStayStrings) {
  std::string error;
  const auto values = ReadAll("id,zip,n,m,z\n007,01234,-12,0,-0\n", true, &error);
  EXPECT_EQ(error, "");
  ASSERT_EQ(values.size(), 1u);
  EXPECT_EQ(values[0], R"({"id":"007","zip":"01234","n":-12,"m":0,"z":-0})");
}

// regressions/vocctl_input/header-names-a-column-twice: a header naming a column twice made
// records with the key twice, which voc-ingest refuses as MALFORMED_JSON, every one.
TEST(VocctlFuzzRegression, HeaderNamingAColumnTwiceIsAnErrorWithTheLine) {
  std::string error;
  EXPECT_TRUE(ReadAll("id,comment,id\n1,a,2\n", true, &error).empty());
  EXPECT_NE(error.find("line 1: column \"id\" is named twice"), std::string::npos) << error;
  // Two names whose bytes are not UTF-8 are the same JSON key (U+FFFD) too, and the same
  // as U+FFFD itself (regressions/vocctl_input/header-names-a-column-twice-as-u-fffd).
  EXPECT_TRUE(ReadAll("\xff,\xfe\n1,2\n", true, &error).empty());
  EXPECT_NE(error.find("named twice"), std::string::npos) << error;
  error.clear();
  EXPECT_TRUE(ReadAll("\xff\x01,\xef\xbf\xbd\x01\n1,2\n", true, &error).empty());
  EXPECT_NE(error.find("named twice"), std::string::npos) << error;
}

}  // namespace
}  // namespace voc::fuzz
