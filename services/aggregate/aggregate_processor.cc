#include "services/aggregate/aggregate_processor.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <utility>

#include "common/core/decimal.h"
#include "common/core/limits.h"
#include "common/core/theme_ids.h"
#include "common/core/utf8.h"

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
        closed(prometheus::BuildCounter().Name("voc_aggregate_windows_closed_total").Help("Windows closed by the watermark.").Labels({{"service", "voc-aggregate"}}).Register(r).Add({})),
        recredited(prometheus::BuildCounter()
                       .Name("voc_aggregate_span_rescans_total")
                       .Help("Spans whose kept ARR credits all left while contributions remained, found again by "
                             "scanning the customer's contributions to the theme.")
                       .Labels({{"service", "voc-aggregate"}}).Register(r)
                       .Add({})),
        refilled(prometheus::BuildCounter()
                     .Name("voc_aggregate_example_refills_total")
                     .Help("Windows whose example feedback ids ran short after removals, refilled by scanning the "
                           "theme's contributions.")
                     .Labels({{"service", "voc-aggregate"}}).Register(r)
                     .Add({})) {}
  prometheus::Family<prometheus::Counter>& mentions;
  prometheus::Counter& applied;
  prometheus::Counter& replaced;
  prometheus::Counter& retracted;
  prometheus::Counter& redelivered;
  prometheus::Counter& late;
  prometheus::Counter& emitted;
  prometheus::Counter& closed;
  prometheus::Counter& recredited;
  prometheus::Counter& refilled;
};

namespace {

constexpr char kMetaKey[] = "meta";  // the one meta value of each partition

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

void AppendWindowGroup(std::string* out, int64_t size_ms, int64_t start_ms, std::string_view theme_id) {
  AppendDecimal(out, size_ms);
  *out += '|';
  AppendDecimal(out, start_ms);
  *out += '|';
  out->append(theme_id);
}

// Account keys, which start the keys of a customer's contributions and spans under a
// theme: [theme length, 1 byte][theme][customer length, 2 bytes big-endian][customer].
// Lengths, not separators, end the ids, so a theme's entries are one key range whatever
// bytes the ids hold.
constexpr size_t kMaxThemeId = 0xff;
constexpr size_t kMaxCustomerId = kMaxCustomerIdBytes;  // shared with voc-ingest, which refuses longer ids
static_assert(kMaxCustomerId <= 0xffff, "the customer id's length is written in two bytes");
// Bounds of a mention's values: with them no count, sum or window end can overflow.
constexpr int64_t kMaxEventTimeMs = 253'402'300'799'999;  // 9999-12-31T23:59:59.999Z
constexpr int64_t kMaxArr = 1'000'000'000'000;
constexpr int64_t kMaxCount = int64_t{1} << 40;  // mentions in one window, far beyond any real one

bool InRange(int64_t v, int64_t lo, int64_t hi) { return v >= lo && v <= hi; }

// A rollup value names windows on the topic: short, UTF-8, without the key's separator.
constexpr size_t kMaxRollupValue = 64;
constexpr char kOtherValue[] = "other";      // the values past a rollup's cap
constexpr char kUnknownSegment[] = "unknown";  // a customer without a profile

bool IsRollupValue(std::string_view value) {
  return !value.empty() && value.size() <= kMaxRollupValue && IsValidUtf8(value) &&
         value.find('|') == std::string_view::npos;
}

const char* RollupName(Rollup rollup) { return rollup == Rollup::kSegment ? "segment" : "app_version"; }

Span::RollupCount& RollupCountOf(Span& span, Rollup rollup, const std::string& value) {
  for (auto& n : span.rollups) {
    if (n.rollup == rollup && n.value == value) return n;
  }
  return span.rollups.emplace_back(Span::RollupCount{rollup, value, 0});
}

// Span keys: the account key, then the window's size and start, 8 bytes big-endian each.
void AppendBigEndian(std::string* out, int64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out->push_back(static_cast<char>(static_cast<uint64_t>(v) >> shift));
}

void SpanKey(std::string_view account_key, int64_t size_ms, int64_t start_ms, std::string* out) {
  out->assign(account_key);
  AppendBigEndian(out, size_ms);
  AppendBigEndian(out, start_ms);
}

// Counts a contribution in its span (sign +1) or takes it out (-1): by channel, by rollup
// value, and its credit. True when that took out the last credit kept while the span still
// counts contributions: the caller finds earlier ones (Recredit).
bool CountInSpan(Span& span, const Contribution& c, int sign) {
  span.counts[0] += sign;
  span.counts[c.channel] += sign;
  for (size_t r = 0; r < kRollups; ++r) {
    if (!c.rollups[r].empty()) RollupCountOf(span, static_cast<Rollup>(r), c.rollups[r]).count += sign;
  }
  auto credit = std::lower_bound(span.credits.begin(), span.credits.end(), c.applied_offset,
                                 [](const Span::Credit& x, int64_t offset) { return x.offset < offset; });
  if (sign > 0) {
    span.credits.insert(credit, {c.applied_offset, c.arr});
    if (span.credits.size() > kMaxCredits) span.credits.erase(span.credits.begin());
  } else if (credit != span.credits.end() && credit->offset == c.applied_offset) {
    span.credits.erase(credit);
    return span.credits.empty() && span.counts[0] > 0;
  }
  return false;
}

// The account key a contribution key starts with (AccountKey); empty when it is too short
// to hold one.
std::string_view AccountOf(std::string_view contribution_key) {
  if (contribution_key.empty()) return {};
  const size_t theme = static_cast<uint8_t>(contribution_key[0]);
  if (contribution_key.size() < 3 + theme) return {};
  const size_t customer = static_cast<size_t>(static_cast<uint8_t>(contribution_key[1 + theme])) << 8 |
                          static_cast<uint8_t>(contribution_key[2 + theme]);
  const size_t length = 3 + theme + customer;
  return contribution_key.size() < length ? std::string_view() : contribution_key.substr(0, length);
}

// Stored values are used only when they hold together: their ids, which go back out in
// topic strings, are UTF-8, their order is the one the processor keeps, and their numbers
// stay within bounds that keep every sum and window end from overflowing. The bounds are
// wider than what Process accepts where an earlier build of this state format could have
// stored more (an ARR from an unchecked customer profile, a count a state TTL left
// negative); anything else is a damaged store or another format, and the codecs below
// refuse it (a FatalError naming the store and the key).
bool Readable(const voc::state::v1::Contribution& c) {
  if (c.feedback_id().empty() || !IsValidUtf8(c.feedback_id()) || !InRange(c.channel(), 1, 3) ||
      !InRange(c.event_time_ms(), 1, kMaxEventTimeMs) || !InRange(c.nps(), -1, 10) || !InRange(c.csat(), 0, 5) ||
      !InRange(c.sentiment_micros(), -1'000'000, 1'000'000) || !InRange(c.arr(), -kMaxArr, kMaxArr) ||
      c.rollup_values_size() > static_cast<int>(kRollups) ||
      static_cast<size_t>(c.phrase_hashes_size()) > kMaxPhrasesPerFeedback) {
    return false;
  }
  for (const auto& value : c.rollup_values()) {
    if (!IsRollupValue(value) && !value.empty()) return false;
  }
  return true;
}

// A span's counts are within bounds, and its credits are in offset order, at most one
// per live contribution and at most kMaxCredits.
bool Readable(const voc::state::v1::Span& s) {
  if (s.counts_size() != 4 || s.credit_offsets_size() != s.credit_arrs_size() ||
      s.credit_offsets_size() > s.counts(0) || static_cast<size_t>(s.credit_offsets_size()) > kMaxCredits) {
    return false;
  }
  for (int64_t count : s.counts()) {
    if (!InRange(count, 0, kMaxCount)) return false;
  }
  for (const auto& n : s.rollups()) {
    if (!InRange(n.rollup(), 1, static_cast<int64_t>(kRollups)) || !IsRollupValue(n.value()) ||
        !InRange(n.count(), 1, kMaxCount)) {
      return false;
    }
  }
  for (int i = 0; i < s.credit_offsets_size(); ++i) {
    if (!InRange(s.credit_offsets(i), 0, INT64_MAX) || (i > 0 && s.credit_offsets(i - 1) >= s.credit_offsets(i)) ||
        !InRange(s.credit_arrs(i), -kMaxArr, kMaxArr)) {
      return false;
    }
  }
  return true;
}

// A group's spans are each readable, in size and start order, each start a multiple of
// its size; a group without any is not written.
bool Readable(const voc::state::v1::SpanGroup& g) {
  if (g.spans_size() == 0) return false;
  for (int i = 0; i < g.spans_size(); ++i) {
    const auto& s = g.spans(i);
    if (!InRange(s.size_ms(), 1, kMaxEventTimeMs) || !InRange(s.start_ms(), 0, kMaxEventTimeMs) ||
        s.start_ms() % s.size_ms() != 0 || !s.has_span() || !Readable(s.span())) {
      return false;
    }
    if (i > 0 && std::pair(g.spans(i - 1).size_ms(), g.spans(i - 1).start_ms()) >= std::pair(s.size_ms(), s.start_ms())) {
      return false;
    }
  }
  return true;
}

bool Readable(const voc::state::v1::WindowState& w) {
  for (int64_t count : {w.volume(), w.unique_volume(), w.unique_customers(), w.sentiment_count(), w.negative(),
                        w.neutral(), w.positive(), w.nps_responses(), w.promoters(), w.passives(), w.detractors(),
                        w.csat_responses()}) {
    if (!InRange(count, -kMaxCount, kMaxCount)) return false;
  }
  if (!InRange(w.sentiment_sum_micros(), -kMaxCount * 1'000'000, kMaxCount * 1'000'000) ||
      !InRange(w.csat_sum(), -5 * kMaxCount, 5 * kMaxCount) ||
      !InRange(w.arr_affected(), -INT64_MAX / 2, INT64_MAX / 2) ||
      !InRange(w.channel(), 0, 3) || !InRange(w.window_size_ms(), 1, kMaxEventTimeMs) ||
      !InRange(w.window_start_ms(), -kMaxEventTimeMs, kMaxEventTimeMs) || !IsValidUtf8(w.theme_id()) ||
      !IsValidUtf8(w.theme_path()) || !InRange(w.rollup(), 0, static_cast<int64_t>(kRollups)) ||
      (w.rollup() == 0 ? !w.rollup_value().empty() : (w.channel() != 0 || !IsRollupValue(w.rollup_value())))) {
    return false;
  }
  for (int i = 0; i < w.examples_size(); ++i) {
    if (!IsValidUtf8(w.examples(i)) || (i > 0 && w.examples(i - 1) > w.examples(i))) return false;
  }
  // Emitted as proto3 strings too: not UTF-8, the aggregate would not parse.
  if (!IsValidUtf8(w.taxonomy_version())) return false;
  for (const auto& d : w.drivers()) {
    if (!IsValidUtf8(d.theme_id())) return false;
  }
  return true;
}

bool Readable(const voc::state::v1::PartitionMeta& m) {
  if (!InRange(m.watermark_ms(), 0, kMaxEventTimeMs) || m.open_end_ms_size() != m.open_key_size()) return false;
  for (int64_t end : m.open_end_ms()) {
    if (!InRange(end, -2 * kMaxEventTimeMs, 2 * kMaxEventTimeMs)) return false;
  }
  for (const auto& v : m.rollup_values()) {
    if (!InRange(v.rollup(), 1, static_cast<int64_t>(kRollups)) || !IsRollupValue(v.value()) ||
        !InRange(v.last_event_ms(), 0, kMaxEventTimeMs)) {
      return false;
    }
  }
  return true;
}

void AccountKey(std::string_view theme_id, std::string_view customer_id, std::string* out) {
  out->clear();
  out->push_back(static_cast<char>(theme_id.size()));
  out->append(theme_id);
  out->push_back(static_cast<char>(customer_id.size() >> 8));
  out->push_back(static_cast<char>(customer_id.size() & 0xff));
  out->append(customer_id);
}

}  // namespace

