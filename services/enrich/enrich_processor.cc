#include "services/enrich/enrich_processor.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/core/decimal.h"
#include "common/core/hash.h"
#include "common/core/utf8.h"
#include "services/enrich/simhash.h"

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
        unknown_customers(decisions.Add({{"decision", "unknown_customer"}})),
        pii(prometheus::BuildCounter()
                .Name("voc_enrich_pii_redactions_total")
                .Help("PII spans replaced before text left voc-enrich.")
                .Labels({{"service", "voc-enrich"}})
                .Register(r)
                .Add({})),
        alerts(prometheus::BuildCounter().Name("voc_enrich_alerts_total").Help("Urgent-feedback alerts emitted.").Labels({{"service", "voc-enrich"}}).Register(r).Add({})) {}
  prometheus::Family<prometheus::Counter>& decisions;
  prometheus::Counter& emitted;
  prometheus::Counter& updates;
  prometheus::Counter& duplicates;
  prometheus::Counter& stale;
  prometheus::Counter& near_duplicates;
  prometheus::Counter& unknown_customers;
  prometheus::Counter& pii;
  prometheus::Counter& alerts;
};

namespace {

constexpr char kUnthemedId[] = "other";
constexpr char kUnthemedPath[] = "Other";

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

// Stored state is read only when it holds together: it parses, and what goes back out in
// topic strings (theme ids, customer and feedback ids) is UTF-8.
bool ReadDedupeEntry(const std::string& value, voc::state::v1::DedupeEntry* entry) {
  if (!entry->ParseFromString(value) || !IsValidUtf8(entry->customer_id())) return false;
  for (const auto& id : entry->theme_ids()) {
    if (id.empty() || !IsValidUtf8(id)) return false;
  }
  return true;
}

bool ReadNearDuplicateIndex(const std::string& value, voc::state::v1::NearDuplicateIndex* index) {
  if (!index->ParseFromString(value) || index->simhash_size() != index->event_time_ms_size() ||
      index->simhash_size() != index->feedback_id_size()) {
    return false;
  }
  for (const auto& id : index->feedback_id()) {
    if (!IsValidUtf8(id)) return false;
  }
  return true;
}

}  // namespace

EnrichProcessor::EnrichProcessor(EnrichOptions options, std::unique_ptr<text::Analyzer> analyzer,
                                 prometheus::Registry& registry)
    : options_(std::move(options)), analyzer_(std::move(analyzer)), probe_(std::make_unique<EnrichProbe>(registry)) {}

EnrichProcessor::~EnrichProcessor() = default;

std::vector<state::StoreSpec> EnrichProcessor::Stores() const {
  return {{.name = "dedupe", .ttl = options_.dedupe_ttl, .point_lookups = true},
          {.name = "neardup", .ttl = options_.dedupe_ttl, .point_lookups = true},
          {.name = "customers", .point_lookups = true}};
}

void EnrichProcessor::AttachStore(state::StateStore* store) {
  store_ = store;
  customers_ = std::make_unique<CustomerTable>(options_.kafka, options_.customers_topic,
                                               options_.consumer_properties, kCustomers);
}

void EnrichProcessor::Tick() {
  if (!customers_) return;
  Status s = customers_->Follow(store_, std::chrono::milliseconds(500));
  if (!s.ok()) spdlog::warn("voc-enrich: customer table: {}", s.ToString());
}

bool EnrichProcessor::Ready() const {
  if (!customers_) return false;
  if (customers_->caught_up()) return true;
  return std::chrono::steady_clock::now() - started_ > options_.customer_catch_up;
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
  const uint64_t fingerprint = Fingerprint(feedback_, &fingerprint_content_);
  auto found = ctx.txn->Get(kDedupe, record.partition, feedback_.feedback_id(), &value_);
  if (!found.ok()) throw runtime::FatalError(found.status().ToString());  // the store failed, not the record
  const bool seen = *found;
  if (seen && !ReadDedupeEntry(value_, &previous_)) {  // never guess from a value that cannot be read
    throw runtime::FatalError("voc-enrich: the stored dedupe entry of feedback id '" +
                              feedback_.feedback_id().substr(0, Utf8Prefix(feedback_.feedback_id(), 64)) +
                              "' in partition " + std::to_string(record.partition.value) +
                              " cannot be read: the state store is corrupt or of another format");
  }
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
  std::string duplicate_of = NearDuplicateOf(record, ctx, simhash, words);

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
  if (const voc::v1::CustomerProfile* profile = customers_->Lookup(store_, feedback_.customer_id())) {
    enriched_.mutable_customer()->CopyFrom(*profile);
    enriched_.set_customer_known(true);
  } else {
    probe_->unknown_customers.Increment();
  }
  enriched_.set_duplicate_of(duplicate_of);
  enriched_.set_taxonomy_version(analyzer_->taxonomy_version());
  auto* pii = enriched_.mutable_pii_redactions();
  pii->set_email(analysis_.pii.email);
  pii->set_phone(analysis_.pii.phone);
  pii->set_card(analysis_.pii.card);
  pii->set_iban(analysis_.pii.iban);
  pii->set_ip(analysis_.pii.ip);
  probe_->pii.Increment(analysis_.pii.total());
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
  enriched_.SerializeToString(&bytes_);
  ctx.out.Emit(options_.enriched_topic, enriched_.customer_id(), bytes_);
  probe_->emitted.Increment();

  EmitMentions(seen ? &previous_ : nullptr, ctx);
  if (analysis_.urgency != text::kUrgencyNone) EmitAlert(ctx);

  entry_.Clear();
  entry_.set_source_revision(feedback_.source_revision());
  entry_.set_fingerprint(fingerprint);
  entry_.set_revision(revision);
  entry_.set_event_time_ms(feedback_.event_time_ms());
  entry_.set_customer_id(feedback_.customer_id());
  for (const auto& t : enriched_.themes()) entry_.add_theme_ids(t.id());
  if (enriched_.themes().empty()) entry_.add_theme_ids(kUnthemedId);
  entry_.SerializeToString(&value_);
  ctx.txn->Put(kDedupe, record.partition, feedback_.feedback_id(), value_);
}

