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
#include <sstream>

#include "common/config/config.h"
#include "services/aggregate/aggregate_processor.h"
#include "services/enrich/enrich_processor.h"
#include "services/ingest/ingest_processor.h"
#include "tests/fuzz/fuzz_target.h"
#include "tests/fuzz/stateful.h"
#include "tools/vocctl/produce_input.h"
#include "voc/state/v1/state.pb.h"

namespace voc::fuzz {
namespace {

std::string FileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

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
      const std::string bytes = FileBytes(entry.path());
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
  ingest::IngestProcessor processor{ingest::IngestOptions()};
  CollectingEmitter out;
  runtime::Context ctx{out, nullptr, 1'795'694'400'000};
  processor.Process({.topic = topic, .partition = PartitionId(0), .offset = Offset(1), .key = "", .value = payload,
                     .timestamp_ms = 0, .content_type = ""},
                    ctx);
  return out.letters.empty() ? "" : out.letters[0].reason;
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

constexpr int64_t kNowMs = 1'795'694'400'000;
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

// voc-aggregate on a fresh store, fed one batch at a time.
class AggregateHarness {
 public:
  AggregateHarness() {
    aggregate::AggregateOptions options;
    options.window_sizes = {std::chrono::hours(1)};
    options.emit_interval = std::chrono::milliseconds(0);
    processor_ = std::make_unique<aggregate::AggregateProcessor>(options, registry_);
    store_ = OpenStore(dir_.path(), processor_->Stores(), processor_->StateFormat());
    processor_->AttachStore(store_.get());
    processor_->OnAssigned({{"voc.theme.mentions", PartitionId(0)}});
  }
  ~AggregateHarness() { processor_.reset(); }

  CollectingEmitter Batch(const std::vector<voc::v1::ThemeMention>& mentions) {
    CollectingEmitter out;
    auto txn = store_->Begin();
    runtime::Context ctx{out, txn.get(), kNowMs};
    for (const auto& m : mentions) {
      const std::string value = m.SerializeAsString();
      processor_->Process({.topic = "voc.theme.mentions", .partition = PartitionId(0), .offset = Offset(offset_++),
                           .key = m.theme_id(), .value = value, .timestamp_ms = kNowMs, .content_type = ""},
                          ctx);
    }
    processor_->EndBatch(ctx);
    processor_->BeforeCommit(ctx);
    EXPECT_TRUE(store_->Commit(txn.get()).ok());
    return out;
  }

 private:
  ProcessTempDir dir_;
  prometheus::Registry registry_;
  std::unique_ptr<aggregate::AggregateProcessor> processor_;
  std::unique_ptr<state::StateStore> store_;
  int64_t offset_ = 0;
};

// regressions/aggregate_mentions/sentiment-out-of-range: a sentiment of about 1e300 was
// rounded to INT64_MIN micros and the window's mean read -9e12; an event time near
// INT64_MAX or two ARRs of INT64_MAX overflowed the window end and the ARR sum.
TEST(AggregateFuzzRegression, MentionValuesThatWouldOverflowAreInvalidFieldDeadLetters) {
  AggregateHarness h;
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
  const auto out = h.Batch(bad);
  ASSERT_EQ(out.letters.size(), bad.size());
  for (const auto& letter : out.letters) EXPECT_EQ(letter.reason, "INVALID_FIELD") << letter.detail;
  EXPECT_TRUE(out.outputs.empty());
  // The bounds themselves are accepted.
  auto edge = Mention("x", 1);
  edge.set_sentiment(-1.0);
  edge.set_arr(1'000'000'000'000);
  edge.set_nps(10);
  edge.set_csat(5);
  const auto ok = h.Batch({edge});
  EXPECT_TRUE(ok.letters.empty());
  EXPECT_FALSE(ok.outputs.empty());
}

// regressions/aggregate_mentions/duplicate-example-after-customer-move: a revision filed
// under another customer counts in both accounts until its retraction under the old one
// arrives; the example refill listed the id twice meanwhile.
TEST(AggregateFuzzRegression, RefilledExamplesListAnIdOnceWhenARevisionMovedCustomer) {
  AggregateHarness h;
  h.Batch({Mention("a", 1, "c1")});
  const auto out = h.Batch({Mention("a", 2, "c2")});
  ASSERT_FALSE(out.outputs.empty());
  for (const auto& o : out.outputs) {
    voc::v1::ThemeAggregate a;
    ASSERT_TRUE(a.ParseFromString(o.value));
    EXPECT_EQ(a.volume(), 2) << "both accounts count it until the retraction";
    ASSERT_EQ(a.example_feedback_ids_size(), 1) << a.ShortDebugString();
    EXPECT_EQ(a.example_feedback_ids(0), "a");
  }
}

// regressions/state_values/window-theme-not-utf8 and the rest of state_values: a stored
// value that cannot be read stops the service with a FatalError naming the store. Before,
// a window's unparseable bytes went out as a ThemeAggregate nobody could parse, a dedupe
// entry or account that did not parse was taken for none (the record counted again), a
// contribution's channel 7 indexed past an array, and the meta values were ignored.
class StoredValueTest : public ::testing::Test {
 protected:
  static constexpr char kGarbage[] = "\x0a\xff\xff\xff\xff\x0f";