std::string WindowGroup(int64_t size_ms, int64_t start_ms, std::string_view theme_id) {
  std::string key;
  AppendWindowGroup(&key, size_ms, start_ms, theme_id);
  return key;
}

std::string WindowKey(int64_t size_ms, int64_t start_ms, std::string_view theme_id, std::string_view channel) {
  std::string key = WindowGroup(size_ms, start_ms, theme_id);
  key += '|';
  key += channel;
  return key;
}

std::string_view RollupValueOf(Rollup rollup, std::string_view raw) {
  if (raw.empty()) return rollup == Rollup::kSegment ? kUnknownSegment : "";
  return IsRollupValue(raw) ? raw : kOtherValue;
}

const char* ChannelName(int channel) {
  switch (channel) {
    case voc::v1::CHANNEL_TICKET: return "ticket";
    case voc::v1::CHANNEL_SURVEY: return "survey";
    case voc::v1::CHANNEL_REVIEW: return "review";
    default: return "all";
  }
}

std::string RollupSlot(Rollup rollup, std::string_view value) {
  std::string slot = RollupName(rollup);
  slot += '=';
  slot += value;
  return slot;
}

Span& SpanGroup::Of(int64_t size_ms, int64_t start_ms) {
  const std::pair window(size_ms, start_ms);
  auto it = std::lower_bound(spans.begin(), spans.end(), window,
                             [](const Sized& s, const std::pair<int64_t, int64_t>& w) {
                               return std::pair(s.size_ms, s.start_ms) < w;
                             });
  if (it == spans.end() || it->size_ms != size_ms || it->start_ms != start_ms) {
    it = spans.insert(it, Sized{size_ms, start_ms, {}});
  }
  return it->span;
}