EnrichProcessor::CachedIndex& EnrichProcessor::IndexOf(PartitionId partition, const std::string& customer_id,
                                                      runtime::Context& ctx) {
  auto& indexes = indexes_[partition.value];
  auto it = indexes.find(customer_id);
  if (it == indexes.end()) {
    it = indexes.try_emplace(customer_id).first;
    ++cached_indexes_;
    auto found = ctx.txn->Get(kNearDuplicates, partition, customer_id, &value_);
    if (!found.ok()) throw runtime::FatalError(found.status().ToString());
    if (*found && !ReadNearDuplicateIndex(value_, &stored_index_)) {
      indexes.erase(it);
      --cached_indexes_;
      throw runtime::FatalError("voc-enrich: the stored neardup index of a customer in partition " +
                                std::to_string(partition.value) +
                                " cannot be read: the state store is corrupt or of another format");
    }
    if (*found) {
      auto& texts = it->second.texts;
      for (int i = 0; i < stored_index_.simhash_size(); ++i) {
        texts.push_back({.simhash = stored_index_.simhash(i),
                         .id_hash = Hash64(stored_index_.feedback_id(i)),
                         .event_time_ms = stored_index_.event_time_ms(i),
                         .feedback_id = std::move(*stored_index_.mutable_feedback_id(i))});
      }
    }
  }
  if (!it->second.changed) changed_indexes_.emplace_back(partition.value, &*it);
  it->second.changed = true;
  return it->second;
}

std::string EnrichProcessor::NearDuplicateOf(const kafka::Record& record, runtime::Context& ctx, uint64_t simhash,
                                             int words) {
  if (words < options_.near_duplicate_min_words) return {};
  auto& texts = IndexOf(record.partition, feedback_.customer_id(), ctx).texts;
  const std::string& id = feedback_.feedback_id();
  const uint64_t id_hash = Hash64(id);
  const int64_t t = feedback_.event_time_ms();
  const int64_t horizon = options_.near_duplicate_horizon.count();
  const RecentText* original = nullptr;
  int best = options_.near_duplicate_max_distance + 1;
  for (auto e = texts.begin(); e != texts.end();) {
    if (e->id_hash == id_hash && e->feedback_id == id) {  // our own earlier revision
      e = texts.erase(e);
      continue;
    }
    const int d = HammingDistance(e->simhash, simhash);
    // The earliest-seen original wins ties, so every repeat points at the same one.
    if (d < best && std::abs(e->event_time_ms - t) <= horizon) {
      best = d;
      original = &*e;
    }
    ++e;
  }
  std::string duplicate_of = original ? original->feedback_id : std::string();
  if (original) probe_->near_duplicates.Increment();
  texts.push_back({.simhash = simhash, .id_hash = id_hash, .event_time_ms = t, .feedback_id = id});
  if (texts.size() > options_.near_duplicate_max_entries) {
    texts.erase(texts.begin(), texts.end() - static_cast<std::ptrdiff_t>(options_.near_duplicate_max_entries));
  }
  return duplicate_of;
}

void EnrichProcessor::BeforeCommit(runtime::Context& ctx) {
  for (auto [partition, entry] : changed_indexes_) {
    stored_index_.Clear();
    for (const auto& text : entry->second.texts) {
      stored_index_.add_simhash(text.simhash);
      stored_index_.add_event_time_ms(text.event_time_ms);
      stored_index_.add_feedback_id(text.feedback_id);
    }
    stored_index_.SerializeToString(&value_);
    ctx.txn->Put(kNearDuplicates, PartitionId(partition), entry->first, value_);
    entry->second.changed = false;
  }
  changed_indexes_.clear();
}

void EnrichProcessor::AfterCommit() {
  if (cached_indexes_ > options_.near_duplicate_cache_entries) {
    indexes_.clear();
    cached_indexes_ = 0;
  }
}

void EnrichProcessor::OnRevoked(const std::vector<TopicPartition>& partitions) {
  for (const auto& tp : partitions) {
    if (auto it = indexes_.find(tp.partition.value); it != indexes_.end()) {
      cached_indexes_ -= it->second.size();
      indexes_.erase(it);
    }
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
  if (previous == nullptr) return;
  // A retraction names the customer whose contribution it takes back; when the customer
  // changed, every theme moves, so each old one is retracted there.
  const bool moved = !previous->customer_id().empty() && previous->customer_id() != enriched_.customer_id();
  if (moved) mention_.set_customer_id(previous->customer_id());
  for (const auto& old_id : previous->theme_ids()) {
    bool kept = old_id == kUnthemedId ? enriched_.themes().empty() : false;
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
