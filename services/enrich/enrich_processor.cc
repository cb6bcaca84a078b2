#include "services/enrich/enrich_processor.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "common/core/decimal.h"
#include "common/core/hash.h"
#include "common/core/theme_ids.h"
#include "common/core/utf8.h"
#include "common/text/phrases.h"
#include "services/enrich/simhash.h"

void voc::state::Codec<voc::enrich::RecentTexts>::Encode(const voc::enrich::RecentTexts& index, std::string* out) {
  voc::state::v1::NearDuplicateIndex stored;
  for (const auto& text : index.texts) {
    stored.add_simhash(text.simhash);
    stored.add_event_time_ms(text.event_time_ms);
    stored.add_feedback_id(text.feedback_id);
    stored.add_duplicate_of(text.duplicate_of);
  }
  stored.set_has_earlier(index.has_earlier);
  stored.set_earlier_forgotten(index.earlier_forgotten);
  stored.SerializeToString(out);
}

size_t voc::state::Codec<voc::enrich::RecentTexts>::Footprint(const voc::enrich::RecentTexts& index) {
  size_t bytes = sizeof(index) + voc::state::HeapBytes(index.texts);
  for (const auto& text : index.texts) {
    bytes += voc::state::HeapBytes(text.feedback_id) + voc::state::HeapBytes(text.duplicate_of);
  }
  return bytes;
}

bool voc::state::Codec<voc::enrich::RecentTexts>::Decode(std::string_view bytes, voc::enrich::RecentTexts* index) {
  voc::state::v1::NearDuplicateIndex stored;
  if (!stored.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
      stored.simhash_size() != stored.event_time_ms_size() || stored.simhash_size() != stored.feedback_id_size() ||
      stored.simhash_size() != stored.duplicate_of_size() || (stored.earlier_forgotten() > 0 && !stored.has_earlier())) {
    return false;
  }
  index->texts.clear();
  index->has_earlier = stored.has_earlier();
  index->earlier_forgotten = stored.earlier_forgotten();
  for (int i = 0; i < stored.simhash_size(); ++i) {
    const std::string& id = stored.feedback_id(i);
    if (id.empty() || !voc::IsValidUtf8(id) || !voc::IsValidUtf8(stored.duplicate_of(i)) ||
        (i > 0 && std::pair(stored.event_time_ms(i - 1), std::string_view(stored.feedback_id(i - 1))) >=
                      std::pair(stored.event_time_ms(i), std::string_view(id)))) {
      return false;
    }
  }
  for (int i = 0; i < stored.simhash_size(); ++i) {
    index->texts.push_back({.simhash = stored.simhash(i),
                            .id_hash = voc::Hash64(stored.feedback_id(i)),
                            .event_time_ms = stored.event_time_ms(i),
                            .feedback_id = std::move(*stored.mutable_feedback_id(i)),
                            .duplicate_of = std::move(*stored.mutable_duplicate_of(i))});
  }
  return true;
}

bool voc::state::Codec<voc::state::v1::DedupeEntry>::Decode(std::string_view bytes,
                                                           voc::state::v1::DedupeEntry* entry) {
  if (!entry->ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || !voc::IsValidUtf8(entry->customer_id())) {
    return false;
  }
  return std::all_of(entry->theme_ids().begin(), entry->theme_ids().end(),
                     [](const std::string& id) { return !id.empty() && voc::IsValidUtf8(id); });
}