bool NestedWindowSizes(const std::vector<std::chrono::milliseconds>& sizes) {
  if (sizes.empty()) return false;
  const int64_t largest = std::max_element(sizes.begin(), sizes.end())->count();
  return std::all_of(sizes.begin(), sizes.end(),
                     [&](std::chrono::milliseconds size) { return size.count() > 0 && largest % size.count() == 0; });
}

AggregateProcessor::AggregateProcessor(AggregateOptions options, prometheus::Registry& registry)
    : options_(std::move(options)),
      probe_(std::make_unique<AggregateProbe>(registry)),
      insights_(
          [this] {
            InsightOptions o = options_.insights;
            o.service_version = options_.service_version;
            return o;
          }(),
          registry),
      topics_(
          [this] {
            TopicOptions o = options_.topics;
            o.allowed_lateness = options_.allowed_lateness;
            o.service_version = options_.service_version;
            return o;
          }(),
          registry),
      memo_(options_.window_sizes.size()) {
  // The configuration refuses other sizes with a sentence (aggregate_config.cc).
  if (!NestedWindowSizes(options_.window_sizes)) {
    throw std::invalid_argument("aggregate window sizes must be positive and each divide the largest");
  }
  group_ms_ = std::max_element(options_.window_sizes.begin(), options_.window_sizes.end())->count();
}

AggregateProcessor::~AggregateProcessor() = default;

// Contributions and windows are only ever needed again for data within the retention
// behind the watermark (older data is TOO_LATE); one not written while its partition's
// watermark moved twice that far is dropped, so state levels off once the stream's event
// time passes the retention, however fast it runs (a replay, a soak). The stores' TTL
// counts event time: the partition's watermark, told to the event clock as it moves.
std::chrono::seconds AggregateProcessor::StateTtl() const {
  return std::max(std::chrono::seconds(1), std::chrono::duration_cast<std::chrono::seconds>(2 * options_.retention));
}

void AggregateProcessor::Open(runtime::Setup& setup) {
  setup.StateFormat("voc-aggregate/9");
  setup.Timer(options_.emit_interval);
  const auto ttl = StateTtl();
  // Scanned by theme for refills; read again only when a mention is redelivered or revised.
  event_clock_ = &setup.event_clock();
  contributions_ =
      setup.Store<Contribution>({.name = "contribution", .ttl = ttl, .ttl_in_event_time = true, .write_once = true});
  // A function of the live contributions: a restore rebuilds it from them rather than
  // carrying it in the changelog (a third of the changelog's records).
  spans_ = setup.DerivedStore<SpanGroup>(
      {.name = "span", .ttl = ttl, .ttl_in_event_time = true}, contributions_,
      [this, key = std::string()](std::string_view contribution_key, const Contribution& c,
                                  runtime::Derived<SpanGroup>& spans) mutable {
        const std::string_view account = AccountOf(contribution_key);
        if (c.retracted || account.empty()) return;
        SpanKey(account, group_ms_, FloorDiv(c.event_time_ms, group_ms_) * group_ms_, &key);
        SpanGroup& group = spans.Update(key);
        for (const auto& size : options_.window_sizes) {
          const int64_t size_ms = size.count();
          CountInSpan(group.Of(size_ms, FloorDiv(c.event_time_ms, size_ms) * size_ms), c, +1);
        }
      });
  windows_ = setup.Store<Window>({.name = "window", .ttl = ttl, .ttl_in_event_time = true});
  meta_ = setup.Store<PartitionMeta>({.name = "meta"});
  insights_.Open(setup, ttl);
  topics_.Open(setup, ttl);
}

// A window touched again before the next emission is already listed: the flag spares the
// set lookup on every mention.
void AggregateProcessor::MarkDirty(PartitionMeta& meta, const std::string& key, Window& window) {
  if (window.listed_dirty) return;
  window.listed_dirty = true;
  meta.dirty.insert(key);
}

// What a contribution changes in one window of its group.
struct AggregateProcessor::WindowChange {
  const Contribution& c;
  int sign;
  int64_t size_ms, start_ms;
  const std::string& theme_id;
  const std::string& theme_path;
  int channel;                    // 0: all channels (every rollup's window too)
  std::optional<Rollup> rollup;   // a rollup's window, of this value
  std::string_view rollup_value;
  bool touched;                   // the contribution counts in this window ...
  bool counted_before, counted_after;  // ... and the customer counted there before, after
  int64_t old_arr, new_arr;       // the customer's ARR in the span before and after
};

void AggregateProcessor::Apply(PartitionId partition, PartitionMeta& meta, const Contribution& c,
                               const std::string& theme_id, const std::string& theme_path, int sign) {
  // Unique customers and the ARR they carry: the customer counts in a window while one of
  // its contributions is there, with the ARR of its latest one in the span. The spans of
  // every window size are one entry, the group of the largest window.
  SpanKey(account_key_, group_ms_, FloorDiv(c.event_time_ms, group_ms_) * group_ms_, &span_key_);
  SpanGroup& group = spans_->Update(partition, span_key_);
  for (size_t k = 0; k < options_.window_sizes.size(); ++k) {
    const int64_t size_ms = options_.window_sizes[k].count();
    const int64_t start = FloorDiv(c.event_time_ms, size_ms) * size_ms;
    Span& span = group.Of(size_ms, start);
    const std::array<int64_t, 4> before = span.counts;
    const int64_t old_arr = span.arr();
    if (CountInSpan(span, c, sign)) Recredit(partition, &span, size_ms, start, c.feedback_id);
    const int64_t new_arr = span.arr();
    // The mentions of a batch mostly fall in a few window groups: the group's windows are
    // remembered, sparing most mentions the keys and their hashing.
    GroupMemo& memo = memo_[k];
    if (memo.partition != partition || memo.generation != windows_->generation() || memo.start_ms != start ||
        memo.theme_id != theme_id) {
      memo.partition = partition;
      memo.generation = windows_->generation();
      memo.start_ms = start;
      memo.theme_id = theme_id;
      memo.windows.fill({});
      memo.rollups.clear();
    }
    for (int channel = 0; channel < 4; ++channel) {
      const bool touched = channel == 0 || channel == c.channel;
      const bool counted_before = before[channel] > 0, counted_after = span.counts[channel] > 0;
      if (!touched && !(counted_before && counted_after && new_arr != old_arr)) continue;
      ChangeWindow(partition, meta, memo.windows[channel],
                   {c, sign, size_ms, start, theme_id, theme_path, channel, std::nullopt, {}, touched, counted_before,
                    counted_after, old_arr, new_arr});
    }
    for (const Span::RollupCount& n : span.rollups) {
      const bool touched = c.rollups[static_cast<size_t>(n.rollup)] == n.value;
      const int64_t count_before = n.count - (touched ? sign : 0);
      if (!touched && !(count_before > 0 && n.count > 0 && new_arr != old_arr)) continue;
      auto it = std::find_if(memo.rollups.begin(), memo.rollups.end(),
                             [&](const GroupMemo::RollupWindow& w) { return w.rollup == n.rollup && w.value == n.value; });
      if (it == memo.rollups.end()) it = memo.rollups.insert(it, {n.rollup, n.value, {}});
      ChangeWindow(partition, meta, it->ref,
                   {c, sign, size_ms, start, theme_id, theme_path, 0, n.rollup, n.value, touched, count_before > 0,
                    n.count > 0, old_arr, new_arr});
    }
    std::erase_if(span.rollups, [](const Span::RollupCount& n) { return n.count <= 0; });
  }
  std::erase_if(group.spans, [](const SpanGroup::Sized& s) { return s.span.counts[0] <= 0; });
  if (group.spans.empty()) spans_->Delete(partition, span_key_);
}

