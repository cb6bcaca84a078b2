#include "services/aggregate/aggregate_processor.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <cinttypes>
#include <cmath>
#include <cstring>
#include <cstdio>

namespace voc::aggregate {

struct AggregateProbe {
  explicit AggregateProbe(prometheus::Registry& r)
      : mentions(prometheus::BuildCounter()
                     .Name("voc_aggregate_mentions_total")
                     .Help("What voc-aggregate did with each theme mention.")
                     .Labels({{"service", "voc-aggregate"}}).Register(r)),
        applied(mentions.Add({{"decision", "applied"}})),
        replaced(mentions.Add({{"decision", "replaced_revision"}})),
        retracted(mentions.Add({{"decision", "retracted"}})),
        redelivered(mentions.Add({{"decision", "redelivered_or_stale"}})),
        late(mentions.Add({{"decision", "late_correction"}})),
        emitted(prometheus::BuildCounter()
                    .Name("voc_aggregate_window_emits_total")
                    .Help("Window upserts emitted to the aggregates topic.")
                    .Labels({{"service", "voc-aggregate"}}).Register(r)
                    .Add({})),
        closed(prometheus::BuildCounter().Name("voc_aggregate_windows_closed_total").Help("Windows closed by the watermark.").Labels({{"service", "voc-aggregate"}}).Register(r).Add({})) {}
  prometheus::Family<prometheus::Counter>& mentions;
  prometheus::Counter& applied;
  prometheus::Counter& replaced;
  prometheus::Counter& retracted;
  prometheus::Counter& redelivered;
  prometheus::Counter& late;
  prometheus::Counter& emitted;
  prometheus::Counter& closed;
};

namespace {

constexpr char kSep = '\x1f';
constexpr char kWatermarkKey[] = "watermark";

const char* ChannelName(int channel) {
  switch (channel) {
    case voc::v1::CHANNEL_TICKET: return "ticket";
    case voc::v1::CHANNEL_SURVEY: return "survey";
    case voc::v1::CHANNEL_REVIEW: return "review";
    default: return "all";
  }
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// Open windows sort by the time they close: zero-padded end, then the window key.
std::string OpenKey(int64_t end_ms, const std::string& window_key) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020" PRId64, end_ms);
  return std::string(buf) + kSep + window_key;
}

}  // namespace

std::string WindowGroup(int64_t size_ms, int64_t start_ms, std::string_view theme_id) {
  std::string key = std::to_string(size_ms);
  key += '|';
  key += std::to_string(start_ms);
  key += '|';
  key += theme_id;
  return key;
}

std::string WindowKey(int64_t size_ms, int64_t start_ms, std::string_view theme_id, std::string_view channel) {
  std::string key = WindowGroup(size_ms, start_ms, theme_id);
  key += '|';
  key += channel;
  return key;
}

AggregateProcessor::AggregateProcessor(AggregateOptions options, prometheus::Registry& registry)
    : options_(std::move(options)), probe_(std::make_unique<AggregateProbe>(registry)) {}

AggregateProcessor::~AggregateProcessor() = default;

// Contributions, windows and customer counts are only ever needed again for data within
// the retention behind the watermark; one not written for twice that long is dropped, so
// state stays bounded. (Their age is wall time: the factor 2 covers a watermark that lags
// the wall clock, as in a replay, by up to one retention.)
std::vector<state::StoreSpec> AggregateProcessor::Stores() const {
  const auto ttl = std::max(std::chrono::seconds(1), std::chrono::duration_cast<std::chrono::seconds>(2 * options_.retention));
  return {{"contrib", ttl}, {"window", ttl}, {"customer", ttl}, {"dirty", {}}, {"open", {}}, {"meta", {}}};
}

void AggregateProcessor::Load(PartitionId partition) {
  auto& open = open_[partition.value];
  open.clear();
  store_->Scan(kOpen, partition, "", [&](std::string_view key, std::string_view) {
           open.emplace(std::strtoll(std::string(key.substr(0, 20)).c_str(), nullptr, 10), std::string(key.substr(21)));
           return true;
         }).ok();
  auto& dirty = dirty_[partition.value];
  dirty.clear();
  store_->Scan(kDirty, partition, "", [&](std::string_view key, std::string_view) {
           dirty.emplace(key);
           return true;
         }).ok();
  std::string value;
  int64_t watermark = 0;
  auto found = store_->Get(kMeta, partition, kWatermarkKey, &value);
  if (found.ok() && *found && value.size() == 8) std::memcpy(&watermark, value.data(), 8);
  watermark_[partition.value] = watermark;
}

void AggregateProcessor::OnAssigned(const std::vector<TopicPartition>& partitions) {
  for (const auto& tp : partitions) Load(tp.partition);
}

void AggregateProcessor::OnRevoked(const std::vector<TopicPartition>& partitions) {
  for (const auto& tp : partitions) {
    dirty_.erase(tp.partition.value);
    watermark_.erase(tp.partition.value);
    open_.erase(tp.partition.value);
    if (auto it = cache_.find(tp.partition.value); it != cache_.end()) {
      cached_entries_ -= it->second.windows.size() + it->second.customers.size();
      cache_.erase(it);
    }
  }
}

AggregateProcessor::WindowEntry& AggregateProcessor::Window(PartitionId partition, const std::string& key,
                                                            runtime::Context& ctx, bool* created) {
  *created = false;
  auto [it, inserted] = cache_[partition.value].windows.try_emplace(key);
  if (inserted) {
    ++cached_entries_;
    auto found = ctx.txn->Get(kWindow, partition, key, &value_);
    if (!found.ok()) throw runtime::FatalError(found.status().ToString());
    if (*found) {
      it->second.state.ParseFromString(value_);
    } else {
      *created = true;
    }
  }
  return *it;
}

AggregateProcessor::CustomerEntry& AggregateProcessor::Customer(PartitionId partition, const std::string& key,
                                                                runtime::Context& ctx) {
  auto [it, inserted] = cache_[partition.value].customers.try_emplace(key);
  if (inserted) {
    ++cached_entries_;
    auto found = ctx.txn->Get(kCustomer, partition, key, &value_);
    if (!found.ok()) throw runtime::FatalError(found.status().ToString());
    if (*found) it->second.entry.ParseFromString(value_);
    it->second.entry.mutable_channel_counts()->Resize(4, 0);
  }
  return *it;
}

void AggregateProcessor::Modified(PartitionId partition, WindowEntry& entry) {
  if (!entry.second.modified) modified_windows_.emplace_back(partition.value, &entry);
  entry.second.modified = true;
}

// A window touched again before the next emission is already marked: the flag spares the
// set lookup on every mention.
void AggregateProcessor::MarkDirty(PartitionId partition, WindowEntry& entry, runtime::Context& ctx) {
  if (entry.second.dirty) return;
  entry.second.dirty = true;
  if (dirty_[partition.value].insert(entry.first).second) ctx.txn->Put(kDirty, partition, entry.first, "");
}

void AggregateProcessor::Apply(PartitionId partition, const voc::state::v1::Contribution& c,
                               const std::string& feedback_id, const std::string& theme_id,
                               const std::string& theme_path, int sign, runtime::Context& ctx) {
  const int64_t watermark = watermark_[partition.value];
  for (auto size : options_.window_sizes) {
    const int64_t size_ms = size.count();
    const int64_t start = FloorDiv(c.event_time_ms(), size_ms) * size_ms;
    const std::string group = WindowGroup(size_ms, start, theme_id);
    // Unique customers and the ARR they carry: one count per channel per customer, shared
    // by the channel's window and the rollup.
    const std::string customer_key = group + kSep + c.customer_id();
    CustomerEntry& customer_entry = Customer(partition, customer_key, ctx);
    CachedCustomer& customer = customer_entry.second;
    auto* counts = customer.entry.mutable_channel_counts();
    if (sign > 0 && counts->Get(0) == 0) customer.entry.set_arr(c.arr());
    if (!customer.modified) modified_customers_.emplace_back(partition.value, &customer_entry);
    customer.modified = true;
    for (int channel : {c.channel(), 0}) {
      std::string key = group + '|' + ChannelName(channel);
      bool created = false;
      WindowEntry& entry = Window(partition, key, ctx, &created);
      auto& s = entry.second.state;
      if (created) {
        s.set_theme_id(theme_id);
        s.set_channel(channel);
        s.set_window_start_ms(start);
        s.set_window_size_ms(size_ms);
        const int64_t end = start + size_ms;
        if (end + options_.allowed_lateness.count() <= watermark) {
          s.set_closed(true);  // born late: it never was open
        } else {
          ctx.txn->Put(kOpen, partition, OpenKey(end, key), "");
          open_[partition.value].emplace(end, key);
        }
      }
      if (s.theme_path().empty() && !theme_path.empty()) s.set_theme_path(theme_path);
      if (s.closed()) s.set_correction(true);
      s.set_volume(s.volume() + sign);
      if (!c.near_duplicate()) s.set_unique_volume(s.unique_volume() + sign);
      if (c.sentiment_scored()) {
        s.set_sentiment_count(s.sentiment_count() + sign);
        s.set_sentiment_sum_micros(s.sentiment_sum_micros() + sign * c.sentiment_micros());
        if (c.sentiment_micros() >= 50'000) s.set_positive(s.positive() + sign);
        else if (c.sentiment_micros() <= -50'000) s.set_negative(s.negative() + sign);
        else s.set_neutral(s.neutral() + sign);
      }
      if (c.nps() >= 0) {
        s.set_nps_responses(s.nps_responses() + sign);
        if (c.nps() >= 9) s.set_promoters(s.promoters() + sign);
        else if (c.nps() >= 7) s.set_passives(s.passives() + sign);
        else s.set_detractors(s.detractors() + sign);
      }
      if (c.csat() > 0) {
        s.set_csat_responses(s.csat_responses() + sign);
        s.set_csat_sum(s.csat_sum() + sign * c.csat());
      }
      if (sign > 0 && c.source_timestamp_ms() > s.last_source_timestamp_ms()) {
        s.set_last_source_timestamp_ms(c.source_timestamp_ms());
      }
      // Examples: the smallest ids, an exact prefix kept without an index of every member.
      // It covers every member while its size equals the volume (one id per feedback).
      auto* ex = s.mutable_examples();
      const auto at = std::lower_bound(ex->begin(), ex->end(), feedback_id) - ex->begin();
      const bool present = at < ex->size() && ex->Get(static_cast<int>(at)) == feedback_id;
      const size_t depth = 2 * options_.examples;
      const int64_t volume_before = s.volume() - sign;
      if (sign > 0 && !present &&
          (at < ex->size() || (ex->size() == volume_before && static_cast<size_t>(ex->size()) < depth))) {
        ex->Add(std::string(feedback_id));  // may reallocate: positions by index only
        std::rotate(ex->begin() + at, ex->end() - 1, ex->end());
        if (static_cast<size_t>(ex->size()) > depth) ex->RemoveLast();
      } else if (sign < 0 && present) {
        ex->erase(ex->begin() + at);
      }
      const int64_t before = counts->Get(channel);
      counts->Set(channel, before + sign);
      if (before == 0 && sign > 0) {
        s.set_unique_customers(s.unique_customers() + 1);
        s.set_arr_affected(s.arr_affected() + customer.entry.arr());
      } else if (before == 1 && sign < 0) {
        s.set_unique_customers(s.unique_customers() - 1);
        s.set_arr_affected(s.arr_affected() - customer.entry.arr());
      }
      Modified(partition, entry);
      MarkDirty(partition, entry, ctx);
    }
  }
}

void AggregateProcessor::Process(const kafka::Record& record, runtime::Context& ctx) {
  if (!mention_.ParseFromArray(record.value.data(), static_cast<int>(record.value.size()))) {
    ctx.out.DeadLetter(record, "MALFORMED_PROTOBUF", "not a valid voc.v1.ThemeMention");
    return;
  }
  if (mention_.theme_id().empty() || mention_.feedback_id().empty() || mention_.revision() == 0 ||
      mention_.event_time_ms() <= 0) {
    ctx.out.DeadLetter(record, "MISSING_FIELD", "ThemeMention without theme_id, feedback_id, revision or event time");
    return;
  }
  const PartitionId p = record.partition;
  int64_t& watermark = watermark_[p.value];
  if (mention_.event_time_ms() + options_.retention.count() < watermark) {
    ctx.out.DeadLetter(record, "TOO_LATE",
                       "event time is older than the retention (aggregate.retention) behind the watermark");
    return;
  }
  const std::string contrib_key = mention_.theme_id() + kSep + mention_.feedback_id();
  auto found = ctx.txn->Get(kContrib, p, contrib_key, &value_);
  if (!found.ok()) throw runtime::FatalError(found.status().ToString());
  const bool had = *found && previous_.ParseFromString(value_);
  if (had && previous_.revision() >= mention_.revision()) {
    probe_->redelivered.Increment();  // effectively once: this revision is already counted
    return;
  }
  if (had && !previous_.retracted()) {
    Apply(p, previous_, mention_.feedback_id(), mention_.theme_id(), "", -1, ctx);
    probe_->replaced.Increment();
  }
  contribution_.Clear();
  contribution_.set_revision(mention_.revision());
  contribution_.set_retracted(mention_.retracted());
  contribution_.set_event_time_ms(mention_.event_time_ms());
  contribution_.set_channel(mention_.channel());
  contribution_.set_customer_id(mention_.customer_id());
  contribution_.set_sentiment_scored(mention_.sentiment_scored());
  contribution_.set_sentiment_micros(static_cast<int64_t>(std::llround(mention_.sentiment() * 1e6)));
  contribution_.set_nps(mention_.has_nps() ? mention_.nps() : -1);
  contribution_.set_csat(mention_.has_csat() ? mention_.csat() : 0);
  contribution_.set_arr(mention_.arr());
  contribution_.set_near_duplicate(mention_.near_duplicate());
  contribution_.set_source_timestamp_ms(mention_.meta().source_timestamp_ms());
  if (mention_.retracted()) {
    probe_->retracted.Increment();
  } else {
    Apply(p, contribution_, mention_.feedback_id(), mention_.theme_id(), mention_.theme_path(), +1, ctx);
    probe_->applied.Increment();
    if (mention_.event_time_ms() > watermark) {
      watermark = mention_.event_time_ms();
      watermark_changed_.insert(p.value);
    }
  }
  contribution_.SerializeToString(&value_);
  ctx.txn->Put(kContrib, p, contrib_key, value_);
}

void AggregateProcessor::CloseWindows(PartitionId partition, int64_t watermark, runtime::Context& ctx) {
  const int64_t lateness = options_.allowed_lateness.count();
  auto& open = open_[partition.value];
  while (!open.empty() && open.begin()->first + lateness <= watermark) {
    const auto [end, window_key] = *open.begin();
    open.erase(open.begin());
    bool created = false;
    WindowEntry& entry = Window(partition, window_key, ctx, &created);
    ctx.txn->Delete(kOpen, partition, OpenKey(end, window_key));
    if (created) continue;  // cannot happen: an open window has state
    entry.second.state.set_closed(true);
    Modified(partition, entry);
    MarkDirty(partition, entry, ctx);
    probe_->closed.Increment();
  }
}

void AggregateProcessor::EmitWindow(PartitionId partition, const std::string& key, runtime::Context& ctx) {
  bool created = false;
  WindowEntry& entry = Window(partition, key, ctx, &created);
  const auto& s = entry.second.state;
  entry.second.dirty = false;  // the caller takes it out of dirty_
  if (created) return;
  aggregate_.Clear();
  aggregate_.set_schema_version(1);
  aggregate_.set_theme_id(s.theme_id());
  aggregate_.set_theme_path(s.theme_path());
  aggregate_.set_channel(static_cast<voc::v1::Channel>(s.channel()));
  aggregate_.set_window_start_ms(s.window_start_ms());
  aggregate_.set_window_size_ms(s.window_size_ms());
  aggregate_.set_volume(s.volume());
  aggregate_.set_unique_volume(s.unique_volume());
  aggregate_.set_unique_customers(s.unique_customers());
  aggregate_.set_sentiment_count(s.sentiment_count());
  aggregate_.set_sentiment_mean(s.sentiment_count() > 0 ? static_cast<double>(s.sentiment_sum_micros()) / 1e6 /
                                                              static_cast<double>(s.sentiment_count())
                                                        : 0.0);
  aggregate_.set_negative(s.negative());
  aggregate_.set_neutral(s.neutral());
  aggregate_.set_positive(s.positive());
  aggregate_.set_nps_responses(s.nps_responses());
  aggregate_.set_promoters(s.promoters());
  aggregate_.set_passives(s.passives());
  aggregate_.set_detractors(s.detractors());
  aggregate_.set_nps(s.nps_responses() > 0 ? 100.0 * static_cast<double>(s.promoters() - s.detractors()) /
                                                 static_cast<double>(s.nps_responses())
                                           : 0.0);
  aggregate_.set_csat_responses(s.csat_responses());
  aggregate_.set_csat_mean(s.csat_responses() > 0
                               ? static_cast<double>(s.csat_sum()) / static_cast<double>(s.csat_responses())
                               : 0.0);
  aggregate_.set_arr_affected(s.arr_affected());
  if (static_cast<size_t>(s.examples_size()) < options_.examples && s.examples_size() < s.volume()) {
    RefillExamples(partition, &entry.second.state, ctx);
    Modified(partition, entry);
  }
  for (int i = 0; i < s.examples_size() && static_cast<size_t>(i) < options_.examples; ++i) {
    aggregate_.add_example_feedback_ids(s.examples(i));
  }
  aggregate_.set_window_closed(s.closed());
  aggregate_.set_correction(s.correction());
  auto* meta = aggregate_.mutable_meta();
  meta->set_service("voc-aggregate");
  meta->set_service_version(options_.service_version);
  meta->set_processed_at_ms(ctx.now_ms);
  meta->set_source_timestamp_ms(s.last_source_timestamp_ms());
  aggregate_.SerializeToString(&bytes_);
  ctx.out.Emit(options_.aggregates_topic, key, bytes_);
  probe_->emitted.Increment();
}

// A removed example leaves a gap only the window's other contributions can fill: scan the
// theme's contributions (in feedback id order) for the smallest that fall in the window.
void AggregateProcessor::RefillExamples(PartitionId partition, voc::state::v1::WindowState* s, runtime::Context& ctx) {
  s->clear_examples();
  const std::string prefix = s->theme_id() + kSep;
  const int64_t end = s->window_start_ms() + s->window_size_ms();
  voc::state::v1::Contribution c;
  Status scan = ctx.txn->Scan(kContrib, partition, prefix, [&](std::string_view key, std::string_view value) {
    if (!c.ParseFromArray(value.data(), static_cast<int>(value.size())) || c.retracted()) return true;
    if (c.event_time_ms() < s->window_start_ms() || c.event_time_ms() >= end) return true;
    if (s->channel() != 0 && c.channel() != s->channel()) return true;
    s->add_examples(std::string(key.substr(prefix.size())));
    return static_cast<size_t>(s->examples_size()) < 2 * options_.examples;
  });
  if (!scan.ok()) throw runtime::FatalError(scan.ToString());
}

void AggregateProcessor::EndBatch(runtime::Context& ctx) {
  for (const auto& [partition, watermark] : watermark_) {
    if (!watermark_changed_.contains(partition)) continue;
    CloseWindows(PartitionId(partition), watermark, ctx);
    std::string bytes(8, '\0');
    std::memcpy(bytes.data(), &watermark, 8);
    ctx.txn->Put(kMeta, PartitionId(partition), kWatermarkKey, bytes);
  }
  watermark_changed_.clear();
  const auto now = std::chrono::steady_clock::now();
  if (!last_emit_ || now - *last_emit_ >= options_.emit_interval) {
    last_emit_ = now;
    for (auto& [partition, keys] : dirty_) {
      for (const auto& key : keys) {
        EmitWindow(PartitionId(partition), key, ctx);
        ctx.txn->Delete(kDirty, PartitionId(partition), key);
      }
      keys.clear();
    }
  }
  for (auto [partition, entry] : modified_windows_) {
    auto& [key, w] = *entry;
    w.state.SerializeToString(&value_);
    ctx.txn->Put(kWindow, PartitionId(partition), key, value_);
    w.modified = false;
  }
  modified_windows_.clear();
  for (auto [partition, entry] : modified_customers_) {
    auto& [key, c] = *entry;
    const auto& counts = c.entry.channel_counts();
    if (std::all_of(counts.begin(), counts.end(), [](int64_t n) { return n == 0; })) {
      ctx.txn->Delete(kCustomer, PartitionId(partition), key);
    } else {
      c.entry.SerializeToString(&value_);
      ctx.txn->Put(kCustomer, PartitionId(partition), key, value_);
    }
    c.modified = false;
  }
  modified_customers_.clear();
}

void AggregateProcessor::AfterCommit() {
  if (cached_entries_ > options_.cache_entries) {
    cache_.clear();
    cached_entries_ = 0;
  }
}

}  // namespace voc::aggregate