namespace voc::enrich {

struct EnrichProbe {
  explicit EnrichProbe(prometheus::Registry& r)
      : decisions(prometheus::BuildCounter()
                      .Name("voc_enrich_decisions_total")
                      .Help("What voc-enrich did with each feedback record.")
                      .Labels({{"service", "voc-enrich"}})
                      .Register(r)),
        emitted(decisions.Add({{"decision", "emitted"}})),
        updates(decisions.Add({{"decision", "update"}})),
        duplicates(decisions.Add({{"decision", "exact_duplicate"}})),
        stale(decisions.Add({{"decision", "stale_revision"}})),
        near_duplicates(decisions.Add({{"decision", "near_duplicate"}})),
        role_changes(decisions.Add({{"decision", "near_duplicate_role_changed"}})),
        roles_unrevisable(decisions.Add({{"decision", "near_duplicate_role_unrevisable"}})),
        unknown_customers(decisions.Add({{"decision", "unknown_customer"}})),
        pii_family(prometheus::BuildCounter()
                       .Name("voc_enrich_pii_redactions_total")
                       .Help("PII spans replaced before text left voc-enrich, by kind.")
                       .Labels({{"service", "voc-enrich"}})
                       .Register(r)),
        pii{&pii_family.Add({{"kind", "email"}}),   &pii_family.Add({{"kind", "phone"}}),
            &pii_family.Add({{"kind", "card"}}),    &pii_family.Add({{"kind", "iban"}}),
            &pii_family.Add({{"kind", "ip"}}),      &pii_family.Add({{"kind", "name"}}),
            &pii_family.Add({{"kind", "address"}}), &pii_family.Add({{"kind", "national_id"}})},
        alerts(prometheus::BuildCounter().Name("voc_enrich_alerts_total").Help("Urgent-feedback alerts emitted.").Labels({{"service", "voc-enrich"}}).Register(r).Add({})) {}
  prometheus::Family<prometheus::Counter>& decisions;
  prometheus::Counter& emitted;
  prometheus::Counter& updates;
  prometheus::Counter& duplicates;
  prometheus::Counter& stale;
  prometheus::Counter& near_duplicates;
  prometheus::Counter& role_changes;
  prometheus::Counter& roles_unrevisable;
  prometheus::Counter& unknown_customers;
  prometheus::Family<prometheus::Counter>& pii_family;
  // By kind, in the order of RecordPii.
  std::array<prometheus::Counter*, 8> pii;
  prometheus::Counter& alerts;
};

namespace {


voc::v1::SentimentLabel ToProto(text::SentimentLabel l) {
  switch (l) {
    case text::SentimentLabel::kNegative: return voc::v1::SENTIMENT_LABEL_NEGATIVE;
    case text::SentimentLabel::kPositive: return voc::v1::SENTIMENT_LABEL_POSITIVE;
    default: return voc::v1::SENTIMENT_LABEL_NEUTRAL;
  }
}

voc::v1::FeedbackType ToProto(text::FeedbackType t) {
  switch (t) {
    case text::FeedbackType::kBugReport: return voc::v1::FEEDBACK_TYPE_BUG_REPORT;
    case text::FeedbackType::kFeatureRequest: return voc::v1::FEEDBACK_TYPE_FEATURE_REQUEST;
    case text::FeedbackType::kPraise: return voc::v1::FEEDBACK_TYPE_PRAISE;
    case text::FeedbackType::kQuestion: return voc::v1::FEEDBACK_TYPE_QUESTION;
    case text::FeedbackType::kComplaint: return voc::v1::FEEDBACK_TYPE_COMPLAINT;
    default: return voc::v1::FEEDBACK_TYPE_UNSPECIFIED;
  }
}

void AddUrgency(uint32_t flags, google::protobuf::RepeatedField<int>* out) {
  if (flags & text::kUrgencyOutage) out->Add(voc::v1::URGENCY_OUTAGE);
  if (flags & text::kUrgencyDataLoss) out->Add(voc::v1::URGENCY_DATA_LOSS);
  if (flags & text::kUrgencySecurity) out->Add(voc::v1::URGENCY_SECURITY);
  if (flags & text::kUrgencyLegalThreat) out->Add(voc::v1::URGENCY_LEGAL_THREAT);
  if (flags & text::kUrgencyChurnThreat) out->Add(voc::v1::URGENCY_CHURN_THREAT);
}

// The content an exact duplicate repeats, hashed; *scratch keeps its capacity between calls.
uint64_t Fingerprint(const voc::v1::Feedback& f, std::string* scratch) {
  std::string& content = *scratch;
  content.assign(f.text());
  content += '\x1f';
  if (f.has_survey()) {
    if (f.survey().has_nps()) AppendDecimal(&content, f.survey().nps());
    else content += '-';
    if (f.survey().has_csat()) AppendDecimal(&content, f.survey().csat());
    else content += '-';
  }
  if (f.has_review()) AppendDecimal(&content, f.review().rating());
  AppendDecimal(&content, f.event_time_ms());
  return Hash64(content);
}

}  // namespace

EnrichProcessor::EnrichProcessor(EnrichOptions options, std::unique_ptr<text::Analyzer> analyzer,
                                 prometheus::Registry& registry)
    : options_(std::move(options)), analyzer_(std::move(analyzer)), probe_(std::make_unique<EnrichProbe>(registry)) {}

EnrichProcessor::~EnrichProcessor() = default;

void EnrichProcessor::Open(runtime::Setup& setup) {
  setup.StateFormat("voc-enrich/2");
  // A feedback id's entries are read again only when the record is redelivered, revised or
  // its role changes: write_once leaves the cache to what every record reads, its
  // customer's texts and profile.
  // Every TTL counts the partition's event time (TellEventClock), so state levels off by
  // the stream's own time in a replay or a backfill as it does live.
  event_clock_ = &setup.event_clock();
  dedupe_ = setup.Store<voc::state::v1::DedupeEntry>({.name = "dedupe",
                                                      .ttl = options_.dedupe_ttl,
                                                      .ttl_in_event_time = true,
                                                      .write_once = true});
  near_duplicates_ = setup.Store<RecentTexts>(
      {.name = "neardup", .ttl = options_.dedupe_ttl, .ttl_in_event_time = true});
  // A role can change only while an earlier text within the horizon may still arrive: the
  // records kept for that live as long as the horizon (at least a day).
  const auto horizon = std::chrono::duration_cast<std::chrono::seconds>(options_.near_duplicate_horizon);
  emitted_ = setup.Store<EmittedRecord>({.name = "emitted",
                                         .ttl = std::max(horizon, std::chrono::seconds(86'400)),
                                         .ttl_in_event_time = true,
                                         .write_once = true});
  customers_ = setup.ReadTable<voc::v1::CustomerProfile>(options_.customers_topic,
                                                         {.name = "customers"},
                                                         options_.customer_catch_up);
}

void EnrichProcessor::TellEventClock(PartitionId partition, int64_t event_time_ms, int64_t now_ms) {
  // voc-ingest refuses event times far ahead of the wall clock, but a record written to
  // voc.feedback by anything else could carry one: it must not expire its partition's state.
  event_clock_->Advance(partition, std::min(event_time_ms, now_ms));
}

void EnrichProcessor::Process(const kafka::Record& record, runtime::Context& ctx) {
  if (!feedback_.ParseFromArray(record.value.data(), static_cast<int>(record.value.size()))) {
    ctx.out.DeadLetter(record, "MALFORMED_PROTOBUF", "not a valid voc.v1.Feedback");
    return;
  }
  if (feedback_.feedback_id().empty() || feedback_.event_time_ms() == 0) {
    ctx.out.DeadLetter(record, "MISSING_FIELD", "Feedback without feedback_id or event_time_ms");
    return;
  }
  TellEventClock(record.partition, feedback_.event_time_ms(), ctx.now_ms);
  const uint64_t fingerprint = Fingerprint(feedback_, &fingerprint_content_);
  const voc::state::v1::DedupeEntry* stored = dedupe_->Get(record.partition, feedback_.feedback_id());
  const bool seen = stored != nullptr;
  if (seen) previous_ = *stored;  // the entry is rewritten below
  uint32_t revision = 1;
  if (seen) {
    if (feedback_.source_revision() < previous_.source_revision()) {
      probe_->stale.Increment();
      return;
    }
    if (feedback_.source_revision() == previous_.source_revision() && fingerprint == previous_.fingerprint()) {
      probe_->duplicates.Increment();
      return;
    }
    revision = previous_.revision() + 1;
    probe_->updates.Increment();
  }

  analyzer_->Analyze(feedback_.text(), &analysis_);
  int words = 0;
  const uint64_t simhash = SimHash(analysis_.redacted_text, &words);
  role_changes_.clear();
  // A revision filed under another customer leaves that customer's texts: those it was the
  // original of get theirs again.
  if (seen && previous_.customer_id() != feedback_.customer_id()) {
    LeaveIndex(record.partition, previous_.customer_id(), feedback_.feedback_id(), &role_changes_);
  }
  std::string duplicate_of = PlaceText(record, simhash, words, &role_changes_);
  if (!duplicate_of.empty()) probe_->near_duplicates.Increment();

  enriched_.Clear();
  enriched_.set_schema_version(1);
  enriched_.set_feedback_id(feedback_.feedback_id());
  enriched_.set_revision(revision);
  enriched_.set_source_revision(feedback_.source_revision());
  enriched_.set_channel(feedback_.channel());
  enriched_.set_source_system(feedback_.source_system());
  enriched_.set_external_id(feedback_.external_id());
  enriched_.set_customer_id(feedback_.customer_id());
  enriched_.set_event_time_ms(feedback_.event_time_ms());
  enriched_.set_redacted_text(analysis_.redacted_text);
  enriched_.set_text_truncated(feedback_.text_truncated());
  enriched_.set_language(analysis_.language);
  enriched_.set_sentiment_scored(analysis_.sentiment_scored);
  enriched_.set_sentiment(analysis_.sentiment_scored ? analysis_.compound : 0.0);
  enriched_.set_sentiment_label(analysis_.sentiment_scored ? ToProto(analysis_.label)
                                                           : voc::v1::SENTIMENT_LABEL_UNSPECIFIED);
  for (const auto& t : analysis_.themes) {
    auto* ref = enriched_.add_themes();
    ref->set_id(t.id);
    ref->set_path(t.path);
    ref->set_evidence(analysis_.redacted_text.data() + t.begin, t.end - t.begin);
    ref->set_clause_sentiment(t.clause_compound);
  }
  enriched_.set_feedback_type(ToProto(analysis_.type));
  AddUrgency(analysis_.urgency, enriched_.mutable_urgency());
  if (feedback_.has_survey()) {
    const auto& s = feedback_.survey();
    if (s.has_nps()) {
      enriched_.set_nps(s.nps());
      enriched_.set_nps_category(s.nps() >= 9   ? voc::v1::NPS_CATEGORY_PROMOTER
                                 : s.nps() >= 7 ? voc::v1::NPS_CATEGORY_PASSIVE
                                                : voc::v1::NPS_CATEGORY_DETRACTOR);
    }
    if (s.has_csat()) enriched_.set_csat(s.csat());
  }
  if (feedback_.has_review()) enriched_.set_rating(feedback_.review().rating());
  if (const voc::v1::CustomerProfile* profile = customers_->Get(feedback_.customer_id())) {
    enriched_.mutable_customer()->CopyFrom(*profile);
    enriched_.set_customer_known(true);
  } else {
    probe_->unknown_customers.Increment();
  }
  enriched_.set_duplicate_of(duplicate_of);
  enriched_.set_taxonomy_version(analyzer_->taxonomy_version());
  if (feedback_.has_dimensions()) *enriched_.mutable_dimensions() = feedback_.dimensions();
  RecordPii(analysis_.pii);
  auto* meta = enriched_.mutable_meta();
  meta->set_service("voc-enrich");
  meta->set_service_version(options_.service_version);
  meta->set_processed_at_ms(ctx.now_ms);
  meta->set_origin_topic(record.topic.data(), record.topic.size());
  meta->set_origin_partition(record.partition.value);
  meta->set_origin_offset(record.offset.value);
  if (feedback_.meta().has_source_timestamp_ms()) {
    meta->set_source_timestamp_ms(feedback_.meta().source_timestamp_ms());
  } else {
    meta->clear_source_timestamp_ms();
  }
  enriched_.SerializeToString(&enriched_bytes_);
  ctx.out.Emit(options_.enriched_topic, enriched_.customer_id(), enriched_bytes_);
  probe_->emitted.Increment();

  EmitMentions(seen ? &previous_ : nullptr, ctx);
  if (analysis_.urgency != text::kUrgencyNone) EmitAlert(ctx);

  voc::state::v1::DedupeEntry& entry = dedupe_->Update(record.partition, feedback_.feedback_id());
  entry.Clear();
  entry.set_source_revision(feedback_.source_revision());
  entry.set_fingerprint(fingerprint);
  entry.set_revision(revision);
  entry.set_event_time_ms(feedback_.event_time_ms());
  entry.set_customer_id(feedback_.customer_id());
  for (const auto& t : enriched_.themes()) entry.add_theme_ids(t.id());
  if (enriched_.themes().empty()) entry.add_theme_ids(kUnthemedId);
  entry.add_theme_ids(kOverallThemeId);
  if (words >= options_.near_duplicate_min_words) emitted_->Put(record.partition, feedback_.feedback_id(), {enriched_bytes_});

  // The texts this one precedes whose original it changed go out again. The list moves
  // out first: EmitNewRole reuses every scratch member.
  std::vector<RoleChange> changes;
  changes.swap(role_changes_);
  for (const auto& c : changes) EmitNewRole(record, c.feedback_id, c.duplicate_of, ctx);
  changes.swap(role_changes_);
}

namespace {

using Texts = RecentTexts::Texts;

// Whether a is before b in the index's order: event time, then feedback id.
bool Before(const RecentTexts::Text& a, int64_t t, const std::string& id) {
  return a.event_time_ms != t ? a.event_time_ms < t : a.feedback_id < id;
}

// Where feedback `id` is in `texts`; texts.size() when it is not there.
size_t IndexOf(const CustomerTexts& texts, const std::string& id) {
  const uint64_t id_hash = Hash64(id);
  size_t i = 0;
  while (i < texts.size() && !(texts[i].id_hash == id_hash && texts[i].feedback_id == id)) ++i;
  return i;
}

}  // namespace

const std::string* EnrichProcessor::OriginalOf(const CustomerTexts& texts, size_t at, uint64_t simhash,
                                               int64_t time) const {
  const int64_t horizon = options_.near_duplicate_horizon.count();
  for (size_t i = 0; i < at; ++i) {
    const auto& e = texts[i];
    // Event times are any int64 a record or a stored index holds: a difference that does
    // not fit is beyond the horizon.
    int64_t apart = 0;
    if (!__builtin_sub_overflow(time, e.event_time_ms, &apart) && apart <= horizon &&
        HammingDistance(e.simhash, simhash) <= options_.near_duplicate_max_distance) {
      return &e.feedback_id;
    }
  }
  return nullptr;
}

void EnrichProcessor::Reassign(const CustomerTexts& texts, RecentTexts& latest, size_t first,
                               std::vector<RoleChange>* changed) const {
  const size_t offset = texts.earlier_size();  // first is never before it: changes reach the latest texts only
  for (size_t i = std::max(first, offset); i < texts.size(); ++i) {
    RecentTexts::Text& text = latest.texts[i - offset];
    const std::string* original = OriginalOf(texts, i, text.simhash, text.event_time_ms);
    const std::string_view now = original ? std::string_view(*original) : std::string_view();
    if (now == text.duplicate_of) continue;
    text.duplicate_of.assign(now);
    changed->push_back({text.feedback_id, text.duplicate_of});
  }
}

std::string EarlierTextsKey(std::string_view customer) {
  std::string key(customer);
  key.push_back('\xff');
  return key;
}

CustomerTexts EnrichProcessor::ReadTexts(PartitionId partition, const std::string& customer) {
  CustomerTexts texts;
  const RecentTexts* latest = near_duplicates_->Get(partition, customer);
  if (latest == nullptr) return texts;
  texts.latest = &latest->texts;
  if (!latest->has_earlier) return texts;
  earlier_key_ = EarlierTextsKey(customer);
  // None: its TTL ran out before the latest entry's (it is written less often).
  const RecentTexts* earlier = near_duplicates_->Get(partition, earlier_key_);
  if (earlier == nullptr) return texts;
  const Texts& e = earlier->texts;
  if (latest->earlier_forgotten > e.size() ||
      (latest->earlier_forgotten < e.size() && !latest->texts.empty() &&
       !Before(e.back(), latest->texts.front().event_time_ms, latest->texts.front().feedback_id))) {
    near_duplicates_->Unreadable(partition, customer);
  }
  texts.earlier = &e;
  texts.earlier_from = latest->earlier_forgotten;
  return texts;
}

RecentTexts& EnrichProcessor::ChangeTexts(PartitionId partition, const std::string& customer, CustomerTexts* texts,
                                          bool unseal) {
  RecentTexts& latest = near_duplicates_->Update(partition, customer);
  texts->latest = &latest.texts;
  if (texts->earlier == nullptr) {
    // Its earlier entry ran out, or it never had one.
    latest.has_earlier = false;
    latest.earlier_forgotten = 0;
  } else if (unseal) {
    latest.texts.insert(latest.texts.begin(), texts->earlier->begin() + static_cast<std::ptrdiff_t>(texts->earlier_from),
                        texts->earlier->end());
    near_duplicates_->Delete(partition, earlier_key_);
    latest.has_earlier = false;
    latest.earlier_forgotten = 0;
    texts->earlier = nullptr;
    texts->earlier_from = 0;
  }
  return latest;
}

void EnrichProcessor::BoundTexts(PartitionId partition, const std::string& customer, CustomerTexts* texts,
                                 RecentTexts& latest) {
  // Forgetting the earliest texts changes no role already given.
  if (texts->size() > options_.near_duplicate_max_entries) {
    size_t excess = texts->size() - options_.near_duplicate_max_entries;
    const size_t from_earlier = std::min(excess, texts->earlier_size());
    texts->earlier_from += from_earlier;
    latest.earlier_forgotten = static_cast<uint32_t>(texts->earlier_from);
    excess -= from_earlier;
    latest.texts.erase(latest.texts.begin(), latest.texts.begin() + static_cast<std::ptrdiff_t>(excess));
  }
  if (texts->earlier != nullptr && texts->earlier_size() == 0) {
    near_duplicates_->Delete(partition, earlier_key_);
    latest.has_earlier = false;
    latest.earlier_forgotten = 0;
    texts->earlier = nullptr;
    texts->earlier_from = 0;
  }
  if (latest.texts.size() <= kLatestTexts) return;
  // The latest texts join the earlier ones, which drop those forgotten.
  if (texts->earlier == nullptr) earlier_key_ = EarlierTextsKey(customer);
  Texts& earlier = near_duplicates_->Update(partition, earlier_key_).texts;
  earlier.erase(earlier.begin(), earlier.begin() + static_cast<std::ptrdiff_t>(texts->earlier_from));
  earlier.insert(earlier.end(), std::make_move_iterator(latest.texts.begin()),
                 std::make_move_iterator(latest.texts.end()));
  latest.texts.clear();
  latest.has_earlier = true;
  latest.earlier_forgotten = 0;
  texts->earlier = &earlier;
  texts->earlier_from = 0;
}

void EnrichProcessor::LeaveIndex(PartitionId partition, const std::string& customer, const std::string& id,
                                 std::vector<RoleChange>* changed) {
  CustomerTexts texts = ReadTexts(partition, customer);
  const size_t at = IndexOf(texts, id);
  if (at == texts.size()) return;  // most short texts are in no index
  RecentTexts& latest = ChangeTexts(partition, customer, &texts, at < texts.earlier_size());
  latest.texts.erase(latest.texts.begin() + static_cast<std::ptrdiff_t>(at - texts.earlier_size()));
  Reassign(texts, latest, at, changed);
  if (texts.size() == 0) {
    near_duplicates_->Delete(partition, customer);
  } else {
    BoundTexts(partition, customer, &texts, latest);  // what moved to the latest entry goes back
  }
}

std::string EnrichProcessor::PlaceText(const kafka::Record& record, uint64_t simhash, int words,
                                       std::vector<RoleChange>* changed) {
  const std::string& customer = feedback_.customer_id();
  const std::string& id = feedback_.feedback_id();
  // Too short to be a near duplicate: only an earlier revision of this text can be there.
  if (words < options_.near_duplicate_min_words) {
    LeaveIndex(record.partition, customer, id, changed);
    return {};
  }
  const int64_t t = feedback_.event_time_ms();
  CustomerTexts texts = ReadTexts(record.partition, customer);
  // Texts from `first` on may have another original once this one is placed.
  const size_t first = IndexOf(texts, id);
  // A text that lands among the earlier texts, or replaces one, moves them to the latest.
  const size_t earlier = texts.earlier_size();
  const bool unseal = first < earlier || (earlier > 0 && !Before(texts[earlier - 1], t, id));
  RecentTexts& latest = ChangeTexts(record.partition, customer, &texts, unseal);
  const size_t offset = texts.earlier_size();
  if (first < texts.size()) latest.texts.erase(latest.texts.begin() + static_cast<std::ptrdiff_t>(first - offset));
  auto pos = std::find_if(latest.texts.begin(), latest.texts.end(), [&](const auto& e) { return !Before(e, t, id); });
  const size_t at = offset + static_cast<size_t>(pos - latest.texts.begin());
  std::string duplicate_of;
  if (const std::string* original = OriginalOf(texts, at, simhash, t)) duplicate_of = *original;
  latest.texts.insert(pos, {.simhash = simhash, .id_hash = Hash64(id), .event_time_ms = t, .feedback_id = id,
                            .duplicate_of = duplicate_of});
  Reassign(texts, latest, std::min(first, at + 1), changed);
  BoundTexts(record.partition, customer, &texts, latest);
  return duplicate_of;
}

void EnrichProcessor::EmitNewRole(const kafka::Record& record, const std::string& feedback_id,
                                  const std::string& duplicate_of, runtime::Context& ctx) {
  const EmittedRecord* emitted = emitted_->Get(record.partition, feedback_id);
  const voc::state::v1::DedupeEntry* stored = dedupe_->Get(record.partition, feedback_id);
  if (emitted == nullptr || stored == nullptr ||
      !enriched_.ParseFromArray(emitted->bytes.data(), static_cast<int>(emitted->bytes.size())) ||
      enriched_.revision() != stored->revision()) {
    probe_->roles_unrevisable.Increment();  // expired, or not the revision last emitted
    return;
  }
  const bool was_duplicate = !enriched_.duplicate_of().empty();
  enriched_.set_revision(stored->revision() + 1);
  enriched_.set_duplicate_of(duplicate_of);
  enriched_.set_role_changed(true);
  enriched_.mutable_meta()->set_processed_at_ms(ctx.now_ms);
  enriched_.SerializeToString(&enriched_bytes_);
  ctx.out.Emit(options_.enriched_topic, enriched_.customer_id(), enriched_bytes_);
  // The aggregates count near duplicates apart: a mention changes only with the role's kind.
  if (was_duplicate != !duplicate_of.empty()) EmitMentions(nullptr, ctx);
  probe_->role_changes.Increment();
  dedupe_->Update(record.partition, feedback_id).set_revision(enriched_.revision());
  emitted_->Put(record.partition, feedback_id, {enriched_bytes_});
}

void EnrichProcessor::RecordPii(const text::PiiCounts& counts) {
  auto* pii = enriched_.mutable_pii_redactions();
  pii->set_email(counts.email);
  pii->set_phone(counts.phone);
  pii->set_card(counts.card);
  pii->set_iban(counts.iban);
  pii->set_ip(counts.ip);
  pii->set_name(counts.name);
  pii->set_address(counts.address);
  pii->set_national_id(counts.national_id);
  const std::array<uint32_t, 8> by_kind = {counts.email, counts.phone, counts.card,    counts.iban,
                                           counts.ip,    counts.name,  counts.address, counts.national_id};
  for (size_t k = 0; k < by_kind.size(); ++k) {
    if (by_kind[k] > 0) probe_->pii[k]->Increment(by_kind[k]);
  }
}

void EnrichProcessor::EmitMentions(const voc::state::v1::DedupeEntry* previous, runtime::Context& ctx) {
  mention_.Clear();
  mention_.set_schema_version(1);
  mention_.set_feedback_id(enriched_.feedback_id());
  mention_.set_revision(enriched_.revision());
  mention_.set_channel(enriched_.channel());
  mention_.set_customer_id(enriched_.customer_id());
  mention_.set_event_time_ms(enriched_.event_time_ms());
  if (enriched_.has_nps()) mention_.set_nps(enriched_.nps());
  if (enriched_.has_csat()) mention_.set_csat(enriched_.csat());
  mention_.set_arr(enriched_.customer().arr());
  mention_.set_segment(enriched_.customer().segment());
  mention_.set_plan(enriched_.customer().plan());
  mention_.set_app_version(enriched_.dimensions().app_version());
  mention_.set_platform(enriched_.dimensions().platform());
  mention_.set_country(enriched_.dimensions().country());
  mention_.set_taxonomy_version(enriched_.taxonomy_version());
  mention_.set_near_duplicate(!enriched_.duplicate_of().empty());
  mention_.set_feedback_type(enriched_.feedback_type());
  *mention_.mutable_meta() = enriched_.meta();
  auto emit = [&](const std::string& id, const std::string& path, bool retracted, double sentiment) {
    mention_.set_theme_id(id);
    mention_.set_theme_path(path);
    mention_.set_retracted(retracted);
    mention_.set_sentiment_scored(enriched_.sentiment_scored() && !retracted);
    mention_.set_sentiment(enriched_.sentiment_scored() ? sentiment : 0.0);
    mention_.SerializeToString(&bytes_);
    ctx.out.Emit(options_.mentions_topic, id, bytes_);
  };
  for (const auto& t : enriched_.themes()) emit(t.id(), t.path(), false, t.clause_sentiment());
  if (enriched_.themes().empty()) emit(kUnthemedId, kUnthemedPath, false, enriched_.sentiment());
  // The overall mention: the feedback once, with its themes for their driver impact.
  for (const auto& t : enriched_.themes()) mention_.add_themes(t.id());
  if (enriched_.themes().empty()) mention_.add_themes(kUnthemedId);
  // ... and its phrases, for emerging topics.
  if (options_.phrases_per_feedback > 0) text::ExtractPhrases(enriched_.redacted_text(), &phrases_, options_.phrases_per_feedback);
  for (const auto& phrase : phrases_) mention_.add_phrases(phrase);
  emit(kOverallThemeId, kOverallThemePath, false, enriched_.sentiment());
  mention_.clear_themes();
  mention_.clear_phrases();
  if (previous == nullptr) return;
  // A retraction names the customer whose contribution it takes back; when the customer
  // changed, every theme moves, so each old one is retracted there. No customer ("") is
  // one too: its texts and its account are kept like any other's.
  const bool moved = previous->customer_id() != enriched_.customer_id();
  if (moved) mention_.set_customer_id(previous->customer_id());
  for (const auto& old_id : previous->theme_ids()) {
    bool kept = old_id == kUnthemedId ? enriched_.themes().empty() : old_id == kOverallThemeId;
    for (const auto& t : enriched_.themes()) kept |= t.id() == old_id;
    if (!kept || moved) emit(old_id, "", true, 0.0);
  }
}

void EnrichProcessor::EmitAlert(runtime::Context& ctx) {
  alert_.Clear();
  alert_.set_schema_version(1);
  alert_.set_alert_id(HashHex128({"urgent", enriched_.feedback_id(), std::to_string(enriched_.revision())}));
  alert_.set_kind(voc::v1::Alert::KIND_URGENT_FEEDBACK);
  alert_.set_feedback_id(enriched_.feedback_id());
  alert_.set_revision(enriched_.revision());
  *alert_.mutable_urgency() = enriched_.urgency();
  alert_.set_customer_id(enriched_.customer_id());
  alert_.set_segment(enriched_.customer().segment());
  alert_.set_arr(enriched_.customer().arr());
  alert_.set_channel(enriched_.channel());
  if (!enriched_.themes().empty()) alert_.set_theme_id(enriched_.themes(0).id());
  // A proto3 string must stay valid UTF-8, or no consumer can parse the alert.
  const std::string& text = enriched_.redacted_text();
  alert_.set_summary(text.substr(0, Utf8Prefix(text, 280)));
  alert_.set_event_time_ms(enriched_.event_time_ms());
  *alert_.mutable_meta() = enriched_.meta();
  alert_.SerializeToString(&bytes_);
  ctx.out.Emit(options_.alerts_topic, enriched_.customer_id(), bytes_);
  probe_->alerts.Increment();
}

}  // namespace voc::enrich