void AggregateProcessor::Recredit(PartitionId partition, Span* span, int64_t size_ms, int64_t start_ms,
                                  std::string_view excluded_feedback_id) {
  contributions_->Scan(partition, account_key_, [&](std::string_view, const Contribution& c) {
    if (c.retracted || c.feedback_id == excluded_feedback_id || c.event_time_ms < start_ms ||
        c.event_time_ms >= start_ms + size_ms) {
      return true;
    }
    auto at = std::lower_bound(span->credits.begin(), span->credits.end(), c.applied_offset,
                               [](const Span::Credit& x, int64_t offset) { return x.offset < offset; });
    span->credits.insert(at, {c.applied_offset, c.arr});
    if (span->credits.size() > kMaxCredits) span->credits.erase(span->credits.begin());
    return true;
  });
  probe_->recredited.Increment();
}

void AggregateProcessor::ChangeWindow(PartitionId partition, PartitionMeta& meta,
                                      state::KeyValueStore<Window>::Ref& ref, const WindowChange& change) {
  const Contribution& c = change.c;
  const int sign = change.sign;
  bool created = false;
  if (!ref) {
    window_key_.clear();
    AppendWindowGroup(&window_key_, change.size_ms, change.start_ms, change.theme_id);
    window_key_ += '|';
    if (change.rollup) {
      window_key_ += RollupName(*change.rollup);
      window_key_ += '=';
      window_key_ += change.rollup_value;
    } else {
      window_key_ += ChannelName(change.channel);
    }
    ref = windows_->UpdateRef(partition, window_key_, &created);
  }
  Window& window = windows_->Touch(ref);  // changed: written at the next checkpoint
  const std::string& key = ref.key();
  auto& s = window.state;
  if (created) {
    s.set_theme_id(change.theme_id);
    s.set_channel(change.channel);
    s.set_window_start_ms(change.start_ms);
    s.set_window_size_ms(change.size_ms);
    if (change.rollup) {
      s.set_rollup(static_cast<int32_t>(*change.rollup) + 1);
      s.set_rollup_value(std::string(change.rollup_value));
    }
    const int64_t end = change.start_ms + change.size_ms;
    if (end + options_.allowed_lateness.count() <= meta.watermark_ms) {
      s.set_closed(true);  // born late: it never was open
    } else {
      meta.open.emplace(end, key);
    }
  }
  if (change.counted_before && change.counted_after) s.set_arr_affected(s.arr_affected() + change.new_arr - change.old_arr);
  if (change.touched) {
    if (s.theme_path().empty() && !change.theme_path.empty()) s.set_theme_path(change.theme_path);
    if (!mention_.taxonomy_version().empty()) s.set_taxonomy_version(mention_.taxonomy_version());
    if (s.emitted_closed()) s.set_correction(true);
    s.set_volume(s.volume() + sign);
    if (!c.near_duplicate) s.set_unique_volume(s.unique_volume() + sign);
    if (c.sentiment_scored) {
      s.set_sentiment_count(s.sentiment_count() + sign);
      s.set_sentiment_sum_micros(s.sentiment_sum_micros() + sign * c.sentiment_micros);
      if (c.sentiment_micros >= 50'000) s.set_positive(s.positive() + sign);
      else if (c.sentiment_micros <= -50'000) s.set_negative(s.negative() + sign);
      else s.set_neutral(s.neutral() + sign);
    }
    if (c.nps >= 0) {
      s.set_nps_responses(s.nps_responses() + sign);
      if (c.nps >= 9) s.set_promoters(s.promoters() + sign);
      else if (c.nps >= 7) s.set_passives(s.passives() + sign);
      else s.set_detractors(s.detractors() + sign);
    }
    if (c.csat > 0) {
      s.set_csat_responses(s.csat_responses() + sign);
      s.set_csat_sum(s.csat_sum() + sign * c.csat);
    }
    if (!c.themes.empty()) CountDrivers(&s, c, sign);
    if (sign > 0 && c.source_timestamp_ms > s.last_source_timestamp_ms()) {
      s.set_last_source_timestamp_ms(c.source_timestamp_ms);
    }
    // Examples: the smallest ids, an exact prefix kept without an index of every
    // member. It covers every member while its size equals the volume.
    auto* ex = s.mutable_examples();
    const auto at = std::lower_bound(ex->begin(), ex->end(), c.feedback_id) - ex->begin();
    const bool present = at < ex->size() && ex->Get(static_cast<int>(at)) == c.feedback_id;
    const size_t depth = 2 * options_.examples;
    const int64_t volume_before = s.volume() - sign;
    // A new revision re-enters where its old one was just taken out as an example: it
    // belonged to the prefix, so the prefix with it stays exact (without this, revisions
    // of a window's largest examples wore the prefix down to a refill).
    const bool was_example = sign > 0 && std::find(revised_examples_.begin(), revised_examples_.end(), &s) !=
                                             revised_examples_.end();
    if (sign > 0 && !present &&
        (at < ex->size() || was_example ||
         (ex->size() == volume_before && static_cast<size_t>(ex->size()) < depth))) {
      ex->Add(std::string(c.feedback_id));  // may reallocate: positions by index only
      std::rotate(ex->begin() + at, ex->end() - 1, ex->end());
      if (static_cast<size_t>(ex->size()) > depth) ex->RemoveLast();
    } else if (sign < 0 && present) {
      ex->erase(ex->begin() + at);
      revised_examples_.push_back(&s);
    }
    if (!change.counted_before && change.counted_after) {
      s.set_unique_customers(s.unique_customers() + 1);
      s.set_arr_affected(s.arr_affected() + change.new_arr);
    } else if (change.counted_before && !change.counted_after) {
      s.set_unique_customers(s.unique_customers() - 1);
      s.set_arr_affected(s.arr_affected() - change.old_arr);
    }
  }
  MarkDirty(meta, key, window);
}

// Values are admitted in the order they come while the rollup has room; past its cap,
// one unseen for the retention behind the watermark gives up its place, and a value
// without one counts as "other". (So the windows of a rollup are a function of the input
// alone while it has no more values than its cap.)
void AggregateProcessor::ResolveRollups(PartitionMeta& meta, Contribution* c) const {
  for (size_t r = 0; r < kRollups; ++r) {
    const Rollup rollup = static_cast<Rollup>(r);
    const size_t cap = options_.rollup_max_values[r];
    std::string_view value =
        RollupValueOf(rollup, rollup == Rollup::kSegment ? mention_.segment() : mention_.app_version());
    if (cap == 0 || value.empty()) continue;
    PartitionMeta::RollupValue* admitted = nullptr;
    PartitionMeta::RollupValue* oldest = nullptr;
    size_t held = 0;
    for (auto& v : meta.rollup_values) {
      if (v.rollup != rollup) continue;
      ++held;
      if (v.value == value) admitted = &v;
      if (oldest == nullptr || v.last_event_ms < oldest->last_event_ms) oldest = &v;
    }
    if (admitted == nullptr && value != kOtherValue) {
      if (held < cap) {
        admitted = &meta.rollup_values.emplace_back(PartitionMeta::RollupValue{rollup, std::string(value), 0});
      } else if (oldest != nullptr && oldest->last_event_ms + options_.retention.count() < meta.watermark_ms) {
        oldest->value = value;
        oldest->last_event_ms = 0;
        admitted = oldest;
      } else {
        value = kOtherValue;
      }
    }
    if (admitted != nullptr) admitted->last_event_ms = std::max(admitted->last_event_ms, c->event_time_ms);
    c->rollups[r] = value;
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
  if (mention_.channel() < voc::v1::CHANNEL_TICKET || mention_.channel() > voc::v1::CHANNEL_REVIEW) {
    ctx.out.DeadLetter(record, "INVALID_FIELD", "ThemeMention channel must be ticket, survey or review");
    return;
  }
  if (mention_.theme_id().size() > kMaxThemeId || mention_.customer_id().size() > kMaxCustomerId) {
    ctx.out.DeadLetter(record, "INVALID_FIELD", "ThemeMention theme_id over 255 bytes or customer_id over 65535 bytes");
    return;
  }
  // Values the sums and window bounds must hold without overflowing (found by fuzzing:
  // a sentiment of 1e300, an event time near INT64_MAX, two ARRs of INT64_MAX).
  if (!(mention_.sentiment() >= -1.0 && mention_.sentiment() <= 1.0) || mention_.event_time_ms() > kMaxEventTimeMs ||
      mention_.arr() < 0 || mention_.arr() > kMaxArr ||
      (mention_.has_nps() && (mention_.nps() < 0 || mention_.nps() > 10)) ||
      (mention_.has_csat() && (mention_.csat() < 1 || mention_.csat() > 5))) {
    ctx.out.DeadLetter(record, "INVALID_FIELD",
                       "ThemeMention sentiment outside -1..1, event time after 9999, ARR outside 0..10^12, NPS "
                       "outside 0..10 or CSAT outside 1..5");
    return;
  }
  if (static_cast<size_t>(mention_.phrases_size()) > kMaxPhrasesPerFeedback ||
      std::any_of(mention_.phrases().begin(), mention_.phrases().end(),
                  [](const std::string& s) { return s.empty() || s.size() > kMaxPhraseBytes; })) {
    ctx.out.DeadLetter(record, "INVALID_FIELD", "ThemeMention with over 24 phrases, or an empty one or one over 100 bytes");
    return;
  }
  if (static_cast<size_t>(mention_.themes_size()) > kMaxThemesPerFeedback ||
      std::any_of(mention_.themes().begin(), mention_.themes().end(),
                  [](const std::string& s) { return s.empty() || s.size() > kMaxThemeId; })) {
    ctx.out.DeadLetter(record, "INVALID_FIELD",
                       "ThemeMention listing over 1024 themes, or an empty theme id or one over 255 bytes");
    return;
  }
  const PartitionId p = record.partition;
  const PartitionMeta* seen_meta = meta_->Get(p, kMetaKey);
  if (seen_meta != nullptr) TellEventClock(p, seen_meta->watermark_ms);  // known after a restart too
  if (seen_meta != nullptr && mention_.event_time_ms() + options_.retention.count() < seen_meta->watermark_ms) {
    ctx.out.DeadLetter(record, "TOO_LATE",
                       "event time is older than the retention (aggregate.retention) behind the watermark");
    return;
  }
  AccountKey(mention_.theme_id(), mention_.customer_id(), &account_key_);
  contribution_key_ = account_key_;
  contribution_key_ += mention_.feedback_id();
  const Contribution* had = contributions_->Get(p, contribution_key_);
  if (had != nullptr && had->revision >= mention_.revision()) {
    probe_->redelivered.Increment();  // effectively once: this revision is already counted
    return;
  }
  PartitionMeta& meta = meta_->Update(p, kMetaKey);
  revised_examples_.clear();
  if (had != nullptr && !had->retracted) {
    Apply(p, meta, *had, mention_.theme_id(), "", -1);
    insights_.OnContribution(p, mention_.theme_id(), had->app_version, had->sentiment_scored, had->sentiment_micros, -1);
    topics_.OnContribution(p, mention_.theme_id(), had->feedback_id, had->event_time_ms, had->phrase_hashes, nullptr,
                           had->themes, -1);
    probe_->replaced.Increment();
  }
  Contribution c;
  c.feedback_id = mention_.feedback_id();
  c.revision = mention_.revision();
  c.retracted = mention_.retracted();
  c.sentiment_scored = mention_.sentiment_scored();
  c.near_duplicate = mention_.near_duplicate();
  c.channel = mention_.channel();
  c.nps = mention_.has_nps() ? mention_.nps() : -1;
  c.csat = mention_.has_csat() ? mention_.csat() : 0;
  c.event_time_ms = mention_.event_time_ms();
  c.sentiment_micros = static_cast<int64_t>(std::llround(mention_.sentiment() * 1e6));
  c.arr = mention_.arr();
  c.source_timestamp_ms = mention_.meta().source_timestamp_ms();
  c.app_version = mention_.app_version();
  c.themes.assign(mention_.themes().begin(), mention_.themes().end());
  if (options_.topics.enabled) {
    for (const auto& phrase : mention_.phrases()) c.phrase_hashes.push_back(PhraseHash(phrase));
  }
  c.applied_offset = record.offset.value;
  if (!c.retracted) ResolveRollups(meta, &c);
  if (c.retracted) {
    probe_->retracted.Increment();
  } else {
    Apply(p, meta, c, mention_.theme_id(), mention_.theme_path(), +1);
    insights_.OnContribution(p, mention_.theme_id(), c.app_version, c.sentiment_scored, c.sentiment_micros, +1);
    topics_.OnContribution(p, mention_.theme_id(), c.feedback_id, c.event_time_ms, c.phrase_hashes, &mention_.phrases(),
                           c.themes, +1);
    probe_->applied.Increment();
    if (c.event_time_ms > meta.watermark_ms) {
      if (advanced_.empty() || advanced_.back() != p) advanced_.push_back(p);
      meta.watermark_ms = c.event_time_ms;
    }
  }
  contributions_->Put(p, contribution_key_, std::move(c));
}

// Windows are emitted as they close: they are in hand and being written anyway. Left to
// the next interval's emission each would be read, and its emitted flag written, a second
// time (in a backlog, tens of thousands of windows a second). All that close together are
// closed before any is emitted: an hourly window's insights read its segments' windows.
void AggregateProcessor::CloseWindows(PartitionId partition, PartitionMeta& meta, runtime::Context& ctx) {
  const int64_t lateness = options_.allowed_lateness.count();
  closing_.clear();
  while (!meta.open.empty() && meta.open.begin()->first + lateness <= meta.watermark_ms) {
    std::string key = std::move(meta.open.begin()->second);
    meta.open.erase(meta.open.begin());
    if (windows_->Get(partition, key) == nullptr) continue;  // expired
    windows_->Update(partition, key).state.set_closed(true);
    probe_->closed.Increment();
    meta.dirty.erase(key);
    closing_.push_back(std::move(key));
  }
  for (const std::string& key : closing_) EmitWindow(partition, key, ctx);
}

// A response counts for each theme it mentions once (a theme listed twice is one driver).
void AggregateProcessor::CountDrivers(voc::state::v1::WindowState* s, const Contribution& c, int sign) {
  if (c.nps < 0 && c.csat <= 0) return;  // nothing a score says
  auto* drivers = s->mutable_drivers();
  for (size_t i = 0; i < c.themes.size(); ++i) {
    const std::string& theme = c.themes[i];
    if (std::find(c.themes.begin(), c.themes.begin() + static_cast<std::ptrdiff_t>(i), theme) !=
        c.themes.begin() + static_cast<std::ptrdiff_t>(i)) {
      continue;
    }
    auto it = std::lower_bound(drivers->begin(), drivers->end(), theme,
                               [](const auto& d, const std::string& id) { return d.theme_id() < id; });
    if (it == drivers->end() || it->theme_id() != theme) {
      if (sign < 0) continue;  // never counted
      const auto at = it - drivers->begin();
      drivers->Add()->set_theme_id(theme);
      std::rotate(drivers->begin() + at, drivers->end() - 1, drivers->end());
      it = drivers->begin() + at;
    }
    auto& d = *it;
    if (c.nps >= 0) {
      d.set_nps_responses(d.nps_responses() + sign);
      if (c.nps >= 9) d.set_promoters(d.promoters() + sign);
      else if (c.nps <= 6) d.set_detractors(d.detractors() + sign);
    }
    if (c.csat > 0) {
      d.set_csat_responses(d.csat_responses() + sign);
      d.set_csat_sum(d.csat_sum() + sign * c.csat);
    }
    if (d.nps_responses() == 0 && d.csat_responses() == 0) drivers->erase(it);
  }
}

// Each theme's impact: the overall score minus the score of the responses without it.
void AggregateProcessor::EmitDrivers(const voc::state::v1::WindowState& s) {
  auto nps = [](int64_t responses, int64_t promoters, int64_t detractors) {
    return responses > 0 ? 100.0 * static_cast<double>(promoters - detractors) / static_cast<double>(responses) : 0.0;
  };
  auto mean = [](int64_t sum, int64_t n) { return n > 0 ? static_cast<double>(sum) / static_cast<double>(n) : 0.0; };
  const double overall_nps = nps(s.nps_responses(), s.promoters(), s.detractors());
  const double overall_csat = mean(s.csat_sum(), s.csat_responses());
  for (const auto& d : s.drivers()) {
    auto* out = aggregate_.add_drivers();
    out->set_theme_id(d.theme_id());
    out->set_nps_responses(d.nps_responses());
    out->set_nps_without(
        nps(s.nps_responses() - d.nps_responses(), s.promoters() - d.promoters(), s.detractors() - d.detractors()));
    out->set_nps_impact(d.nps_responses() > 0 ? overall_nps - out->nps_without() : 0.0);
    out->set_csat_responses(d.csat_responses());
    out->set_csat_without(mean(s.csat_sum() - d.csat_sum(), s.csat_responses() - d.csat_responses()));
    out->set_csat_impact(d.csat_responses() > 0 ? overall_csat - out->csat_without() : 0.0);
  }
  std::stable_sort(aggregate_.mutable_drivers()->begin(), aggregate_.mutable_drivers()->end(),
                   [](const auto& a, const auto& b) { return a.nps_impact() < b.nps_impact(); });
}

void AggregateProcessor::EmitWindow(PartitionId partition, const std::string& key, runtime::Context& ctx) {
  // Read without keeping it: a backlog's emission reads tens of thousands of windows once
  // each, which would push the working set out of the cache and over its budget. A window
  // is written back only when its emission changes it.
  const Window* stored = windows_->Peek(partition, key, &peeked_);
  if (stored == nullptr) return;  // expired since it changed
  stored->listed_dirty = false;  // the caller takes it out of the dirty set
  const bool refill = static_cast<size_t>(stored->state.examples_size()) < options_.examples &&
                      stored->state.examples_size() < stored->state.volume();
  Window* changed = nullptr;
  if (refill || stored->state.correction() || stored->state.emitted_closed() != stored->state.closed()) {
    changed = &windows_->Update(partition, key);
    if (refill) RefillExamples(partition, &changed->state);
  }
  const auto& s = changed != nullptr ? changed->state : stored->state;
  aggregate_.Clear();
  aggregate_.set_schema_version(1);
  aggregate_.set_theme_id(s.theme_id());
  aggregate_.set_theme_path(s.theme_path());
  aggregate_.set_channel(static_cast<voc::v1::Channel>(s.channel()));
  if (s.rollup() == static_cast<int>(Rollup::kSegment) + 1) aggregate_.set_segment(s.rollup_value());
  if (s.rollup() == static_cast<int>(Rollup::kAppVersion) + 1) aggregate_.set_app_version(s.rollup_value());
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
  for (int i = 0; i < s.examples_size() && static_cast<size_t>(i) < options_.examples; ++i) {
    aggregate_.add_example_feedback_ids(s.examples(i));
  }
  aggregate_.set_taxonomy_version(s.taxonomy_version());
  if (s.drivers_size() > 0) EmitDrivers(s);
  aggregate_.set_window_closed(s.closed());
  aggregate_.set_correction(s.correction());
  // Once emitted as closed, the next change is a correction; this one has been said.
  if (changed != nullptr) {
    changed->state.set_emitted_closed(s.closed());
    changed->state.set_correction(false);
  }
  auto* meta = aggregate_.mutable_meta();
  meta->set_service("voc-aggregate");
  meta->set_service_version(options_.service_version);
  meta->set_processed_at_ms(ctx.now_ms);
  if (s.last_source_timestamp_ms() > 0) {
    meta->set_source_timestamp_ms(s.last_source_timestamp_ms());
  } else {
    meta->clear_source_timestamp_ms();
  }
  aggregate_.SerializeToString(&bytes_);
  ctx.out.Emit(options_.aggregates_topic, key, bytes_);
  probe_->emitted.Increment();
  if (s.window_size_ms() == insight::kHourMs && s.channel() == voc::v1::CHANNEL_UNSPECIFIED && s.rollup() == 0) {
    const PartitionMeta* meta = meta_->Get(partition, kMetaKey);
    insights_.OnHourlyWindow(partition, s, SegmentWindows(partition, s), meta != nullptr ? meta->watermark_ms : 0,
                             ctx.now_ms, ctx);
  }
}

// The window's segment rollup windows, the most mentions first, ties by segment: pointers
// into the window store's cache, valid while it keeps its generation (this emission).
std::vector<const voc::state::v1::WindowState*> AggregateProcessor::SegmentWindows(
    PartitionId partition, const voc::state::v1::WindowState& s) {
  std::vector<const voc::state::v1::WindowState*> out;
  const PartitionMeta* meta = meta_->Get(partition, kMetaKey);
  if (meta == nullptr || options_.rollup_max_values[static_cast<size_t>(Rollup::kSegment)] == 0) return out;
  auto add = [&](std::string_view value) {
    window_key_.clear();
    AppendWindowGroup(&window_key_, s.window_size_ms(), s.window_start_ms(), s.theme_id());
    window_key_ += '|';
    window_key_ += RollupName(Rollup::kSegment);
    window_key_ += '=';
    window_key_ += value;
    if (const Window* w = windows_->Get(partition, window_key_); w != nullptr) out.push_back(&w->state);
  };
  for (const auto& v : meta->rollup_values) {
    if (v.rollup == Rollup::kSegment) add(v.value);
  }
  add(kOtherValue);
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return std::pair{-a->volume(), std::string_view(a->rollup_value())} <
           std::pair{-b->volume(), std::string_view(b->rollup_value())};
  });
  return out;
}

// A removed example leaves a gap only the window's other contributions can fill: the
// smallest ids among the theme's contributions that fall in the window (the theme's
// contributions are one key range, unwritten ones included).
void AggregateProcessor::RefillExamples(PartitionId partition, voc::state::v1::WindowState* s) {
  const size_t depth = 2 * options_.examples;
  std::vector<std::string> smallest;  // sorted, at most depth
  std::string prefix(1, static_cast<char>(s->theme_id().size()));
  prefix += s->theme_id();
  const int64_t end = s->window_start_ms() + s->window_size_ms();
  contributions_->Scan(partition, prefix, [&](std::string_view, const Contribution& c) {
    if (c.retracted || c.event_time_ms < s->window_start_ms() || c.event_time_ms >= end) return true;
    if (s->channel() != 0 && c.channel != s->channel()) return true;
    if (s->rollup() > 0 && c.rollups[static_cast<size_t>(s->rollup() - 1)] != s->rollup_value()) return true;
    if (smallest.size() == depth && c.feedback_id >= smallest.back()) return true;
    // An id twice: a revision moved to another customer, whose retraction under the old one is still to come.
    const auto at = std::lower_bound(smallest.begin(), smallest.end(), c.feedback_id);
    if (at != smallest.end() && *at == c.feedback_id) return true;
    smallest.insert(at, c.feedback_id);
    if (smallest.size() > depth) smallest.pop_back();
    return true;
  });
  s->clear_examples();
  for (auto& id : smallest) s->add_examples(std::move(id));
  probe_->refilled.Increment();
}

void AggregateProcessor::TellEventClock(PartitionId partition, int64_t watermark_ms) {
  int64_t& told = told_watermark_[partition.value];
  if (watermark_ms <= told) return;
  told = watermark_ms;
  event_clock_->Advance(partition, watermark_ms);
}

void AggregateProcessor::EndBatch(runtime::Context& ctx) {
  for (PartitionId partition : advanced_) {
    PartitionMeta& meta = meta_->Update(partition, kMetaKey);
    // The windows the watermark closed are read before the event time that expires state
    // moves on: a window last written as long ago as its TTL still gets its closing
    // emission.
    CloseWindows(partition, meta, ctx);
    topics_.OnWatermark(partition, meta.watermark_ms, ctx);
    TellEventClock(partition, meta.watermark_ms);
  }
  advanced_.clear();
}

void AggregateProcessor::OnTimer(runtime::Context& ctx) {
  for (PartitionId partition : ctx.assigned) {
    const PartitionMeta* seen = meta_->Get(partition, kMetaKey);
    if (seen == nullptr || seen->dirty.empty()) continue;
    PartitionMeta& meta = meta_->Update(partition, kMetaKey);
    for (const auto& key : meta.dirty) EmitWindow(partition, key, ctx);
    meta.dirty.clear();
  }
}

}  // namespace voc::aggregate

