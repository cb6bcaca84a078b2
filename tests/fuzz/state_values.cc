// Target state_values: arbitrary bytes as a stored state value, read back by the processor
// that owns it. Input: [selector byte][value]; the selector picks one of the values the
// stateful services store (voc-enrich: a dedupe entry, a near-duplicate index, a
// customer row; voc-aggregate: an account, a window, the open windows, the dirty windows,
// the watermark). The value is committed to a RocksDB store (a folder made once per
// process) under the key that a fixed, valid record then reads, and a fresh processor
// (a restart: no cache) processes that record as the runtime would.
//
// Contract: a value the processor cannot read is a runtime::FatalError, the error that
// stops the partition without committing, and its message names the store; otherwise the
// record is processed and every output parses as its type (so no string from state that
// is not UTF-8 reaches a topic). Never a crash, never undefined behaviour, never another
// exception.
#include <prometheus/registry.h>

#include <cstring>

#include "services/aggregate/aggregate_processor.h"
#include "services/enrich/enrich_processor.h"
#include "tests/fuzz/stateful.h"
#include "voc/v1/customer.pb.h"

namespace voc::fuzz {
namespace {

constexpr int64_t kNowMs = 1'795'694'400'000;  // 2026-11-26T12:00:00Z
using state_seed::kCustomer;
using state_seed::kFeedbackId;
using state_seed::kT0;
using state_seed::kTheme;
using Slot = state_seed::Slot;
constexpr char kFeedbackTopic[] = "voc.feedback";
constexpr char kMentionTopic[] = "voc.theme.mentions";

struct Location {
  bool enrich;
  state::StoreId store;
  PartitionId partition;
  std::string key;
  const char* store_name;  // what the error must name
};

std::string AccountKey() {  // [theme length][theme][customer length, 2 bytes][customer]
  std::string key(1, static_cast<char>(std::strlen(kTheme)));
  key += kTheme;
  key += '\0';
  key += static_cast<char>(std::strlen(kCustomer));
  key += kCustomer;
  return key;
}

Location Where(Slot slot, uint8_t variant) {
  switch (slot) {
    case state_seed::kEnrichDedupe: return {true, 0, PartitionId(0), kFeedbackId, "dedupe"};
    case state_seed::kEnrichNearDuplicates: return {true, 1, PartitionId(0), kCustomer, "neardup"};
    case state_seed::kEnrichCustomer: return {true, 2, enrich::CustomerTable::kTablePartition, kCustomer, "customers"};
    case state_seed::kAggregateAccount: return {false, 0, PartitionId(0), AccountKey(), "account"};
    case state_seed::kAggregateWindow: {
      const int64_t size = (variant & 1) ? 86'400'000 : 3'600'000;
      return {false, 1, PartitionId(0), aggregate::WindowKey(size, kT0, kTheme, (variant & 2) ? "survey" : "all"),
              "window"};
    }
    case state_seed::kAggregateOpen: return {false, 2, PartitionId(0), "open", "meta"};
    case state_seed::kAggregateDirty: return {false, 2, PartitionId(0), "dirty", "meta"};
    default: return {false, 2, PartitionId(0), "watermark", "meta"};
  }
}

// The fixed records: revision 2 of a feedback (and of its mention) whose revision 1 the
// stored state may describe, with enough words for the near-duplicate search.
std::string FeedbackRecord() {
  voc::v1::Feedback f;
  f.set_schema_version(1);
  f.set_feedback_id(kFeedbackId);
  f.set_source_revision(2);
  f.set_channel(voc::v1::CHANNEL_SURVEY);
  f.set_source_system("qualtrics");
  f.set_external_id("R-7");
  f.set_customer_id(kCustomer);
  f.set_event_time_ms(kT0 + 10);
  f.set_text("The dashboard is far too slow to load and the export keeps timing out every morning.");
  f.mutable_survey()->set_nps(3);
  return f.SerializeAsString();
}

std::string MentionRecord() {
  voc::v1::ThemeMention m;
  m.set_schema_version(1);
  m.set_theme_id(kTheme);
  m.set_theme_path("Performance > Speed");
  m.set_feedback_id(kFeedbackId);
  m.set_revision(2);
  m.set_channel(voc::v1::CHANNEL_SURVEY);
  m.set_customer_id(kCustomer);
  m.set_event_time_ms(kT0 + 10);
  m.set_sentiment_scored(true);
  m.set_sentiment(-0.6);
  m.set_nps(3);
  m.set_arr(250'000);
  return m.SerializeAsString();
}

struct Stores {
  ProcessTempDir dir;
  std::unique_ptr<state::StateStore> enrich;
  std::unique_ptr<state::StateStore> aggregate;
  std::vector<std::pair<bool, Location>> written;  // to delete before the next input

  Stores() {
    prometheus::Registry registry;
    enrich::EnrichProcessor e({}, std::make_unique<ForwardingAnalyzer>(DefaultAnalyzer()), registry);
    this->enrich = OpenStore(dir.path() + "/enrich", e.Stores(), e.StateFormat());
    aggregate::AggregateProcessor a({}, registry);
    this->aggregate = OpenStore(dir.path() + "/aggregate", a.Stores(), a.StateFormat());
  }
};

Stores& Instance() {
  static Stores stores;
  return stores;
}

void Commit(state::StateStore& store, state::Transaction& txn) {
  if (Status s = store.Commit(&txn); !s.ok()) Fail(__FILE__, __LINE__, "cannot commit: " + s.ToString());
}

// Stores value at where (and, for an account, its entry among the theme's accounts), after
// taking out what the previous input stored.
void Store(Stores& s, const Location& where, std::string_view value) {
  for (state::StateStore* store : {s.enrich.get(), s.aggregate.get()}) {
    auto txn = store->Begin();
    for (const auto& [enrich, loc] : s.written) {
      if (enrich == (store == s.enrich.get())) txn->Delete(loc.store, loc.partition, loc.key);
    }
    if (where.enrich == (store == s.enrich.get())) {
      txn->Put(where.store, where.partition, where.key, value);
      if (!where.enrich && where.store == 0) txn->Put(3, where.partition, where.key, "");  // members
    }
    Commit(*store, *txn);
  }
  s.written = {{where.enrich, where}};
  if (!where.enrich && where.store == 0) s.written.push_back({false, {false, 3, where.partition, where.key, "members"}});
}

template <typename Message>
void ExpectParses(const CollectingEmitter::Output& o, const char* type) {
  Message m;
  VOC_FUZZ_EXPECT(m.ParseFromString(o.value), std::string("an output on ") + o.topic + " is not a " + type +
                                                  " (a string from state that is not UTF-8?)");
}

void ExpectNamedError(const runtime::FatalError& e, const Location& where) {
  const std::string what = e.what();
  VOC_FUZZ_EXPECT(what.find(where.store_name) != std::string::npos,
                  std::string("a FatalError that does not name the store '") + where.store_name + "': " + what);
}

void RunEnrich(Stores& s, const Location& where) {
  prometheus::Registry registry;
  enrich::EnrichOptions options;
  options.kafka.bootstrap_servers = "127.0.0.1:1";  // the customer table is never followed here
  enrich::EnrichProcessor processor(options, std::make_unique<ForwardingAnalyzer>(DefaultAnalyzer()), registry);
  processor.AttachStore(s.enrich.get());
  CollectingEmitter out;
  auto txn = s.enrich->Begin();
  runtime::Context ctx{out, txn.get(), kNowMs};
  const std::string value = FeedbackRecord();
  kafka::Record record{.topic = kFeedbackTopic, .partition = PartitionId(0), .offset = Offset(3), .key = kCustomer,
                       .value = value, .timestamp_ms = kNowMs, .content_type = ""};
  try {
    processor.Process(record, ctx);
    processor.EndBatch(ctx);
    processor.BeforeCommit(ctx);
  } catch (const runtime::FatalError& e) {
    ExpectNamedError(e, where);
    return;
  } catch (const std::exception& e) {
    Fail(__FILE__, __LINE__, std::string("an exception that is not a FatalError: ") + e.what());
  }
  VOC_FUZZ_EXPECT(out.letters.empty(), "a valid record became a dead letter because of stored state");
  for (const auto& o : out.outputs) {
    if (o.topic == "voc.feedback.enriched") ExpectParses<voc::v1::EnrichedFeedback>(o, "voc.v1.EnrichedFeedback");
    else if (o.topic == "voc.theme.mentions") ExpectParses<voc::v1::ThemeMention>(o, "voc.v1.ThemeMention");
    else if (o.topic == "voc.alerts") ExpectParses<voc::v1::Alert>(o, "voc.v1.Alert");
    else Fail(__FILE__, __LINE__, "an output on " + o.topic);
  }
}

void RunAggregate(Stores& s, const Location& where) {
  prometheus::Registry registry;
  aggregate::AggregateOptions options;
  options.window_sizes = {std::chrono::hours(1), std::chrono::hours(24)};
  options.emit_interval = std::chrono::milliseconds(0);
  aggregate::AggregateProcessor processor(options, registry);
  processor.AttachStore(s.aggregate.get());
  CollectingEmitter out;
  auto txn = s.aggregate->Begin();
  runtime::Context ctx{out, txn.get(), kNowMs};
  const std::string value = MentionRecord();
  kafka::Record record{.topic = kMentionTopic, .partition = PartitionId(0), .offset = Offset(3), .key = kTheme,
                       .value = value, .timestamp_ms = kNowMs, .content_type = ""};
  const std::vector<TopicPartition> partition = {{kMentionTopic, PartitionId(0)}};
  try {
    processor.OnAssigned(partition);  // reads the open windows, dirty windows and watermark
    processor.Process(record, ctx);
    processor.EndBatch(ctx);
    processor.BeforeCommit(ctx);
  } catch (const runtime::FatalError& e) {
    ExpectNamedError(e, where);
    return;
  } catch (const std::exception& e) {
    Fail(__FILE__, __LINE__, std::string("an exception that is not a FatalError: ") + e.what());
  }
  for (const auto& letter : out.letters) ExpectKnownDeadLetter(letter, {"TOO_LATE"});  // a watermark far ahead
  for (const auto& o : out.outputs) {
    VOC_FUZZ_EXPECT(o.topic == "voc.theme.aggregates", "an output on " + o.topic);
    ExpectParses<voc::v1::ThemeAggregate>(o, "voc.v1.ThemeAggregate");
  }
  processor.OnRevoked(partition);
}

}  // namespace
}  // namespace voc::fuzz

VOC_FUZZ_TARGET(state_values) {
  using namespace voc::fuzz;
  if (size < 1) return 0;
  const auto slot = static_cast<state_seed::Slot>(data[0] % state_seed::kSlots);
  const Location where = Where(slot, static_cast<uint8_t>(data[0] / state_seed::kSlots));
  Stores& s = Instance();
  Store(s, where, std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  if (where.enrich) {
    RunEnrich(s, where);
  } else {
    RunAggregate(s, where);
  }
  return 0;
}
