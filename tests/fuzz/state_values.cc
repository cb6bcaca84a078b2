// Target state_values: arbitrary bytes as a stored state value, read back by the processor
// that owns it. Input: [selector byte][value]; the selector picks one of the values the
// stateful services store (voc-enrich: a dedupe entry, a near-duplicate index, a customer
// row of its table; voc-aggregate: a contribution, a customer's span, a window, a
// partition's meta). The value is
// committed to the processor's RocksDB state folder (made once per process) under the key
// that a fixed, valid record then reads, and the processor, its caches emptied (as after a
// restart), processes that record as the runner would (test::ProcessorHarness).
//
// Contract: a value the processor cannot read is a runtime::FatalError, the error that
// stops the service without committing, and its message names the store; otherwise the
// record is processed and every output parses as its type (so no string from state that
// is not UTF-8 reaches a topic). Never a crash, never undefined behaviour, never another
// exception (the driver would make it a PROCESSING_ERROR dead letter).
#include <prometheus/registry.h>

#include <cstring>
#include <tuple>

#include "services/aggregate/aggregate_processor.h"
#include "services/enrich/enrich_processor.h"
#include "tests/fuzz/processor.h"
#include "tests/runtime/temp_dir.h"
#include "voc/v1/customer.pb.h"

namespace voc::fuzz {
namespace {

using state_seed::kCustomer;
using state_seed::kFeedbackId;
using state_seed::kT0;
using state_seed::kTheme;
using Slot = state_seed::Slot;
constexpr PartitionId kTablePartition = runtime::Table<voc::v1::CustomerProfile>::kPartition;

struct Location {
  bool enrich;
  const char* store;  // as the processor declares it; what the error must name
  PartitionId partition;
  std::string key;
};

std::string AccountKey() {  // [theme length][theme][customer length, 2 bytes][customer]
  std::string key(1, static_cast<char>(std::strlen(kTheme)));
  key += kTheme;
  key += '\0';
  key += static_cast<char>(std::strlen(kCustomer));
  key += kCustomer;
  return key;
}

// The account key, then the largest window size (a day) and the start of the customer's
// spans' group, 8 bytes big-endian each.
std::string SpanKey() {
  std::string key = AccountKey();
  for (int64_t v : {int64_t{86'400'000}, kT0}) {
    for (int shift = 56; shift >= 0; shift -= 8) key.push_back(static_cast<char>(static_cast<uint64_t>(v) >> shift));
  }
  return key;
}

Location Where(Slot slot, uint8_t variant) {
  switch (slot) {
    case state_seed::kEnrichDedupe: return {true, "dedupe", PartitionId(0), kFeedbackId};
    case state_seed::kEnrichNearDuplicates: return {true, "neardup", PartitionId(0), kCustomer};
    case state_seed::kEnrichCustomer:
      return {true, "customers", kTablePartition, kCustomer};
    case state_seed::kAggregateContribution:
      return {false, "contribution", PartitionId(0), AccountKey() + kFeedbackId};
    case state_seed::kAggregateSpan:
      return {false, "span", PartitionId(0), SpanKey()};
    case state_seed::kAggregateWindow: {
      const int64_t size = (variant & 1) ? 86'400'000 : 3'600'000;
      const char* channel = (variant & 2) ? "survey" : "all";
      return {false, "window", PartitionId(0), aggregate::WindowKey(size, kT0, kTheme, channel)};
    }
    default: return {false, "meta", PartitionId(0), "meta"};
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

// One service's processor on its state folder, started once. Between inputs it keeps
// nothing but its stores' caches, which are emptied before each input as a restart would
// leave them (restarting itself, which reopens RocksDB, would cost more than the rest of
// an input together); nothing it changes is committed.
struct Service {
  Service(bool enrich, std::string topic) : input{std::move(topic), PartitionId(0)} {
    harness = std::make_unique<test::ProcessorHarness>(
        [this, enrich]() -> std::unique_ptr<runtime::Processor> {
          if (enrich) {
            return std::make_unique<enrich::EnrichProcessor>(enrich::EnrichOptions{}, AnalyzerFork(), registry);
          }
          aggregate::AggregateOptions options;
          options.window_sizes = {std::chrono::hours(1), std::chrono::hours(24)};
          options.emit_interval = std::chrono::milliseconds(0);
          return std::make_unique<aggregate::AggregateProcessor>(options, registry);
        },
        dir.path(), std::vector<TopicPartition>{input});
    Start(*harness);
    harness->SetWallClock(kNowMs);
  }

  test::TempDir dir;
  TopicPartition input;
  prometheus::Registry registry;
  std::unique_ptr<test::ProcessorHarness> harness;
  std::vector<std::tuple<state::StoreId, PartitionId, std::string>> written;  // by the last input
};

Service& Instance(bool enrich) {
  static Service enrich_service(true, "voc.feedback");
  static Service aggregate_service(false, "voc.theme.mentions");
  return enrich ? enrich_service : aggregate_service;
}

// Stores value at where, after taking out what the previous input stored; then empties the
// processor's caches.
void Store(Service& s, const Location& where, std::string_view value) {
  test::ProcessorHarness& h = *s.harness;
  auto txn = h.db()->Begin();
  for (const auto& [store, partition, key] : s.written) txn->Delete(store, partition, key);
  s.written = {{StoreNamed(h, where.store), where.partition, where.key}};
  txn->Put(StoreNamed(h, where.store), where.partition, where.key, value);
  if (Status st = h.db()->Commit(txn.get()); !st.ok()) Fail(__FILE__, __LINE__, "cannot commit: " + st.ToString());
  h.driver().Forget({s.input, {"", kTablePartition}});
}

template <typename Message>
void ExpectParses(const test::Output& o, const char* type) {
  Message m;
  VOC_FUZZ_EXPECT(m.ParseFromString(o.value), std::string("an output on ") + o.topic + " is not a " + type +
                                                  " (a string from state that is not UTF-8?)");
}

// The fixed record through the processor, as a batch without a checkpoint: its outputs, or
// a FatalError that names the store.
void Run(Service& s, const Location& where, const std::string& value) {
  test::Emitted out;
  try {
    out = s.harness->Batch({{.topic = s.input.topic, .partition = 0, .key = kCustomer, .value = value}}, false);
  } catch (const runtime::FatalError& e) {
    const std::string what = e.what();
    VOC_FUZZ_EXPECT(what.find(where.store) != std::string::npos,
                    std::string("a FatalError that does not name the store '") + where.store + "': " + what);
    return;
  }
  for (const auto& o : out.outputs) {
    if (o.topic == "voc.feedback.enriched") ExpectParses<voc::v1::EnrichedFeedback>(o, "voc.v1.EnrichedFeedback");
    else if (o.topic == "voc.theme.mentions") ExpectParses<voc::v1::ThemeMention>(o, "voc.v1.ThemeMention");
    else if (o.topic == "voc.alerts") ExpectParses<voc::v1::Alert>(o, "voc.v1.Alert");
    else if (o.topic == "voc.theme.aggregates") ExpectParses<voc::v1::ThemeAggregate>(o, "voc.v1.ThemeAggregate");
    else Fail(__FILE__, __LINE__, "an output on " + o.topic);
  }
  if (where.enrich) {
    VOC_FUZZ_EXPECT(out.dead_letters.empty(), "a valid record became a dead letter because of stored state");
  } else {
    for (const auto& letter : out.dead_letters) ExpectKnownDeadLetter(letter, {"TOO_LATE"});  // a watermark far ahead
  }
}

}  // namespace
}  // namespace voc::fuzz

VOC_FUZZ_TARGET(state_values) {
  using namespace voc::fuzz;
  if (size < 1) return 0;
  const auto slot = static_cast<state_seed::Slot>(data[0] % state_seed::kSlots);
  const Location where = Where(slot, static_cast<uint8_t>(data[0] / state_seed::kSlots));
  Service& s = Instance(where.enrich);
  Store(s, where, std::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  static const std::string feedback = FeedbackRecord(), mention = MentionRecord();
  Run(s, where, where.enrich ? feedback : mention);
  return 0;
}