void voc::state::Codec<voc::aggregate::Contribution>::Encode(const voc::aggregate::Contribution& c, std::string* out) {
  voc::state::v1::Contribution s;
  s.set_feedback_id(c.feedback_id);
  s.set_revision(c.revision);
  s.set_retracted(c.retracted);
  s.set_event_time_ms(c.event_time_ms);
  s.set_channel(c.channel);
  s.set_sentiment_scored(c.sentiment_scored);
  s.set_sentiment_micros(c.sentiment_micros);
  s.set_nps(c.nps);
  s.set_csat(c.csat);
  s.set_arr(c.arr);
  s.set_near_duplicate(c.near_duplicate);
  s.set_source_timestamp_ms(c.source_timestamp_ms);
  s.set_app_version(c.app_version);
  for (const auto& theme : c.themes) s.add_themes(theme);
  s.mutable_phrase_hashes()->Add(c.phrase_hashes.begin(), c.phrase_hashes.end());
  if (std::any_of(c.rollups.begin(), c.rollups.end(), [](const std::string& v) { return !v.empty(); })) {
    for (const auto& value : c.rollups) s.add_rollup_values(value);
  }
  s.set_applied_offset(c.applied_offset);
  s.SerializeToString(out);
}

bool voc::state::Codec<voc::aggregate::Contribution>::Decode(std::string_view bytes, voc::aggregate::Contribution* c) {
  voc::state::v1::Contribution s;
  if (!s.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || !voc::aggregate::Readable(s)) return false;
  c->feedback_id = std::move(*s.mutable_feedback_id());
  c->revision = s.revision();
  c->retracted = s.retracted();
  c->sentiment_scored = s.sentiment_scored();
  c->near_duplicate = s.near_duplicate();
  c->channel = s.channel();
  c->nps = s.nps();
  c->csat = s.csat();
  c->event_time_ms = s.event_time_ms();
  c->sentiment_micros = s.sentiment_micros();
  c->arr = s.arr();
  c->source_timestamp_ms = s.source_timestamp_ms();
  c->app_version = std::move(*s.mutable_app_version());
  c->themes.clear();
  for (auto& theme : *s.mutable_themes()) c->themes.push_back(std::move(theme));
  c->phrase_hashes.assign(s.phrase_hashes().begin(), s.phrase_hashes().end());
  c->rollups = {};
  for (int r = 0; r < s.rollup_values_size(); ++r) c->rollups[static_cast<size_t>(r)] = std::move(*s.mutable_rollup_values(r));
  c->applied_offset = s.applied_offset();
  return true;
}

