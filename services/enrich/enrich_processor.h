// voc-enrich's logic: deduplicate (exact, by revision, and near duplicates per customer),
// enrich with text analytics and the customer profile, and emit the enriched record,
// one ThemeMention per theme (with retractions) and alerts for urgent feedback.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "common/core/limits.h"
#include "common/core/string_map.h"
#include "common/runtime/processor.h"
#include "common/text/analyzer.h"
#include "voc/state/v1/state.pb.h"
#include "voc/v1/alert.pb.h"
#include "voc/v1/enriched.pb.h"
#include "voc/v1/feedback.pb.h"
#include "voc/v1/theme.pb.h"

namespace prometheus {
class Registry;
}

namespace voc::enrich {

struct EnrichOptions {
  std::string customers_topic = "voc.customers";  // compacted, read whole as a table
  std::string enriched_topic = "voc.feedback.enriched";
  std::string mentions_topic = "voc.theme.mentions";
  std::string alerts_topic = "voc.alerts";
  text::AnalyzerOptions analyzer;
  std::chrono::seconds dedupe_ttl{30 * 86400};       // how long a feedback id is remembered, in event time
  std::chrono::milliseconds near_duplicate_horizon{7 * 86'400'000LL};  // by event time, per customer
  int near_duplicate_max_distance = 3;               // SimHash bits
  int near_duplicate_min_words = 6;                  // shorter texts are never near duplicates
  size_t near_duplicate_max_entries = 32;            // per customer, the latest by event time kept
  // Processing waits this long at most for the customer table to be read to its end.
  std::chrono::milliseconds customer_catch_up{60'000};
  // Candidate phrases of emerging topics on the overall mention (common/text/phrases.h);
  // 0 leaves them out.
  size_t phrases_per_feedback = kMaxPhrasesPerFeedback;
  std::string service_version = "0.1.0";
};

// Counts of what the processor decided, exposed as metrics.
struct EnrichProbe;

// A customer's recent texts, ordered by (event time, feedback id), as the near-duplicate
// search reads them. A text's original is the earliest text before it in that order within
// the horizon and the distance, so roles are a function of the input, not of the order in
// which records of different topics happened to arrive.
//
// A customer's texts are kept in two entries, so that a new text rewrites a few texts and
// not all of them (at the checkpoint, in RocksDB and in the changelog): the latest ones,
// at most kLatestTexts past the earlier entry, and the earlier ones, written again only
// when the latest outgrow kLatestTexts or a text lands among or changes the earlier ones.
// Forgetting the earliest texts only counts them in the latest entry (earlier_forgotten).
struct RecentTexts {
  struct Text {
    uint64_t simhash = 0;
    uint64_t id_hash = 0;  // of feedback_id: most comparisons end here
    int64_t event_time_ms = 0;
    std::string feedback_id;
    std::string duplicate_of;  // the role last emitted; empty: an original
  };
  using Texts = std::vector<Text>;
  Texts texts;
  // The latest entry only: whether an earlier entry exists, and how many texts at its
  // front are forgotten.
  bool has_earlier = false;
  uint32_t earlier_forgotten = 0;
};
inline constexpr size_t kLatestTexts = 8;
// The key of a customer's earlier texts: the customer id and a 0xff byte, which no UTF-8
// id holds.
std::string EarlierTextsKey(std::string_view customer);

// A customer's texts as one sequence, read in place: the earlier entry's from
// earlier_from on, then the latest entry's.
struct CustomerTexts {
  const RecentTexts::Texts* earlier = nullptr;
  size_t earlier_from = 0;
  const RecentTexts::Texts* latest = nullptr;  // null: the customer has none
  size_t earlier_size() const { return earlier == nullptr ? 0 : earlier->size() - earlier_from; }
  size_t size() const { return earlier_size() + (latest == nullptr ? 0 : latest->size()); }
  const RecentTexts::Text& operator[](size_t i) const {
    const size_t e = earlier_size();
    return i < e ? (*earlier)[earlier_from + i] : (*latest)[i - e];
  }
};

// The enriched record last emitted for a text in the near-duplicate index, as it went out:
// a new role is that record again with another duplicate_of.
struct EmittedRecord {
  std::string bytes;
};

}  // namespace voc::enrich

template <>
struct voc::state::Codec<voc::enrich::EmittedRecord> {
  static void Encode(const voc::enrich::EmittedRecord& record, std::string* out) { *out = record.bytes; }
  static bool Decode(std::string_view bytes, voc::enrich::EmittedRecord* record) {
    record->bytes.assign(bytes);
    return true;
  }
  static size_t Footprint(const voc::enrich::EmittedRecord& record) {
    return sizeof(record) + voc::state::HeapBytes(record.bytes);
  }
};

// RecentTexts as stored: the packed parallel arrays of voc.state.v1.NearDuplicateIndex.
// Decode refuses an index whose arrays differ in length, whose texts are out of order or
// whose ids are not UTF-8 (they go back out in EnrichedFeedback.duplicate_of).
template <>
struct voc::state::Codec<voc::enrich::RecentTexts> {
  static void Encode(const voc::enrich::RecentTexts& index, std::string* out);
  static bool Decode(std::string_view bytes, voc::enrich::RecentTexts* index);
  static size_t Footprint(const voc::enrich::RecentTexts& index);
};
// A dedupe entry as stored; Decode refuses one whose customer or theme ids, which go back
// out in retractions, are not UTF-8 (or a theme id is empty).
template <>
struct voc::state::Codec<voc::state::v1::DedupeEntry> {
  static void Encode(const voc::state::v1::DedupeEntry& entry, std::string* out) { entry.SerializeToString(out); }
  static bool Decode(std::string_view bytes, voc::state::v1::DedupeEntry* entry);
  static size_t Footprint(const voc::state::v1::DedupeEntry& entry) { return entry.SpaceUsedLong(); }
};

namespace voc::enrich {

// NOT thread-safe: runs on the service's processing thread.
class EnrichProcessor final : public runtime::Processor {
 public:
  EnrichProcessor(EnrichOptions options, std::unique_ptr<text::Analyzer> analyzer, prometheus::Registry& registry);
  ~EnrichProcessor() override;

