// voc-enrich's processor on a real RocksDB state store and the real text Analyzer
// (default taxonomy and lexicons), driven batch by batch the way the runtime drives it
// (test::ProcessorHarness); its customer table gets rows as the runtime's table reader
// hands them over. tests/e2e reads the table from real topics.
#include "services/enrich/enrich_processor.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <set>

#include "common/config/config.h"
#include "common/core/fatal_error.h"
#include "common/core/theme_ids.h"
#include "services/enrich/enrich_config.h"
#include "services/enrich/simhash.h"
#include "tests/runtime/processor_harness.h"
#include "tests/runtime/test_util.h"
#include "voc/v1/customer.pb.h"

namespace voc::enrich {
namespace {

constexpr int64_t kT0 = 1'793'491'200'000;  // 2026-11-01T00:00:00Z
constexpr int64_t kDay = 86'400'000;
constexpr char kInput[] = "voc.feedback";

// What a batch emitted, by topic.
struct Out {
  std::vector<test::Output> outputs;
  std::vector<std::string> dead_letters;

  template <typename Message>
  std::vector<Message> On(const std::string& topic) const {
    std::vector<Message> out;
    for (const auto& o : outputs) {
      if (o.topic != topic) continue;
      Message m;
      EXPECT_TRUE(m.ParseFromString(o.value)) << "an output on " << topic << " does not parse";
      out.push_back(m);
    }
    return out;
  }
  std::vector<voc::v1::EnrichedFeedback> enriched() const { return On<voc::v1::EnrichedFeedback>("voc.feedback.enriched"); }
  // The theme mentions, without the overall one ("*") every feedback also gets.
  std::vector<voc::v1::ThemeMention> mentions() const {
    auto all = On<voc::v1::ThemeMention>("voc.theme.mentions");
    std::erase_if(all, [](const auto& m) { return m.theme_id() == kOverallThemeId; });
    return all;
  }
  std::vector<voc::v1::ThemeMention> overall() const {
    auto all = On<voc::v1::ThemeMention>("voc.theme.mentions");
    std::erase_if(all, [](const auto& m) { return m.theme_id() != kOverallThemeId; });
    return all;
  }
  std::vector<voc::v1::Alert> alerts() const { return On<voc::v1::Alert>("voc.alerts"); }
};

voc::v1::Feedback Feedback(const std::string& id, uint32_t source_revision, const std::string& text,
                           const std::string& customer = "cust-1", int64_t t = kT0) {
  voc::v1::Feedback f;
  f.set_schema_version(1);
  f.set_feedback_id(id);
  f.set_source_revision(source_revision);
  f.set_channel(voc::v1::CHANNEL_TICKET);
  f.set_source_system("zendesk");
  f.set_external_id("T-" + id);
  f.set_customer_id(customer);
  f.set_event_time_ms(t);
  f.set_text(text);
  f.mutable_ticket()->set_priority("normal");
  return f;
}

// Themes by id, retracted ones prefixed with '-'.
std::vector<std::string> ThemeKeys(const std::vector<voc::v1::ThemeMention>& mentions) {
  std::vector<std::string> out;
  for (const auto& m : mentions) out.push_back((m.retracted() ? "-" : "") + m.theme_id());
  std::sort(out.begin(), out.end());
  return out;
}

// Texts chosen with `vocctl score` against data/taxonomy/software.yaml.
constexpr char kCrashAndBattery[] = "The app crashes every time I open it and the battery drains in an hour.";
constexpr char kCrashOnly[] = "The app crashes every time I open it.";
constexpr char kLongText[] =
    "The quarterly export to the spreadsheet keeps failing halfway through and I have to start it again each week.";
constexpr char kLongTextRepeated[] =
    "the quarterly export to the spreadsheet keeps failing halfway through, and I have to start it again each week!!";

class EnrichProcessorTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto analyzer = text::Analyzer::Create(
        {VOC_SOURCE_DIR "/data/taxonomy/software.yaml", VOC_SOURCE_DIR "/data/lexicons"});
    ASSERT_TRUE(analyzer.ok()) << analyzer.status().ToString();
    analyzer_ = std::move(analyzer).value().release();
  }
  static void TearDownTestSuite() {
    delete analyzer_;
    analyzer_ = nullptr;
  }

  void SetUp() override { Open(); }