size_t voc::state::Codec<voc::aggregate::Contribution>::Footprint(const voc::aggregate::Contribution& c) {
  using voc::state::HeapBytes;
  size_t bytes = sizeof(c) + HeapBytes(c.feedback_id) + HeapBytes(c.app_version) + HeapBytes(c.themes) +
                 HeapBytes(c.phrase_hashes);
  for (const auto& theme : c.themes) bytes += HeapBytes(theme);
  for (const auto& value : c.rollups) bytes += HeapBytes(value);
  return bytes;
}

namespace {

void SpanToProto(const voc::aggregate::Span& span, voc::state::v1::Span* s) {
  s->mutable_counts()->Add(span.counts.begin(), span.counts.end());
  for (const auto& n : span.rollups) {
    auto* r = s->add_rollups();
    r->set_rollup(static_cast<int32_t>(n.rollup) + 1);
    r->set_value(n.value);
    r->set_count(n.count);
  }
  for (const auto& credit : span.credits) {
    s->add_credit_offsets(credit.offset);
    s->add_credit_arrs(credit.arr);
  }
}

// A readable span (Readable) into the processor's form.
void SpanFromProto(voc::state::v1::Span* s, voc::aggregate::Span* span) {
  std::copy(s->counts().begin(), s->counts().end(), span->counts.begin());
  span->rollups.clear();
  for (auto& r : *s->mutable_rollups()) {
    span->rollups.push_back({static_cast<voc::aggregate::Rollup>(r.rollup() - 1), std::move(*r.mutable_value()), r.count()});
  }
  span->credits.clear();
  for (int i = 0; i < s->credit_offsets_size(); ++i) span->credits.push_back({s->credit_offsets(i), s->credit_arrs(i)});
}

}  // namespace

