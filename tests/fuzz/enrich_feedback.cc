// Target enrich_feedback: voc.feedback records through voc-enrich's EnrichProcessor with
// the real Analyzer, on a real RocksDB state folder (made once per process), driven as the
// runner drives it (test::ProcessorHarness): a batch per record, then a checkpoint. The
// customer table holds "cust-1", as the table reader would have stored it. Input: up to 8
// records separated by kRecordSeparator. After each input what its checkpoint wrote is
// deleted again, so every input starts from the same store.
//
// Contract, per record: exactly one of {one dead letter with a known reason; dropped
// (an exact duplicate or a stale revision of an id already seen); emitted: one
// voc.v1.EnrichedFeedback keyed by customer, then one ThemeMention per theme keyed by
// theme (the "other" theme when none), retractions only of themes the id had before,
// at most one Alert, exactly when the text is urgent; texts whose near-duplicate role the
// record changed may follow, each a new revision of an id already emitted, of the
// record's customer or, when the record moved its id to another customer, of the old one}.
// A near duplicate's original is a text of its own customer. Every output parses as its type. Revisions count up per feedback id; an older
// source revision is never emitted. What the checkpoint wrote reads back: the last record
// emitted, delivered again once the processor's caches are gone, is dropped.
#include <prometheus/registry.h>

#include <map>
#include <optional>
#include <set>

#include "common/core/theme_ids.h"
#include "services/enrich/enrich_processor.h"
#include "tests/fuzz/processor.h"
#include "tests/runtime/temp_dir.h"
#include "voc/v1/customer.pb.h"

namespace voc::fuzz {
namespace {

const TopicPartition kInput{"voc.feedback", PartitionId(0)};
const std::vector<std::string> kReasons = {"MALFORMED_PROTOBUF", "MISSING_FIELD"};

struct Enrich {
  test::TempDir dir;
  prometheus::Registry registry;
  test::ProcessorHarness harness{[this] { return std::make_unique<enrich::EnrichProcessor>(
                                              enrich::EnrichOptions{}, AnalyzerFork(), registry); },
                                 dir.path(), {kInput}};
  Checkpoints checkpoints;

