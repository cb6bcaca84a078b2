// Target enrich_feedback: voc.feedback records through voc-enrich's EnrichProcessor on a
// real RocksDB store (a folder made once per process) with the real Analyzer, driven as
// the runtime drives it: Process per record in one state transaction, BeforeCommit at the
// checkpoint. Input: up to 8 records separated by kRecordSeparator. Nothing is committed,
// and the partition is revoked after each input, so every input starts from the same
// state (a customer table holding "cust-1").
//
// Contract, per record: exactly one of {one dead letter with a known reason; dropped
// (an exact duplicate or a stale revision of an id already seen); emitted: one
// voc.v1.EnrichedFeedback keyed by customer, then one ThemeMention per theme keyed by
// theme (the "other" theme when none), retractions only of themes the id had before,
// at most one Alert, exactly when the text is urgent}. Every output parses as its type.
// Revisions count up per feedback id; an older source revision is never emitted. The
// last record emitted, delivered again, is dropped (effectively once).
#include <prometheus/registry.h>

#include <algorithm>
#include <map>
#include <set>

#include "services/enrich/enrich_processor.h"
#include "tests/fuzz/stateful.h"
#include "voc/v1/customer.pb.h"

namespace voc::fuzz {
namespace {

constexpr int64_t kNowMs = 1'795'694'400'000;  // 2026-11-26T12:00:00Z
constexpr char kInput[] = "voc.feedback";
const std::vector<std::string> kReasons = {"MALFORMED_PROTOBUF", "MISSING_FIELD"};

struct Enrich {
  ProcessTempDir dir;
  prometheus::Registry registry;
  std::unique_ptr<enrich::EnrichProcessor> processor;
  std::unique_ptr<state::StateStore> store;  // after the processor: its customer table writes here