  // (Re)starts the processor on the test's state folder: a restart when it ran before.
  void Open(EnrichOptions o = {}) {
    harness_ = std::make_unique<test::ProcessorHarness>(
        [this, o] {
          registry_ = std::make_shared<prometheus::Registry>();
          // Building an Analyzer compiles the taxonomy (most of a second): every processor of
          // the suite gets a fork of one built once.
          return std::make_unique<EnrichProcessor>(o, std::move(analyzer_->Fork()).value(), *registry_);
        },
        dir_.path(), std::vector<TopicPartition>{{kInput, PartitionId(0)}});
    Status s = harness_->Start();
    ASSERT_TRUE(s.ok()) << s.ToString();
    Customer("cust-1", "Acme", "enterprise", "enterprise", 250'000);
    Customer("cust-2", "Globex", "smb", "pro", 12'000);
    s = harness_->Checkpoint();  // the table's rows are committed as the runtime commits them
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // A row of the customer table, as the runtime's table reader hands it over.
  void Customer(const std::string& id, const std::string& name, const std::string& segment, const std::string& plan,
                int64_t arr) {
    voc::v1::CustomerProfile p;
    p.set_schema_version(1);
    p.set_customer_id(id);
    p.set_name(name);
    p.set_segment(segment);
    p.set_plan(plan);
    p.set_arr(arr);
    ASSERT_TRUE(harness_->TableRow(0, id, p.SerializeAsString()));
  }

  // One batch of raw values as the runner runs it; then a checkpoint (unless told not to).
  Out BatchOfBytes(const std::vector<std::string>& values, bool commit = true) {
    std::vector<test::Input> inputs;
    for (const auto& v : values) inputs.push_back({kInput, 0, "", v});
    const test::Emitted emitted = harness_->Batch(inputs, commit);
    return {emitted.outputs, emitted.reasons()};
  }

  Out Batch(const std::vector<voc::v1::Feedback>& records, bool commit = true) {
    std::vector<std::string> values;
    for (const auto& f : records) values.push_back(f.SerializeAsString());
    return BatchOfBytes(values, commit);
  }

  double Decisions(const std::string& decision) {
    return test::MetricValue(*registry_, "voc_enrich_decisions_total", {{"decision", decision}});
  }

  // The bytes the last checkpoint stored under key in the near-duplicate store ("": none).
  std::string StoredTexts(const std::string& key) {
    const auto specs = harness_->driver().store_specs();
    const auto spec = std::find_if(specs.begin(), specs.end(), [](const auto& s) { return s.name == "neardup"; });
    EXPECT_NE(spec, specs.end());
    std::string bytes;
    auto found = harness_->db()->Get(static_cast<state::StoreId>(spec - specs.begin()), PartitionId(0), key, &bytes);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() && *found ? bytes : std::string();
  }
  voc::state::v1::NearDuplicateIndex StoredIndex(const std::string& key) {
    voc::state::v1::NearDuplicateIndex index;
    EXPECT_TRUE(index.ParseFromString(StoredTexts(key)));
    return index;
  }
  void StoreTexts(const std::string& key, const voc::state::v1::NearDuplicateIndex& index) {
    const auto specs = harness_->driver().store_specs();
    const auto spec = std::find_if(specs.begin(), specs.end(), [](const auto& s) { return s.name == "neardup"; });
    auto txn = harness_->db()->Begin();
    txn->Put(static_cast<state::StoreId>(spec - specs.begin()), PartitionId(0), key, index.SerializeAsString());
    ASSERT_TRUE(harness_->db()->Commit(txn.get()).ok());
  }

  static inline text::Analyzer* analyzer_ = nullptr;
  test::TempDir dir_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<test::ProcessorHarness> harness_;
};

TEST_F(EnrichProcessorTest, FirstVersionEmitsRevisionOneAndOneMentionPerThemeKeyedByTheme) {
  auto out = Batch({Feedback("f1", 1, kCrashAndBattery)});
  auto enriched = out.enriched();
  ASSERT_EQ(enriched.size(), 1u);
  const auto& e = enriched[0];
  EXPECT_EQ(e.feedback_id(), "f1");
  EXPECT_EQ(e.revision(), 1u);
  EXPECT_EQ(e.source_revision(), 1u);
  EXPECT_EQ(e.customer_id(), "cust-1");
  EXPECT_EQ(e.redacted_text(), kCrashAndBattery);
  EXPECT_EQ(e.language(), "en");
  EXPECT_TRUE(e.sentiment_scored());
  EXPECT_EQ(e.feedback_type(), voc::v1::FEEDBACK_TYPE_BUG_REPORT);
  EXPECT_FALSE(e.taxonomy_version().empty());
  std::vector<std::string> theme_ids;
  for (const auto& t : e.themes()) theme_ids.push_back(t.id());
  std::sort(theme_ids.begin(), theme_ids.end());
  EXPECT_EQ(theme_ids, (std::vector<std::string>{"performance.battery", "reliability.crashes"}));

  auto mentions = out.mentions();
  EXPECT_EQ(ThemeKeys(mentions), theme_ids) << "one mention per theme, none retracted";
  for (const auto& o : out.outputs) {
    if (o.topic == "voc.feedback.enriched") {
      EXPECT_EQ(o.key, "cust-1") << "enriched records are keyed by customer";
    }
  }
  for (const auto& o : out.outputs) {
    if (o.topic != "voc.theme.mentions") continue;
    voc::v1::ThemeMention m;
    ASSERT_TRUE(m.ParseFromString(o.value));
    EXPECT_EQ(o.key, m.theme_id()) << "mentions are keyed by theme";
    EXPECT_EQ(m.feedback_id(), "f1");
    EXPECT_EQ(m.revision(), 1u);
    EXPECT_FALSE(m.near_duplicate());
  }
  EXPECT_TRUE(out.alerts().empty());
  EXPECT_EQ(Decisions("emitted"), 1);
}

// The record's dimensions, the customer's segment and plan and the taxonomy version
// follow the feedback into its enriched record and every mention.
TEST_F(EnrichProcessorTest, DimensionsPlanAndTaxonomyVersionFollowTheRecord) {
  auto f = Feedback("f1", 1, kCrashAndBattery);
  f.mutable_dimensions()->set_app_version("4.0.2");
  f.mutable_dimensions()->set_platform("ios");
  f.mutable_dimensions()->set_country("DE");
  auto out = Batch({f});
  ASSERT_EQ(out.enriched().size(), 1u);
  EXPECT_EQ(out.enriched()[0].dimensions().app_version(), "4.0.2");
  EXPECT_EQ(out.enriched()[0].dimensions().platform(), "ios");
  ASSERT_EQ(out.mentions().size(), 2u);
  for (const auto& m : out.mentions()) {
    EXPECT_EQ(m.app_version(), "4.0.2");
    EXPECT_EQ(m.platform(), "ios");
    EXPECT_EQ(m.country(), "DE");
    EXPECT_EQ(m.segment(), "enterprise");
    EXPECT_EQ(m.plan(), "enterprise");
    EXPECT_EQ(m.taxonomy_version(), out.enriched()[0].taxonomy_version());
    EXPECT_FALSE(m.taxonomy_version().empty());
  }
}

// Every feedback also goes out once as the overall mention ("*"), with its themes, so
// voc-aggregate counts each response once and knows which themes drive its score; it moves
// with the feedback like any theme.
TEST_F(EnrichProcessorTest, EveryFeedbackGetsOneOverallMentionListingItsThemes) {
  auto out = Batch({Feedback("f1", 1, kCrashAndBattery), Feedback("f2", 1, "Hello there.")});
  const auto overall = out.overall();
  ASSERT_EQ(overall.size(), 2u);
  EXPECT_EQ(std::vector<std::string>(overall[0].themes().begin(), overall[0].themes().end()),
            (std::vector<std::string>{"reliability.crashes", "performance.battery"}));
  EXPECT_EQ(std::vector<std::string>(overall[1].themes().begin(), overall[1].themes().end()),
            std::vector<std::string>{kUnthemedId});
  for (const auto& m : out.mentions()) EXPECT_EQ(m.themes_size(), 0) << "only the overall mention lists themes";
  // Filed again under another customer: the overall mention is retracted under the old one.
  out = Batch({Feedback("f1", 2, kCrashAndBattery, "cust-2")});
  size_t retracted = 0, applied = 0;
  for (const auto& m : out.overall()) {
    if (m.retracted()) {
      ++retracted;
      EXPECT_EQ(m.customer_id(), "cust-1");
    } else {
      ++applied;
      EXPECT_EQ(m.customer_id(), "cust-2");
    }
  }
  EXPECT_EQ(retracted, 1u);
  EXPECT_EQ(applied, 1u);
}

TEST_F(EnrichProcessorTest, OnlyTheOverallMentionCarriesTheRedactedTextsPhrases) {
  auto out = Batch({Feedback("f1", 1, "Please add dark mode. Mail me at jane.doe@example.com")});
  const auto overall = out.overall();
  ASSERT_EQ(overall.size(), 1u);
  const std::vector<std::string> phrases(overall[0].phrases().begin(), overall[0].phrases().end());
  EXPECT_EQ(phrases, (std::vector<std::string>{"add", "dark", "add dark", "mode", "dark mode", "add dark mode", "mail"}))
      << "normalised, stop words aside, nothing of the redacted address";
  for (const auto& m : out.mentions()) EXPECT_EQ(m.phrases_size(), 0) << "only the overall mention lists phrases";
  // A long text: capped.
  std::string text;
  for (int i = 0; i < 60; ++i) {
    text += "topic";
    text += static_cast<char>('a' + i % 26);
    text += static_cast<char>('a' + i / 26);
    text += ' ';
  }
  out = Batch({Feedback("f2", 1, text)});
  ASSERT_EQ(out.overall().size(), 1u);
  EXPECT_EQ(static_cast<size_t>(out.overall()[0].phrases_size()), kMaxPhrasesPerFeedback);
  // Turned off.
  EnrichOptions off;
  off.phrases_per_feedback = 0;
  Open(off);
  out = Batch({Feedback("f3", 1, "Please add dark mode.")});
  ASSERT_EQ(out.overall().size(), 1u);
  EXPECT_EQ(out.overall()[0].phrases_size(), 0);
}

TEST_F(EnrichProcessorTest, ExactDuplicateIsDroppedAndCounted) {
  Batch({Feedback("f1", 1, kCrashOnly)});
  auto out = Batch({Feedback("f1", 1, kCrashOnly)});
  EXPECT_TRUE(out.outputs.empty()) << "an exact duplicate emits nothing";
  EXPECT_EQ(Decisions("exact_duplicate"), 1);
  EXPECT_EQ(Decisions("emitted"), 1);
  // Within one batch too: the first write is read back before the commit.
  out = Batch({Feedback("f2", 1, kCrashOnly), Feedback("f2", 1, kCrashOnly)});
  EXPECT_EQ(out.enriched().size(), 1u);
  EXPECT_EQ(Decisions("exact_duplicate"), 2);
}

// A feedback id is remembered for enrich.dedupe_ttl of its partition's event time, not of
// the wall clock: replaying a year of history keeps a month of it, as running live does.
TEST_F(EnrichProcessorTest, AFeedbackIdIsForgottenOnceItsPartitionsEventTimePassedTheDedupeTtl) {
  constexpr int64_t kHour = 3'600'000;
  EnrichOptions o;
  o.dedupe_ttl = std::chrono::hours(1);
  o.near_duplicate_horizon = std::chrono::hours(1);
  Open(o);
  Batch({Feedback("f1", 1, kCrashOnly, "cust-1", kT0)});
  Batch({Feedback("g1", 1, kCrashAndBattery, "cust-2", kT0 + kHour / 2)});
  EXPECT_TRUE(Batch({Feedback("f1", 1, kCrashOnly, "cust-1", kT0)}).outputs.empty())
      << "half the TTL of event time later, f1 is still a duplicate";
  Batch({Feedback("g2", 1, kCrashAndBattery, "cust-2", kT0 + 2 * kHour)});
  const auto out = Batch({Feedback("f1", 1, kCrashOnly, "cust-1", kT0)});
  ASSERT_EQ(out.enriched().size(), 1u) << "the partition's event time moved twice the TTL past f1: it is forgotten";
  EXPECT_EQ(out.enriched()[0].revision(), 1u);
  EXPECT_EQ(Decisions("exact_duplicate"), 1);
}

// An event time ahead of the wall clock (which voc-ingest refuses, but anything may write to
// voc.feedback) moves the partition's event time no further than the wall clock.
TEST_F(EnrichProcessorTest, AnEventTimeAheadOfTheWallClockExpiresNothing) {
  EnrichOptions o;
  o.dedupe_ttl = std::chrono::hours(1);
  Open(o);
  const int64_t now = kT0 + kDay;
  harness_->SetWallClock(now);
  Batch({Feedback("f1", 1, kCrashOnly, "cust-1", now - 60'000)});
  Batch({Feedback("g1", 1, kCrashAndBattery, "cust-2", now + 365 * kDay)});
  EXPECT_TRUE(Batch({Feedback("f1", 1, kCrashOnly, "cust-1", now - 60'000)}).outputs.empty())
      << "a record a year ahead expired the partition's state";
  EXPECT_EQ(Decisions("exact_duplicate"), 1);
}

TEST_F(EnrichProcessorTest, HigherSourceRevisionIsRevisionTwoAndRetractsTheDroppedTheme) {
  Batch({Feedback("f1", 1, kCrashAndBattery)});
  auto out = Batch({Feedback("f1", 2, kCrashOnly)});
  auto enriched = out.enriched();
  ASSERT_EQ(enriched.size(), 1u);
  EXPECT_EQ(enriched[0].revision(), 2u);
  EXPECT_EQ(enriched[0].source_revision(), 2u);
  auto mentions = out.mentions();
  EXPECT_EQ(ThemeKeys(mentions), (std::vector<std::string>{"-performance.battery", "reliability.crashes"}));
  for (const auto& m : mentions) {
    EXPECT_EQ(m.revision(), 2u) << m.theme_id();
    if (m.retracted()) {
      EXPECT_FALSE(m.sentiment_scored()) << "a retraction carries no sentiment";
    }
  }
  EXPECT_EQ(Decisions("update"), 1);
}

// voc-aggregate keeps a feedback's contributions under its customer: a revision filed
// under another customer takes every old theme back out there, kept ones included.
TEST_F(EnrichProcessorTest, RevisionUnderAnotherCustomerRetractsEveryOldThemeUnderTheOldCustomer) {
  Batch({Feedback("f1", 1, kCrashAndBattery, "cust-1")});
  auto out = Batch({Feedback("f1", 2, kCrashOnly, "cust-2")});
  auto mentions = out.mentions();
  EXPECT_EQ(ThemeKeys(mentions),
            (std::vector<std::string>{"-performance.battery", "-reliability.crashes", "reliability.crashes"}));
  for (const auto& m : mentions) {
    EXPECT_EQ(m.customer_id(), m.retracted() ? "cust-1" : "cust-2") << m.theme_id();
    EXPECT_EQ(m.revision(), 2u);
  }
  // Under the same customer only the dropped theme is retracted, and there.
  out = Batch({Feedback("f1", 3, kCrashAndBattery, "cust-2")});
  EXPECT_EQ(ThemeKeys(out.mentions()), (std::vector<std::string>{"performance.battery", "reliability.crashes"}));
  out = Batch({Feedback("f1", 4, kCrashOnly, "cust-2")});
  mentions = out.mentions();
  EXPECT_EQ(ThemeKeys(mentions), (std::vector<std::string>{"-performance.battery", "reliability.crashes"}));
  for (const auto& m : mentions) EXPECT_EQ(m.customer_id(), "cust-2");
}

TEST_F(EnrichProcessorTest, OlderSourceRevisionAfterANewerOneIsDroppedAsStale) {
  Batch({Feedback("f1", 2, kCrashOnly)});
  auto out = Batch({Feedback("f1", 1, kCrashAndBattery)});
  EXPECT_TRUE(out.outputs.empty()) << "a stale revision emits nothing";
  EXPECT_EQ(Decisions("stale_revision"), 1);
  EXPECT_EQ(Decisions("update"), 0);
  // The newer revision is still the one remembered: its redelivery is a duplicate.
  out = Batch({Feedback("f1", 2, kCrashOnly)});
  EXPECT_TRUE(out.outputs.empty());
  EXPECT_EQ(Decisions("exact_duplicate"), 1);
}

TEST_F(EnrichProcessorTest, SameRevisionWithChangedTextIsAnUpdate) {
  Batch({Feedback("f1", 1, kCrashOnly)});
  auto out = Batch({Feedback("f1", 1, kCrashAndBattery)});
  auto enriched = out.enriched();
  ASSERT_EQ(enriched.size(), 1u);
  EXPECT_EQ(enriched[0].revision(), 2u);
  EXPECT_EQ(enriched[0].source_revision(), 1u);
  EXPECT_EQ(enriched[0].redacted_text(), kCrashAndBattery);
  EXPECT_EQ(ThemeKeys(out.mentions()), (std::vector<std::string>{"performance.battery", "reliability.crashes"}));
  EXPECT_EQ(Decisions("update"), 1);
  EXPECT_EQ(Decisions("exact_duplicate"), 0);
}

TEST_F(EnrichProcessorTest, SameCustomerRepeatingALongTextIsANearDuplicateOfTheFirstAnotherCustomerIsNot) {
  int words = 0;
  ASSERT_LE(HammingDistance(SimHash(kLongText, &words), SimHash(kLongTextRepeated, &words)), 3)
      << "the two texts must be near duplicates by construction";
  auto out = Batch({Feedback("f1", 1, kLongText, "cust-1", kT0), Feedback("f2", 1, kLongTextRepeated, "cust-1", kT0 + kDay),
                    Feedback("f3", 1, kLongText, "cust-2", kT0 + kDay)});
  auto enriched = out.enriched();
  ASSERT_EQ(enriched.size(), 3u);
  EXPECT_EQ(enriched[0].duplicate_of(), "");
  EXPECT_EQ(enriched[1].duplicate_of(), "f1");
  EXPECT_EQ(enriched[2].duplicate_of(), "") << "another customer's identical text is not a near duplicate";
  for (const auto& m : out.mentions()) {
    EXPECT_EQ(m.near_duplicate(), m.feedback_id() == "f2") << m.feedback_id() << " " << m.theme_id();
  }
  EXPECT_EQ(Decisions("near_duplicate"), 1);

  // A third repeat points at the same original, and so does one from a later batch.
  out = Batch({Feedback("f4", 1, kLongText, "cust-1", kT0 + 2 * kDay)});
  ASSERT_EQ(out.enriched().size(), 1u);
  EXPECT_EQ(out.enriched()[0].duplicate_of(), "f1");
}

// The original is the earliest text by event time (then id), whatever the order of
// arrival: a repeat that arrived first is sent again as a new revision, now a near
// duplicate, and its mentions say so; one that was already a duplicate of a later text
// points at the earlier one.
TEST_F(EnrichProcessorTest, EarlierTextArrivingLaterBecomesTheOriginalAndTheRepeatIsRevised) {
  auto out = Batch({Feedback("f2", 1, kLongTextRepeated, "cust-1", kT0 + kDay),
                    Feedback("f3", 1, kLongText, "cust-1", kT0 + 2 * kDay)});
  ASSERT_EQ(out.enriched().size(), 2u);
  EXPECT_EQ(out.enriched()[1].duplicate_of(), "f2");
  out = Batch({Feedback("f1", 1, kLongText, "cust-1", kT0)});
  auto enriched = out.enriched();
  ASSERT_EQ(enriched.size(), 3u);
  EXPECT_EQ(enriched[0].feedback_id(), "f1");
  EXPECT_EQ(enriched[0].duplicate_of(), "");
  std::map<std::string, voc::v1::EnrichedFeedback> revised;
  for (size_t i = 1; i < enriched.size(); ++i) revised[enriched[i].feedback_id()] = enriched[i];
  ASSERT_TRUE(revised.contains("f2") && revised.contains("f3"));
  EXPECT_EQ(revised["f2"].duplicate_of(), "f1");
  EXPECT_EQ(revised["f2"].revision(), 2u);
  EXPECT_EQ(revised["f2"].redacted_text(), kLongTextRepeated) << "a new role keeps everything else";
  EXPECT_EQ(revised["f3"].duplicate_of(), "f1");
  EXPECT_EQ(revised["f3"].revision(), 2u);
  // Only f2 changed kind (original -> near duplicate): only its mentions go out again.
  std::set<std::string> mentioned;
  for (const auto& m : out.mentions()) {
    mentioned.insert(m.feedback_id());
    if (m.feedback_id() == "f2") {
      EXPECT_TRUE(m.near_duplicate());
      EXPECT_EQ(m.revision(), 2u);
      EXPECT_FALSE(m.retracted());
    }
  }
  EXPECT_EQ(mentioned, (std::set<std::string>{"f1", "f2"}));
  EXPECT_EQ(Decisions("near_duplicate_role_changed"), 2);
  // The new revision is remembered: a source revision of f2 is revision 3.
  out = Batch({Feedback("f2", 2, kLongTextRepeated, "cust-1", kT0 + kDay)});
  ASSERT_FALSE(out.enriched().empty());
  EXPECT_EQ(out.enriched()[0].revision(), 3u);
  EXPECT_EQ(out.enriched()[0].duplicate_of(), "f1");
}

// A revision that makes a text short takes it out of the index: a repeat that pointed at it
// becomes the original.
TEST_F(EnrichProcessorTest, RevisionThatLeavesTheIndexFreesTheTextsThatPointedAtIt) {
  Batch({Feedback("f1", 1, kLongText, "cust-1", kT0), Feedback("f2", 1, kLongTextRepeated, "cust-1", kT0 + kDay)});
  auto out = Batch({Feedback("f1", 2, "Never mind.", "cust-1", kT0)});
  std::map<std::string, voc::v1::EnrichedFeedback> last;
  for (const auto& e : out.enriched()) last[e.feedback_id()] = e;
  ASSERT_TRUE(last.contains("f2")) << "f2's role changed and it was not emitted again";
  EXPECT_EQ(last["f2"].duplicate_of(), "");
  EXPECT_EQ(last["f2"].revision(), 2u);
}

// enrich.near_duplicate_max_entries bounds each customer's index: beyond it the earliest
// text is forgotten, and a later repeat of it is an original again.
TEST_F(EnrichProcessorTest, NearDuplicateIndexKeepsTheConfiguredNumberOfLatestTexts) {
  config::Config c = config::Config::Load("", {}, {"enrich.near_duplicate_max_entries=2"});
  Open(LoadEnrichOptions(c));
  Batch({Feedback("f1", 1, kLongText, "cust-1", kT0),
         Feedback("f2", 1, "The new dashboard layout makes every report much harder to find.", "cust-1", kT0 + 1),
         Feedback("f3", 1, "Billing charged our card twice this month and support never replied.", "cust-1", kT0 + 2)});
  auto out = Batch({Feedback("f4", 1, kLongTextRepeated, "cust-1", kT0 + 3)});
  ASSERT_EQ(out.enriched().size(), 1u);
  EXPECT_EQ(out.enriched()[0].duplicate_of(), "") << "f1 was beyond the two latest texts";
  Open();  // the default keeps 32
  out = Batch({Feedback("f5", 1, kLongText, "cust-1", kT0 + 4)});
  ASSERT_EQ(out.enriched().size(), 1u);
  EXPECT_EQ(out.enriched()[0].duplicate_of(), "f4");
}

// "f12" (the "+" of a literal and a temporary trips GCC 12's -Wrestrict).
std::string Id(const char* prefix, int n) {
  std::string id = prefix;
  id += std::to_string(n);
  return id;
}

// Texts of eight words, each drawn from its own list by a generator seeded with n: texts of
// different n are far apart in SimHash, so none is a near duplicate of another.
std::string DistinctText(int n) {
  static const std::array<std::array<const char*, 10>, 8> kWords = {{
      {"dashboard", "invoice", "printer", "calendar", "upload", "password", "webhook", "timeline", "widget", "mailbox"},
      {"refuses", "forgets", "scrambles", "duplicates", "hides", "rejects", "delays", "truncates", "resets", "mislabels"},
      {"every", "several", "quarterly", "nightly", "urgent", "archived", "shared", "draft", "pending", "starred"},
      {"spreadsheet", "contract", "receipt", "snapshot", "playlist", "ledger", "roster", "manifest", "voucher", "memo"},
      {"whenever", "although", "because", "unless", "after", "before", "while", "since", "until", "once"},
      {"colleagues", "managers", "auditors", "students", "drivers", "nurses", "tenants", "vendors", "editors", "pilots"},
      {"reconnect", "translate", "annotate", "subscribe", "negotiate", "calibrate", "assemble", "forecast", "sketch", "rehearse"},
      {"overseas", "downstairs", "remotely", "weekly", "offline", "abroad", "tomorrow", "outdoors", "onsite", "overnight"},
  }};
  std::mt19937 pick(static_cast<uint32_t>(n));
  std::string text;
  for (const auto& words : kWords) {
    if (!text.empty()) text += ' ';
    text += words[pick() % 10];
  }
  return text + ".";
}

// A customer's texts are two entries: the earlier ones stay as written while new texts go
// to the latest ones, so a chatty customer's next text rewrites a few texts, not all of its
// index. The earlier texts are still searched, and the cap still forgets the earliest.
TEST_F(EnrichProcessorTest, ANewTextOfAChattyCustomerLeavesItsEarlierTextsAsWritten) {
  const auto text_at = [](int i) { return Feedback(Id("f", i), 1, DistinctText(i), "cust-1", kT0 + i * 60'000); };
  std::vector<voc::v1::Feedback> first;
  for (int i = 0; i < 40; ++i) first.push_back(text_at(i));
  Batch(first);
  int next = 40;
  if (StoredIndex("cust-1").feedback_id_size() == static_cast<int>(kLatestTexts)) Batch({text_at(next++)});
  const auto before = StoredIndex("cust-1");
  ASSERT_TRUE(before.has_earlier());
  const std::string earlier = StoredTexts(EarlierTextsKey("cust-1"));
  ASSERT_FALSE(earlier.empty());

  Batch({text_at(next)});
  EXPECT_EQ(StoredTexts(EarlierTextsKey("cust-1")), earlier) << "a text at the end rewrote the earlier texts";
  const auto after = StoredIndex("cust-1");
  ASSERT_EQ(after.feedback_id_size(), before.feedback_id_size() + 1);
  EXPECT_EQ(after.feedback_id(after.feedback_id_size() - 1), Id("f", next));
  EXPECT_LE(StoredTexts("cust-1").size(), earlier.size() / 2) << "the latest entry is the small one";

  // The 32 latest are f(next-31) .. f(next): a repeat of the earliest of them finds it among
  // the earlier texts; one of the text before it, forgotten, is an original.
  const int earliest_kept = next - 31;
  auto out = Batch({Feedback("r1", 1, DistinctText(earliest_kept), "cust-1", kT0 + 100 * 60'000)});
  ASSERT_EQ(out.enriched().size(), 1u);
  EXPECT_EQ(out.enriched()[0].duplicate_of(), Id("f", earliest_kept));
  out = Batch({Feedback("r2", 1, DistinctText(earliest_kept - 2), "cust-1", kT0 + 101 * 60'000)});
  ASSERT_EQ(out.enriched().size(), 1u);
  EXPECT_EQ(out.enriched()[0].duplicate_of(), "") << "f" << earliest_kept - 2 << " is beyond the 32 latest texts";
}

// Roles are a function of the texts, not of their order of arrival, across both entries:
// texts arriving latest first land among the earlier texts each time.
TEST_F(EnrichProcessorTest, RolesOfAChattyCustomerAreTheSameInAnyOrderOfArrival) {
  // Twenty texts, every fifth repeating the one before it.
  const auto text_of = [](int i) { return DistinctText(i % 5 == 4 ? i - 1 : i); };
  std::vector<voc::v1::Feedback> forward, backward;
  for (int i = 0; i < 20; ++i) {
    forward.push_back(Feedback(Id("a", i), 1, text_of(i), "cust-1", kT0 + i * 60'000));
    backward.insert(backward.begin(), Feedback(Id("b", i), 1, text_of(i), "cust-2", kT0 + i * 60'000));
  }
  std::map<std::string, std::string> roles;  // by feedback id, the role last emitted
  for (const auto& records : {forward, backward}) {
    for (const auto& f : records) {
      for (const auto& e : Batch({f}).enriched()) roles[e.feedback_id()] = e.duplicate_of();
    }
  }
  ASSERT_TRUE(StoredIndex("cust-2").has_earlier()) << "the test no longer reaches the earlier texts";
  int duplicates = 0;
  for (int i = 0; i < 20; ++i) {
    const std::string a = roles[Id("a", i)], b = roles[Id("b", i)];
    EXPECT_EQ(a.empty() ? "" : a.substr(1), b.empty() ? "" : b.substr(1)) << "text " << i;
    duplicates += a.empty() ? 0 : 1;
  }
  EXPECT_EQ(duplicates, 4);
}

// A revision that takes an earlier text out of the index (now too short) frees the texts
// that pointed at it, as it does among the latest texts, and the latest entry stays small.
TEST_F(EnrichProcessorTest, RevisionThatLeavesTheEarlierTextsFreesTheTextsThatPointedAtIt) {
  std::vector<voc::v1::Feedback> texts;
  for (int i = 0; i < 20; ++i) texts.push_back(Feedback(Id("f", i), 1, DistinctText(i), "cust-1", kT0 + i * 60'000));
  texts.push_back(Feedback("d", 1, DistinctText(3), "cust-1", kT0 + 20 * 60'000));
  auto out = Batch(texts);
  ASSERT_EQ(out.enriched().back().duplicate_of(), "f3");
  const auto earlier = StoredIndex(EarlierTextsKey("cust-1"));
  ASSERT_TRUE(std::find(earlier.feedback_id().begin(), earlier.feedback_id().end(), "f3") != earlier.feedback_id().end())
      << "the test no longer reaches the earlier texts";

  out = Batch({Feedback("f3", 2, "Never mind.", "cust-1", kT0 + 3 * 60'000)});
  std::map<std::string, voc::v1::EnrichedFeedback> last;
  for (const auto& e : out.enriched()) last[e.feedback_id()] = e;
  ASSERT_TRUE(last.contains("d")) << "d's role changed and it was not emitted again";
  EXPECT_EQ(last["d"].duplicate_of(), "");
  EXPECT_LE(StoredIndex("cust-1").feedback_id_size(), static_cast<int>(kLatestTexts));
}

// Each entry parses on its own, but the latest must not count more earlier texts forgotten
// than there are, nor hold texts before the earlier ones: the state is damaged.
TEST_F(EnrichProcessorTest, EntriesOfACustomerThatContradictEachOtherAreAFatalErrorNamingTheStore) {
  voc::state::v1::NearDuplicateIndex earlier;
  for (int i = 0; i < 2; ++i) {
    earlier.add_simhash(static_cast<uint64_t>(i));
    earlier.add_event_time_ms(kT0 + i);
    earlier.add_feedback_id(Id("e", i));
    earlier.add_duplicate_of("");
  }
  StoreTexts(EarlierTextsKey("cust-1"), earlier);
  voc::state::v1::NearDuplicateIndex latest;
  latest.set_has_earlier(true);
  latest.set_earlier_forgotten(3);
  StoreTexts("cust-1", latest);
  const auto fails = [&] {
    try {
      Batch({Feedback("f1", 1, kLongText, "cust-1", kT0 + kDay)});
    } catch (const FatalError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(fails().find("'neardup'"), std::string::npos);
  Open();
  latest.set_earlier_forgotten(0);
  latest.add_simhash(9);
  latest.add_event_time_ms(kT0);  // before e1
  latest.add_feedback_id("l0");
  latest.add_duplicate_of("");
  StoreTexts("cust-1", latest);
  EXPECT_NE(fails().find("'neardup'"), std::string::npos);
}

// Each feedback id's own entries (its dedupe entry, the record emitted for it) are read
// again only on a redelivery, a revision or a role change: once written they leave the
// cache, which keeps what the next record reads (its customer's texts and profile). Kept,
// they would push the customers' texts out as the stream grows.
TEST_F(EnrichProcessorTest, OnlyWhatLaterRecordsReadStaysCachedOnceWritten) {
  const auto feed = [&](int from, int to) {
    std::vector<voc::v1::Feedback> batch;
    for (int i = from; i < to; ++i) {
      const std::string n = std::to_string(i);
      batch.push_back(Feedback("f" + n, 1, std::string(kLongText) + " Ticket " + n, "cust-1", kT0 + i));
    }
    Batch(batch);
  };
  feed(0, 40);  // the customer's index reaches its cap of 32 texts
  const size_t cached = harness_->driver().cached_bytes();
  feed(40, 240);
  EXPECT_LT(harness_->driver().cached_bytes(), cached + 4096)
      << "200 more records of one customer grew the cache from " << cached << " bytes";
  // What left the cache is still there to read: a redelivery is an exact duplicate, and a
  // repeat is a near duplicate of the texts kept.
  Batch({Feedback("f7", 1, std::string(kLongText) + " Ticket 7", "cust-1", kT0 + 7)});
  EXPECT_EQ(Decisions("exact_duplicate"), 1);
}

// Stored near-duplicate indexes hold SimHashes: the function must never change, or new
// texts stop matching the ones already stored.
TEST(SimHash, StaysTheSameForTheTextsAlreadyStored) {
  int words = 0;
  EXPECT_EQ(SimHash(kLongText, &words), 0xe005838a9527dd49ull);
  EXPECT_EQ(words, 19);
  EXPECT_EQ(SimHash("", &words), 0u);
  EXPECT_EQ(words, 0);
}

TEST_F(EnrichProcessorTest, RepeatBeyondTheHorizonIsNotANearDuplicate) {
  Batch({Feedback("f1", 1, kLongText, "cust-1", kT0)});
  auto out = Batch({Feedback("f2", 1, kLongText, "cust-1", kT0 + 8 * kDay)});  // horizon: 7 days
  ASSERT_EQ(out.enriched().size(), 1u);
  EXPECT_EQ(out.enriched()[0].duplicate_of(), "");
}

TEST_F(EnrichProcessorTest, ShortTextsAreNeverNearDuplicates) {
  auto out = Batch({Feedback("f1", 1, "App crashes constantly.", "cust-1"),
                    Feedback("f2", 1, "App crashes constantly.", "cust-1")});
  auto enriched = out.enriched();
  ASSERT_EQ(enriched.size(), 2u);
  EXPECT_EQ(enriched[1].duplicate_of(), "");
  for (const auto& m : out.mentions()) EXPECT_FALSE(m.near_duplicate());
  EXPECT_EQ(Decisions("near_duplicate"), 0);
}

TEST_F(EnrichProcessorTest, JoinsTheCustomerProfileAndCountsAnUnknownCustomer) {
  auto out = Batch({Feedback("f1", 1, kCrashOnly, "cust-1"), Feedback("f2", 1, kCrashOnly, "cust-unknown")});
  auto enriched = out.enriched();
  ASSERT_EQ(enriched.size(), 2u);
  EXPECT_TRUE(enriched[0].customer_known());
  EXPECT_EQ(enriched[0].customer().segment(), "enterprise");
  EXPECT_EQ(enriched[0].customer().arr(), 250'000);
  EXPECT_FALSE(enriched[1].customer_known());
  EXPECT_EQ(enriched[1].customer().segment(), "");
  for (const auto& m : out.mentions()) {
    if (m.feedback_id() == "f1") {
      EXPECT_EQ(m.segment(), "enterprise");
      EXPECT_EQ(m.arr(), 250'000);
    } else {
      EXPECT_EQ(m.arr(), 0);
    }
  }
  EXPECT_EQ(Decisions("unknown_customer"), 1);
}

// Profiles are remembered after the first lookup: a row that arrives, or changes, later
// must still reach the records after it.
TEST_F(EnrichProcessorTest, ProfileThatArrivesOrChangesLaterJoinsLaterRecords) {
  auto out = Batch({Feedback("f1", 1, kCrashOnly, "cust-late")});
  ASSERT_EQ(out.enriched().size(), 1u);
  EXPECT_FALSE(out.enriched()[0].customer_known());

  Customer("cust-late", "Late", "mid-market", "pro", 40'000);
  auto enriched = Batch({Feedback("f2", 1, kCrashOnly, "cust-late")}).enriched();
  ASSERT_EQ(enriched.size(), 1u);
  EXPECT_TRUE(enriched[0].customer_known()) << "a profile that arrived later never joined";
  EXPECT_EQ(enriched[0].customer().arr(), 40'000);
  Customer("cust-late", "Late", "mid-market", "pro", 90'000);
  enriched = Batch({Feedback("f3", 1, kCrashOnly, "cust-late")}).enriched();
  ASSERT_EQ(enriched.size(), 1u);
  EXPECT_EQ(enriched[0].customer().arr(), 90'000) << "a changed profile never reached later records";
  ASSERT_TRUE(harness_->TableRow(0, "cust-late", ""));  // a tombstone deletes the row
  enriched = Batch({Feedback("f4", 1, kCrashOnly, "cust-late")}).enriched();
  ASSERT_EQ(enriched.size(), 1u);
  EXPECT_FALSE(enriched[0].customer_known()) << "a deleted profile still joined";
}

// A row that is not a CustomerProfile is refused (the runtime dead-letters it).
TEST_F(EnrichProcessorTest, UnreadableCustomerRowIsRefused) {
  EXPECT_FALSE(harness_->TableRow(0, "cust-x", "\xff\xff not a profile"));
  voc::v1::CustomerProfile profile;
  profile.set_customer_id("cust-y");
  EXPECT_FALSE(harness_->TableRow(0, "", profile.SerializeAsString())) << "a row without a key";
}

TEST_F(EnrichProcessorTest, PiiNeverAppearsInAnyEmittedBytes) {
  const std::string text =
      "The service is down and nobody can log in! Write to jane.doe@example.com or call +44 20 7946 0958; "
      "my card 4111 1111 1111 1111 was charged twice, so I will cancel my subscription. My SSN is 123-45-6789, "
      "I live at 221 Baker Street. Regards, Jane Doe";
  auto out = Batch({Feedback("f1", 1, text)});
  auto enriched = out.enriched();
  ASSERT_EQ(enriched.size(), 1u);
  EXPECT_EQ(enriched[0].pii_redactions().email(), 1u);
  EXPECT_EQ(enriched[0].pii_redactions().phone(), 1u);
  EXPECT_EQ(enriched[0].pii_redactions().card(), 1u);
  EXPECT_EQ(enriched[0].pii_redactions().national_id(), 1u);
  EXPECT_EQ(enriched[0].pii_redactions().address(), 1u);
  EXPECT_EQ(enriched[0].pii_redactions().name(), 1u);
  EXPECT_FALSE(out.mentions().empty());
  ASSERT_FALSE(out.alerts().empty()) << "the text is urgent, so its alert is checked too";
  const std::vector<std::string> secrets = {"jane.doe", "example.com", "7946",          "0958",  "4111 1111",
                                            "4111111111111111", "45-6789", "221 Baker", "Jane Doe"};
  for (const auto& o : out.outputs) {
    for (const auto& s : secrets) EXPECT_EQ(o.value.find(s), std::string::npos) << s << " leaked to " << o.topic;
  }
  EXPECT_EQ(test::MetricValue(*registry_, "voc_enrich_pii_redactions_total"), 6);
  for (const char* kind : {"email", "phone", "card", "national_id", "address", "name"}) {
    EXPECT_EQ(test::MetricValue(*registry_, "voc_enrich_pii_redactions_total", {{"kind", kind}}), 1) << kind;
  }
}

TEST_F(EnrichProcessorTest, UrgentTextEmitsAnAlertWhoseIdIsStableAcrossARedelivery) {
  const auto f = Feedback("f1", 1, "Your servers are down again, this is an outage and we will cancel our subscription.");
  auto first = Batch({f}, /*commit=*/false);  // the process dies before the commit
  auto alerts = first.alerts();
  ASSERT_EQ(alerts.size(), 1u);
  const auto& a = alerts[0];
  EXPECT_EQ(a.kind(), voc::v1::Alert::KIND_URGENT_FEEDBACK);
  EXPECT_EQ(a.feedback_id(), "f1");
  EXPECT_EQ(a.revision(), 1u);
  EXPECT_EQ(a.segment(), "enterprise");
  std::vector<int> urgency(a.urgency().begin(), a.urgency().end());
  EXPECT_NE(std::find(urgency.begin(), urgency.end(), voc::v1::URGENCY_OUTAGE), urgency.end());
  EXPECT_NE(std::find(urgency.begin(), urgency.end(), voc::v1::URGENCY_CHURN_THREAT), urgency.end());
  EXPECT_FALSE(a.alert_id().empty());

  harness_->Crash();
  ASSERT_TRUE(harness_->Start().ok());
  auto again = Batch({f});  // redelivered
  ASSERT_EQ(again.alerts().size(), 1u);
  EXPECT_EQ(again.alerts()[0].alert_id(), a.alert_id()) << "a redelivered alert must keep its id";
  EXPECT_EQ(test::MetricValue(*registry_, "voc_enrich_alerts_total"), 1) << "the restarted process's own count";

  // A new revision is a new alert.
  auto revised = Batch({Feedback("f1", 2, "Your servers are down again, this is an outage.")});
  ASSERT_EQ(revised.alerts().size(), 1u);
  EXPECT_NE(revised.alerts()[0].alert_id(), a.alert_id());
}

TEST_F(EnrichProcessorTest, AlertSummaryCutInsideAMultiByteCharacterStaysValidUtf8) {
  // 279 ASCII bytes, then a two-byte character across the 280-byte summary cut.
  std::string text = "Outage: the site is down. ";
  while (text.size() < 279) text += 'x';
  text += "\xC3\xA9 and more text after it.";
  auto out = Batch({Feedback("f1", 1, text)});
  ASSERT_EQ(out.alerts().size(), 1u) << "a summary cut inside a character must not make the alert unreadable";
  EXPECT_EQ(out.alerts()[0].summary(), text.substr(0, 279)) << "the cut moves back to the character's start";
}

TEST_F(EnrichProcessorTest, TextWithoutAThemeGetsTheOtherTheme) {
  auto out = Batch({Feedback("f1", 1, "Hello, just saying hi.")});
  ASSERT_EQ(out.enriched().size(), 1u);
  EXPECT_TRUE(out.enriched()[0].themes().empty());
  auto mentions = out.mentions();
  ASSERT_EQ(mentions.size(), 1u);
  EXPECT_EQ(mentions[0].theme_id(), "other");
  EXPECT_EQ(out.outputs[1].key, "other");
  // A later revision that finds a theme takes "other" back.
  out = Batch({Feedback("f1", 2, kCrashOnly)});
  EXPECT_EQ(ThemeKeys(out.mentions()), (std::vector<std::string>{"-other", "reliability.crashes"}));
}

TEST_F(EnrichProcessorTest, MalformedProtobufIsADeadLetterAndTheNextRecordIsStillProcessed) {
  auto out = BatchOfBytes({"\xff\xff\xff\x01", Feedback("f1", 1, kCrashOnly).SerializeAsString(),
                           Feedback("", 1, kCrashOnly).SerializeAsString()});
  EXPECT_EQ(out.dead_letters, (std::vector<std::string>{"MALFORMED_PROTOBUF", "MISSING_FIELD"}));
  ASSERT_EQ(out.enriched().size(), 1u);
  EXPECT_EQ(out.enriched()[0].feedback_id(), "f1");
  EXPECT_EQ(out.enriched()[0].meta().origin_offset(), 1);
}

TEST_F(EnrichProcessorTest, NearDuplicateIndexSurvivesARestart) {
  Batch({Feedback("f1", 1, kLongText, "cust-1", kT0)});
  Open();  // a restart on the same folder: the in-memory index is gone, the stored one is not
  auto out = Batch({Feedback("f2", 1, kLongTextRepeated, "cust-1", kT0 + kDay)});
  ASSERT_EQ(out.enriched().size(), 1u);
  EXPECT_EQ(out.enriched()[0].duplicate_of(), "f1");
}

TEST_F(EnrichProcessorTest, StateSurvivesReopeningTheStore) {
  Batch({Feedback("f1", 1, kCrashAndBattery)});
  Open();  // a restart on the same folder
  auto out = Batch({Feedback("f1", 1, kCrashAndBattery)});
  EXPECT_TRUE(out.outputs.empty()) << "a duplicate after a restart must still be a duplicate";
  EXPECT_EQ(Decisions("exact_duplicate"), 1);
  // The themes of the stored revision survive too: an update still retracts.
  out = Batch({Feedback("f1", 2, kCrashOnly)});
  ASSERT_EQ(out.enriched().size(), 1u);
  EXPECT_EQ(out.enriched()[0].revision(), 2u);
  EXPECT_EQ(ThemeKeys(out.mentions()), (std::vector<std::string>{"-performance.battery", "reliability.crashes"}));
}

}  // namespace
}  // namespace voc::enrich