  // Stores value in the enrich store, then processes the fixed Feedback; the FatalError's message.
  std::string Enrich(state::StoreId id, PartitionId partition, const std::string& key, const std::string& value) {
    prometheus::Registry registry;
    enrich::EnrichOptions options;
    options.kafka.bootstrap_servers = "127.0.0.1:1";
    enrich::EnrichProcessor processor(options, std::make_unique<ForwardingAnalyzer>(DefaultAnalyzer()), registry);
    auto store = OpenStore(dir_.path() + "/enrich-" + std::to_string(stores_++), processor.Stores(), processor.StateFormat());
    Put(*store, id, partition, key, value);
    processor.AttachStore(store.get());
    voc::v1::Feedback f;
    f.set_feedback_id(state_seed::kFeedbackId);
    f.set_source_revision(2);
    f.set_channel(voc::v1::CHANNEL_TICKET);
    f.set_customer_id(state_seed::kCustomer);
    f.set_event_time_ms(kT0);
    f.set_text("The dashboard is far too slow to load every single morning.");
    const std::string bytes = f.SerializeAsString();
    CollectingEmitter out;
    auto txn = store->Begin();
    runtime::Context ctx{out, txn.get(), kNowMs};
    try {
      processor.Process({.topic = "voc.feedback", .partition = PartitionId(0), .offset = Offset(1), .key = "",
                         .value = bytes, .timestamp_ms = kNowMs, .content_type = ""},
                        ctx);
    } catch (const runtime::FatalError& e) {
      return e.what();
    }
    return "";
  }

  // Stores value in the aggregate store, then assigns the partition and processes the
  // fixed mention; the FatalError's message.
  std::string Aggregate(state::StoreId id, const std::string& key, const std::string& value) {
    prometheus::Registry registry;
    aggregate::AggregateOptions options;
    options.window_sizes = {std::chrono::hours(1)};
    aggregate::AggregateProcessor processor(options, registry);
    auto store = OpenStore(dir_.path() + "/aggregate-" + std::to_string(stores_++), processor.Stores(), processor.StateFormat());
    Put(*store, id, PartitionId(0), key, value);
    if (id == 0) Put(*store, 3, PartitionId(0), key, "");  // the account's members entry
    processor.AttachStore(store.get());
    auto m = Mention(state_seed::kFeedbackId, 2, state_seed::kCustomer);
    m.set_theme_id(state_seed::kTheme);
    const std::string bytes = m.SerializeAsString();
    CollectingEmitter out;
    auto txn = store->Begin();
    runtime::Context ctx{out, txn.get(), kNowMs};
    try {
      processor.OnAssigned({{"voc.theme.mentions", PartitionId(0)}});  // must not throw: the rebalance callback
      processor.Process({.topic = "voc.theme.mentions", .partition = PartitionId(0), .offset = Offset(1), .key = "",
                         .value = bytes, .timestamp_ms = kNowMs, .content_type = ""},
                        ctx);
      processor.EndBatch(ctx);
    } catch (const runtime::FatalError& e) {
      return e.what();
    }
    return "";
  }