  Enrich() {
    Start(harness);
    harness.SetWallClock(kNowMs);
    // One known customer, as the table reader hands a row of voc.customers over.
    voc::v1::CustomerProfile profile;
    profile.set_schema_version(1);
    profile.set_customer_id("cust-1");
    profile.set_segment("enterprise");
    profile.set_plan("enterprise");
    profile.set_arr(250'000);
    VOC_FUZZ_EXPECT(harness.TableRow(0, "cust-1", profile.SerializeAsString()), "the customer row was refused");
    Checkpoint(harness);
  }
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
Message Parse(const test::Output& o, const char* type) {
  Message m;
  VOC_FUZZ_EXPECT(m.ParseFromString(o.value), std::string("an output on ") + o.topic + " is not a " + type);
  return m;
}

// One record as a batch of its own, without a checkpoint. The store is healthy: no record
// may stop the partition (a FatalError leaves the harness and ends the run as a crash).
test::Emitted Process(Enrich& e, std::string_view value) {
  return e.harness.Batch({{.topic = kInput.topic, .partition = 0, .key = "k", .value = std::string(value)}}, false);
}

// The themes a record's mentions name: its own ("other" when none) and the overall one.
std::set<std::string> MentionedThemes(const voc::v1::EnrichedFeedback& enriched) {
  std::set<std::string> themes;
  for (const auto& t : enriched.themes()) themes.insert(t.id());
  if (themes.empty()) themes.insert(kUnthemedId);
  themes.insert(kOverallThemeId);
  return themes;
}

// The mentions after an enriched record: one per theme, retractions only of themes the id
// had (previous: what the target saw of it before; null: no retraction allowed). Returns
// the index of the first output after them.
size_t ExpectMentions(const test::Emitted& out, size_t i, const voc::v1::EnrichedFeedback& enriched,
                      const Seen* previous) {
  std::set<std::string> distinct;
  for (const auto& t : enriched.themes()) {
    VOC_FUZZ_EXPECT(!t.id().empty() && distinct.insert(t.id()).second, "a theme empty or twice: " + t.id());
  }
  const std::set<std::string> themes = MentionedThemes(enriched);
  std::set<std::string> mentioned, retracted;
  for (; i < out.outputs.size() && out.outputs[i].topic == "voc.theme.mentions"; ++i) {
    const auto& o = out.outputs[i];
    const auto m = Parse<voc::v1::ThemeMention>(o, "voc.v1.ThemeMention");
    VOC_FUZZ_EXPECT(o.key == m.theme_id(), "a mention not keyed by its theme");
    VOC_FUZZ_EXPECT(m.feedback_id() == enriched.feedback_id() && m.revision() == enriched.revision(),
                    "a mention of another record or revision");
    VOC_FUZZ_EXPECT(m.near_duplicate() == !enriched.duplicate_of().empty(),
                    "a mention's near_duplicate disagrees with its record's duplicate_of");
    if (m.retracted()) {
      VOC_FUZZ_EXPECT(previous != nullptr && previous->themes.contains(m.theme_id()),
                      "a retraction of theme " + m.theme_id() + ", which the id never had");
      VOC_FUZZ_EXPECT(retracted.insert(m.theme_id()).second, "theme " + m.theme_id() + " retracted twice");
    } else {
      VOC_FUZZ_EXPECT(themes.contains(m.theme_id()), "a mention of a theme the record does not have");
      VOC_FUZZ_EXPECT(mentioned.insert(m.theme_id()).second, "theme " + m.theme_id() + " mentioned twice");
    }
  }
  VOC_FUZZ_EXPECT(mentioned == themes, "not one mention per theme");
  return i;
}

// A near duplicate's original is another text emitted before, of the same customer.
void ExpectOriginal(const voc::v1::EnrichedFeedback& enriched, const std::map<std::string, Seen>& seen) {
  if (enriched.duplicate_of().empty()) return;
  auto original = seen.find(enriched.duplicate_of());
  VOC_FUZZ_EXPECT(enriched.duplicate_of() != enriched.feedback_id() && original != seen.end(),
                  "a near duplicate of " + Excerpt(enriched.duplicate_of()) + ", no text emitted before");
  VOC_FUZZ_EXPECT(original->second.customer_id == enriched.customer_id(),
                  "a near duplicate of " + Excerpt(enriched.duplicate_of()) + ", a text of another customer");
}

// Checks one record's outputs against the contract; updates what the target has seen.
void ExpectOneOutcome(const test::Emitted& out, const voc::v1::Feedback* input, std::map<std::string, Seen>* seen) {
  if (!out.dead_letters.empty()) {
    VOC_FUZZ_EXPECT(out.dead_letters.size() == 1 && out.outputs.empty(),
                    "a dead letter and other outputs for one record");
    ExpectKnownDeadLetter(out.dead_letters[0], kReasons);
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
  VOC_FUZZ_EXPECT(enriched.feedback_id() == input->feedback_id() && !enriched.role_changed(),
                  "the enriched record names another id, or says its role changed");
  const uint32_t expected_revision = it == seen->end() ? 1 : it->second.revision + 1;
  VOC_FUZZ_EXPECT(enriched.revision() == expected_revision,
                  "revision " + std::to_string(enriched.revision()) + ", expected " + std::to_string(expected_revision));
  VOC_FUZZ_EXPECT(enriched.sentiment() >= -1.0 && enriched.sentiment() <= 1.0, "sentiment out of [-1, 1]");
  ExpectOriginal(enriched, *seen);
  size_t i = ExpectMentions(out, 1, enriched, it == seen->end() ? nullptr : &it->second);
  size_t alerts = 0;
  for (; i < out.outputs.size() && out.outputs[i].topic == "voc.alerts"; ++i) {
    const auto alert = Parse<voc::v1::Alert>(out.outputs[i], "voc.v1.Alert");
    VOC_FUZZ_EXPECT(alert.feedback_id() == enriched.feedback_id() && alert.revision() == enriched.revision(),
                    "an alert for another record");
    ++alerts;
  }
  VOC_FUZZ_EXPECT(alerts == (enriched.urgency_size() > 0 ? 1u : 0u), "an alert without urgency, or none with it");
  // The customer the id was filed under before this record, when it changed ("" is one).
  std::optional<std::string> moved_from;
  if (it != seen->end() && it->second.customer_id != input->customer_id()) moved_from = it->second.customer_id;
  (*seen)[input->feedback_id()] = {input->source_revision(), enriched.revision(), MentionedThemes(enriched),
                                   enriched.customer_id()};
  // Texts of the customer whose role this one changed: each again as a new revision, with
  // its mentions when it turned between original and near duplicate.
  while (i < out.outputs.size()) {
    const auto& o = out.outputs[i];
    VOC_FUZZ_EXPECT(o.topic == "voc.feedback.enriched", "an output on " + o.topic + " after the record's own");
    const auto again = Parse<voc::v1::EnrichedFeedback>(o, "voc.v1.EnrichedFeedback");
    auto other = seen->find(again.feedback_id());
    VOC_FUZZ_EXPECT(again.role_changed() && other != seen->end() && again.feedback_id() != input->feedback_id(),
                    "a record emitted again that is no earlier text whose role changed");
    VOC_FUZZ_EXPECT(o.key == again.customer_id() && other->second.customer_id == again.customer_id() &&
                        (again.customer_id() == input->customer_id() ||
                         (moved_from && again.customer_id() == *moved_from)),
                    "a role changed for a text that is not the customer's, nor of the customer the id moved from");
    VOC_FUZZ_EXPECT(again.revision() == other->second.revision + 1, "a role change that is not the next revision");
    ExpectOriginal(again, *seen);
    other->second.revision = again.revision();
    ++i;
    if (i < out.outputs.size() && out.outputs[i].topic == "voc.theme.mentions") {
      i = ExpectMentions(out, i, again, nullptr);
    }
  }
}

}  // namespace
}  // namespace voc::fuzz

VOC_FUZZ_TARGET(enrich_feedback) {
  using namespace voc::fuzz;
  Enrich& e = Instance();
  const auto records = SplitRecords(std::string_view(reinterpret_cast<const char*>(data), size), 8);
  std::map<std::string, Seen> seen;
  std::string_view last_emitted;
  for (std::string_view value : records) {
    voc::v1::Feedback input;
    const bool parses = input.ParseFromArray(value.data(), static_cast<int>(value.size()));
    const voc::test::Emitted out = Process(e, value);
    ExpectOneOutcome(out, parses ? &input : nullptr, &seen);
    if (!out.outputs.empty()) last_emitted = value;
  }
  // What the checkpoint wrote is what a restarted processor reads: the last record
  // emitted, delivered again with no cache left, is a duplicate.
  e.checkpoints.Write(e.harness);
  e.harness.driver().Forget({kInput});
  if (!last_emitted.empty()) {
    const voc::test::Emitted out = Process(e, last_emitted);
    VOC_FUZZ_EXPECT(out.outputs.empty() && out.dead_letters.empty(),
                    "the last record emitted, delivered again after a checkpoint, was not dropped as a duplicate");
  }
  e.checkpoints.Undo(e.harness, {kInput});
  return 0;
}