void voc::state::Codec<voc::aggregate::SpanGroup>::Encode(const voc::aggregate::SpanGroup& group, std::string* out) {
  voc::state::v1::SpanGroup g;
  for (const auto& sized : group.spans) {
    auto* s = g.add_spans();
    s->set_size_ms(sized.size_ms);
    s->set_start_ms(sized.start_ms);
    SpanToProto(sized.span, s->mutable_span());
  }
  g.SerializeToString(out);
}

bool voc::state::Codec<voc::aggregate::SpanGroup>::Decode(std::string_view bytes, voc::aggregate::SpanGroup* group) {
  voc::state::v1::SpanGroup g;
  if (!g.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || !voc::aggregate::Readable(g)) return false;
  group->spans.resize(static_cast<size_t>(g.spans_size()));
  for (int i = 0; i < g.spans_size(); ++i) {
    auto& sized = group->spans[static_cast<size_t>(i)];
    sized.size_ms = g.spans(i).size_ms();
    sized.start_ms = g.spans(i).start_ms();
    SpanFromProto(g.mutable_spans(i)->mutable_span(), &sized.span);
  }
  return true;
}

size_t voc::state::Codec<voc::aggregate::SpanGroup>::Footprint(const voc::aggregate::SpanGroup& group) {
  using voc::state::HeapBytes;
  size_t bytes = sizeof(group) + HeapBytes(group.spans);
  for (const auto& sized : group.spans) {
    bytes += HeapBytes(sized.span.rollups) + HeapBytes(sized.span.credits);
    for (const auto& r : sized.span.rollups) bytes += HeapBytes(r.value);
  }
  return bytes;
}