  static void Put(state::StateStore& store, state::StoreId id, PartitionId partition, const std::string& key,
                  const std::string& value) {
    auto txn = store.Begin();
    txn->Put(id, partition, key, value);
    ASSERT_TRUE(store.Commit(txn.get()).ok());
  }

  ProcessTempDir dir_;
  int stores_ = 0;  // a fresh store for each value
};

TEST_F(StoredValueTest, UnreadableEnrichStateIsAFatalErrorNamingTheStore) {
  EXPECT_NE(Enrich(0, PartitionId(0), state_seed::kFeedbackId, kGarbage).find("dedupe"), std::string::npos);
  voc::state::v1::DedupeEntry entry;
  entry.set_source_revision(1);
  entry.add_theme_ids("\xff");  // would go out as a retraction's theme id
  EXPECT_NE(Enrich(0, PartitionId(0), state_seed::kFeedbackId, entry.SerializeAsString()).find("dedupe"),
            std::string::npos);
  EXPECT_NE(Enrich(1, PartitionId(0), state_seed::kCustomer, kGarbage).find("neardup"), std::string::npos);
  voc::state::v1::NearDuplicateIndex ragged;
  ragged.add_simhash(1);
  EXPECT_NE(Enrich(1, PartitionId(0), state_seed::kCustomer, ragged.SerializeAsString()).find("neardup"),
            std::string::npos);
  EXPECT_NE(Enrich(2, enrich::CustomerTable::kTablePartition, state_seed::kCustomer, kGarbage).find("customers"),
            std::string::npos);
}

TEST_F(StoredValueTest, UnreadableAggregateStateIsAFatalErrorNamingTheStore) {
  std::string account_key(1, static_cast<char>(std::strlen(state_seed::kTheme)));
  account_key += state_seed::kTheme;
  account_key += '\0';
  account_key += static_cast<char>(std::strlen(state_seed::kCustomer));
  account_key += state_seed::kCustomer;
  EXPECT_NE(Aggregate(0, account_key, kGarbage).find("account"), std::string::npos);
  voc::state::v1::Account account;  // the contribution the mention replaces, on channel 7
  auto* c = account.add_contributions();
  c->set_feedback_id(state_seed::kFeedbackId);
  c->set_revision(1);
  c->set_channel(7);
  c->set_event_time_ms(kT0 + 10);
  EXPECT_NE(Aggregate(0, account_key, account.SerializeAsString()).find("account"), std::string::npos);
  const std::string window = aggregate::WindowKey(3'600'000, kT0, state_seed::kTheme, "all");
  EXPECT_NE(Aggregate(1, window, kGarbage).find("window"), std::string::npos);
  voc::state::v1::WindowState state;
  state.set_theme_id("\xff\xfe");
  state.set_window_start_ms(kT0);
  state.set_window_size_ms(3'600'000);
  EXPECT_NE(Aggregate(1, window, state.SerializeAsString()).find("window"), std::string::npos);
  EXPECT_NE(Aggregate(2, "open", kGarbage).find("meta"), std::string::npos);
  EXPECT_NE(Aggregate(2, "dirty", kGarbage).find("meta"), std::string::npos);
  EXPECT_NE(Aggregate(2, "watermark", "short").find("meta"), std::string::npos);
  // What the processor writes itself reads back.
  int64_t watermark = kT0;
  EXPECT_EQ(Aggregate(2, "watermark", std::string(reinterpret_cast<const char*>(&watermark), 8)), "");
}

// regressions/service_config/complex-key-escapes-as-yaml-exception: "? rocksdb:" made a
// key that is a mapping; yaml-cpp's bad-conversion exception left Config::Load, past
// ServiceMain's ConfigError handler, and ended the service with std::terminate.
TEST(ConfigFuzzRegression, AKeyThatIsAListOrMappingIsAConfigErrorNamingTheFile) {
  ProcessTempDir dir;
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