  Enrich() {
    enrich::EnrichOptions options;
    options.kafka.bootstrap_servers = "127.0.0.1:1";  // the customer table is never followed here
    processor = std::make_unique<enrich::EnrichProcessor>(
        options, std::make_unique<ForwardingAnalyzer>(DefaultAnalyzer()), registry);
    store = OpenStore(dir.path(), processor->Stores(), processor->StateFormat());
    processor->AttachStore(store.get());
    // One known customer, as the table would have read it from voc.customers.
    voc::v1::CustomerProfile profile;
    profile.set_schema_version(1);
    profile.set_customer_id("cust-1");
    profile.set_segment("enterprise");
    profile.set_plan("enterprise");
    profile.set_arr(250'000);
    auto txn = store->Begin();
    txn->Put(2, enrich::CustomerTable::kTablePartition, "cust-1", profile.SerializeAsString());
    if (!store->Commit(txn.get()).ok()) Fail(__FILE__, __LINE__, "cannot seed the customer table");
  }
  ~Enrich() { processor.reset(); }  // before its store
};

Enrich& Instance() {
  static Enrich instance;
  return instance;
}

// What the target remembers of each feedback id across the records of one input.
struct Seen {
  uint32_t source_revision = 0;
  uint32_t revision = 0;
  std::set<std::string> themes;
  std::string customer_id;
};

template <typename Message>
Message Parse(const CollectingEmitter::Output& o, const char* type) {
  Message m;
  VOC_FUZZ_EXPECT(m.ParseFromString(o.value), std::string("an output on ") + o.topic + " is not a " + type);
  return m;
}

void Process(Enrich& e, std::string_view value, int64_t offset, state::Transaction* txn, CollectingEmitter* out) {
  out->Clear();
  kafka::Record record{.topic = kInput, .partition = PartitionId(0), .offset = Offset(offset), .key = "k",
                       .value = value, .timestamp_ms = kNowMs, .content_type = ""};
  runtime::Context ctx{*out, txn, kNowMs};
  try {
    e.processor->Process(record, ctx);
  } catch (const std::exception& ex) {
    // The store is healthy: no record may stop the partition, and the runtime's last line
    // of defence (PROCESSING_ERROR) is not a reason a processor may rely on.
    Fail(__FILE__, __LINE__, std::string("Process threw on a record: ") + ex.what());
  }
}

// Checks one record's outputs against the contract; updates what the target has seen.
void ExpectOneOutcome(const CollectingEmitter& out, const voc::v1::Feedback* input, std::map<std::string, Seen>* seen) {
  if (!out.letters.empty()) {
    VOC_FUZZ_EXPECT(out.letters.size() == 1 && out.outputs.empty(), "a dead letter and other outputs for one record");
    ExpectKnownDeadLetter(out.letters[0], kReasons);
    return;
  }
  VOC_FUZZ_EXPECT(input != nullptr, "a record that does not parse as Feedback was not a dead letter");
  auto it = seen->find(input->feedback_id());
  if (out.outputs.empty()) {  // dropped: only an id already seen, at the same or an older source revision
    VOC_FUZZ_EXPECT(it != seen->end() && input->source_revision() <= it->second.source_revision,
                    "a record vanished: no output, no dead letter, and not a duplicate of one seen");
    return;
  }
  VOC_FUZZ_EXPECT(it == seen->end() || input->source_revision() >= it->second.source_revision,
                  "an older source revision was emitted after a newer one");
  const auto& first = out.outputs[0];
  VOC_FUZZ_EXPECT(first.topic == "voc.feedback.enriched", "the first output is on " + first.topic);
  const auto enriched = Parse<voc::v1::EnrichedFeedback>(first, "voc.v1.EnrichedFeedback");
  VOC_FUZZ_EXPECT(first.key == enriched.customer_id() && enriched.customer_id() == input->customer_id(),
                  "the enriched record is not keyed by its customer");
  VOC_FUZZ_EXPECT(enriched.feedback_id() == input->feedback_id(), "the enriched record names another id");
  const uint32_t expected_revision = it == seen->end() ? 1 : it->second.revision + 1;
  VOC_FUZZ_EXPECT(enriched.revision() == expected_revision,
                  "revision " + std::to_string(enriched.revision()) + ", expected " + std::to_string(expected_revision));
  VOC_FUZZ_EXPECT(enriched.sentiment() >= -1.0 && enriched.sentiment() <= 1.0, "sentiment out of [-1, 1]");
  std::set<std::string> themes;
  for (const auto& t : enriched.themes()) {
    VOC_FUZZ_EXPECT(!t.id().empty() && themes.insert(t.id()).second, "a theme empty or twice: " + t.id());
  }
  const std::set<std::string> emitted_themes = themes.empty() ? std::set<std::string>{"other"} : themes;
  std::set<std::string> mentioned, retracted;
  size_t alerts = 0;
  for (size_t i = 1; i < out.outputs.size(); ++i) {
    const auto& o = out.outputs[i];
    if (o.topic == "voc.alerts") {
      const auto alert = Parse<voc::v1::Alert>(o, "voc.v1.Alert");
      VOC_FUZZ_EXPECT(alert.feedback_id() == enriched.feedback_id() && alert.revision() == enriched.revision(),
                      "an alert for another record");
      ++alerts;
      continue;
    }
    VOC_FUZZ_EXPECT(o.topic == "voc.theme.mentions", "an output on " + o.topic);
    const auto m = Parse<voc::v1::ThemeMention>(o, "voc.v1.ThemeMention");
    VOC_FUZZ_EXPECT(o.key == m.theme_id(), "a mention not keyed by its theme");
    VOC_FUZZ_EXPECT(m.feedback_id() == enriched.feedback_id() && m.revision() == enriched.revision(),
                    "a mention of another record or revision");
    if (m.retracted()) {
      VOC_FUZZ_EXPECT(it != seen->end() && it->second.themes.contains(m.theme_id()),
                      "a retraction of theme " + m.theme_id() + ", which the id never had");
      VOC_FUZZ_EXPECT(retracted.insert(m.theme_id()).second, "theme " + m.theme_id() + " retracted twice");
    } else {
      VOC_FUZZ_EXPECT(emitted_themes.contains(m.theme_id()), "a mention of a theme the record does not have");
      VOC_FUZZ_EXPECT(mentioned.insert(m.theme_id()).second, "theme " + m.theme_id() + " mentioned twice");
    }
  }
  VOC_FUZZ_EXPECT(mentioned == emitted_themes, "not one mention per theme");
  VOC_FUZZ_EXPECT(alerts == (enriched.urgency_size() > 0 ? 1u : 0u), "an alert without urgency, or none with it");
  (*seen)[input->feedback_id()] = {input->source_revision(), enriched.revision(), emitted_themes, enriched.customer_id()};
}

}  // namespace
}  // namespace voc::fuzz

VOC_FUZZ_TARGET(enrich_feedback) {
  using namespace voc::fuzz;
  Enrich& e = Instance();
  const auto records = SplitRecords(std::string_view(reinterpret_cast<const char*>(data), size), 8);
  auto txn = e.store->Begin();
  CollectingEmitter out;
  std::map<std::string, Seen> seen;
  std::string_view last_emitted;
  int64_t offset = 100;
  for (std::string_view value : records) {
    voc::v1::Feedback input;
    const bool parses = input.ParseFromArray(value.data(), static_cast<int>(value.size()));
    Process(e, value, offset++, txn.get(), &out);
    ExpectOneOutcome(out, parses ? &input : nullptr, &seen);
    if (!out.outputs.empty()) last_emitted = value;
  }
  if (!last_emitted.empty()) {
    Process(e, last_emitted, offset++, txn.get(), &out);
    VOC_FUZZ_EXPECT(out.outputs.empty() && out.letters.empty(),
                    "the last record emitted, delivered again, was not dropped as a duplicate");
  }
  voc::runtime::Context ctx{out, txn.get(), kNowMs};
  e.processor->EndBatch(ctx);
  e.processor->BeforeCommit(ctx);
  // Nothing committed: revoking drops the processor's caches, so the next input starts
  // from the store as it was.
  e.processor->OnRevoked({{kInput, voc::PartitionId(0)}});
  return 0;
}