  // Stores: dedupe (what each feedback id last was), neardup (each customer's recent
  // texts), emitted (the last enriched record of each text in neardup, for the horizon),
  // and the customer table.
  void Open(runtime::Setup& setup) override;
  void Process(const kafka::Record& record, runtime::Context& ctx) override;

 private:
  // Places the record's text in its customer's index and returns its original (empty: it is
  // one); *changed gets the later texts whose original this placement changed.
  struct RoleChange {
    std::string feedback_id;
    std::string duplicate_of;
  };
  std::string PlaceText(const kafka::Record& record, uint64_t simhash, int words, std::vector<RoleChange>* changed);
  // Moves the partition's event time, which the stores' TTLs count, to the record's (never
  // past the wall clock).
  void TellEventClock(PartitionId partition, int64_t event_time_ms, int64_t now_ms);
  // Takes text `id` out of `customer`'s index (a shorter revision, or one filed under
  // another customer); *changed gets the texts after it whose original changed.
  void LeaveIndex(PartitionId partition, const std::string& customer, const std::string& id,
                  std::vector<RoleChange>* changed);
  // The customer's texts (an earlier entry that contradicts the latest is damaged state).
  CustomerTexts ReadTexts(PartitionId partition, const std::string& customer);
  // The latest entry, to change, which *texts then reads. unseal: a change reaches the
  // earlier texts, which move to the latest entry first.
  RecentTexts& ChangeTexts(PartitionId partition, const std::string& customer, CustomerTexts* texts, bool unseal);
  // Forgets the earliest texts past the cap; latest texts past kLatestTexts join the
  // earlier ones.
  void BoundTexts(PartitionId partition, const std::string& customer, CustomerTexts* texts, RecentTexts& latest);
  // The earliest of the first `at` texts within the horizon and the distance of a text
  // (simhash, time); null when none is.
  const std::string* OriginalOf(const CustomerTexts& texts, size_t at, uint64_t simhash, int64_t time) const;
  // Gives texts from `first` on (latest ones: changes never reach the earlier entry) their
  // original again; *changed gets those whose changed.
  void Reassign(const CustomerTexts& texts, RecentTexts& latest, size_t first, std::vector<RoleChange>* changed) const;
  // Emits a text whose role changed as a new revision, from what was last emitted for it.
  void EmitNewRole(const kafka::Record& record, const std::string& feedback_id, const std::string& duplicate_of,
                   runtime::Context& ctx);
  void EmitMentions(const voc::state::v1::DedupeEntry* previous, runtime::Context& ctx);
  // The redactions into the enriched record and voc_enrich_pii_redactions_total{kind}.
  void RecordPii(const text::PiiCounts& counts);
  void EmitAlert(runtime::Context& ctx);

  EnrichOptions options_;
  std::unique_ptr<text::Analyzer> analyzer_;
  std::unique_ptr<EnrichProbe> probe_;
  state::KeyValueStore<voc::state::v1::DedupeEntry>* dedupe_ = nullptr;
  state::KeyValueStore<RecentTexts>* near_duplicates_ = nullptr;
  std::string earlier_key_;  // of the customer ReadTexts read last
  state::KeyValueStore<EmittedRecord>* emitted_ = nullptr;
  runtime::Table<voc::v1::CustomerProfile>* customers_ = nullptr;
  state::EventClock* event_clock_ = nullptr;
  // Reused per record: no allocation storms on the hot path.
  voc::v1::Feedback feedback_;
  voc::v1::EnrichedFeedback enriched_;
  voc::v1::ThemeMention mention_;
  voc::v1::Alert alert_;
  voc::state::v1::DedupeEntry previous_;
  text::Analysis analysis_;
  std::string bytes_;
  std::string enriched_bytes_;
  std::vector<RoleChange> role_changes_;
  std::string fingerprint_content_;  // what Fingerprint hashes, its capacity kept
  std::vector<std::string> phrases_;
};

}  // namespace voc::enrich