void voc::state::Codec<voc::aggregate::PartitionMeta>::Encode(const voc::aggregate::PartitionMeta& meta,
                                                            std::string* out) {
  voc::state::v1::PartitionMeta stored;
  stored.set_watermark_ms(meta.watermark_ms);
  for (const auto& key : meta.dirty) stored.add_dirty(key);
  for (const auto& [end, key] : meta.open) {
    stored.add_open_end_ms(end);
    stored.add_open_key(key);
  }
  for (const auto& v : meta.rollup_values) {
    auto* out_value = stored.add_rollup_values();
    out_value->set_rollup(static_cast<int32_t>(v.rollup) + 1);
    out_value->set_value(v.value);
    out_value->set_last_event_ms(v.last_event_ms);
  }
  stored.SerializeToString(out);
}

bool voc::state::Codec<voc::aggregate::PartitionMeta>::Decode(std::string_view bytes,
                                                            voc::aggregate::PartitionMeta* meta) {
  voc::state::v1::PartitionMeta stored;
  if (!stored.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || !voc::aggregate::Readable(stored)) {
    return false;
  }
  meta->watermark_ms = stored.watermark_ms();
  meta->dirty.clear();
  for (auto& key : *stored.mutable_dirty()) meta->dirty.insert(std::move(key));
  meta->open.clear();
  for (int i = 0; i < stored.open_end_ms_size(); ++i) meta->open.emplace(stored.open_end_ms(i), stored.open_key(i));
  meta->rollup_values.clear();
  for (auto& v : *stored.mutable_rollup_values()) {
    meta->rollup_values.push_back(
        {static_cast<voc::aggregate::Rollup>(v.rollup() - 1), std::move(*v.mutable_value()), v.last_event_ms()});
  }
  return true;
}

size_t voc::state::Codec<voc::aggregate::PartitionMeta>::Footprint(const voc::aggregate::PartitionMeta& meta) {
  using voc::state::HeapBytes;
  // Hash and tree nodes: a pointer or three and the value, besides the strings' blocks.
  size_t bytes = sizeof(meta) + meta.dirty.bucket_count() * sizeof(void*) + HeapBytes(meta.rollup_values);
  for (const auto& key : meta.dirty) bytes += 2 * sizeof(void*) + sizeof(key) + HeapBytes(key);
  for (const auto& [end, key] : meta.open) bytes += 4 * sizeof(void*) + sizeof(end) + sizeof(key) + HeapBytes(key);
  for (const auto& v : meta.rollup_values) bytes += HeapBytes(v.value);
  return bytes;
}

bool voc::state::Codec<voc::aggregate::Window>::Decode(std::string_view bytes, voc::aggregate::Window* window) {
  return window->state.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) &&
         voc::aggregate::Readable(window->state);
}
