#include "services/aggregate/emerging_topics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <cmath>

#include "common/core/decimal.h"
#include "common/core/hash.h"
#include "common/core/string_map.h"
#include "common/core/limits.h"
#include "common/core/theme_ids.h"
#include "common/core/utf8.h"

namespace voc::aggregate {

struct TopicProbe {
  explicit TopicProbe(prometheus::Registry& r)
      : events(prometheus::BuildCounter()
                   .Name("voc_aggregate_emerging_topics_total")
                   .Help("Emerging-topic detection: phrases emitted, windows closed, and mentions of windows "
                         "already closed (not counted).")
                   .Labels({{"service", "voc-aggregate"}})
                   .Register(r)),
        emitted(events.Add({{"event", "emitted"}})),
        closed(events.Add({{"event", "window_closed"}})),
        late(events.Add({{"event", "late_mention"}})) {}
  prometheus::Family<prometheus::Counter>& events;
  prometheus::Counter& emitted;
  prometheus::Counter& closed;
  prometheus::Counter& late;
};

namespace {

constexpr char kProgressKey[] = "progress";  // the one progress value of each partition
constexpr int64_t kMaxCount = int64_t{1} << 40;
constexpr uint32_t kMaxHistoryWindows = 1'000'000;
constexpr double kForgotten = 0.01;  // a history this small says nothing any more

using History = voc::state::v1::TopicProgressState::History;

// The themes a phrase co-occurs with: at most `cap`, a new one taking over the rarest.
void AddCoTheme(PhraseCounter& c, const std::string& theme, size_t cap) {
  auto& v = c.co_themes;
  auto it = std::lower_bound(v.begin(), v.end(), theme, [](const auto& e, const std::string& id) { return e.first < id; });
  if (it != v.end() && it->first == theme) {
    ++it->second;
    return;
  }
  if (cap == 0) return;
  int64_t count = 1;
  if (v.size() >= cap) {
    auto rarest = std::min_element(v.begin(), v.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    count = rarest->second + 1;
    v.erase(rarest);
    it = std::lower_bound(v.begin(), v.end(), theme, [](const auto& e, const std::string& id) { return e.first < id; });
  }
  v.insert(it, {theme, count});
}

void SubtractCoTheme(PhraseCounter& c, const std::string& theme) {
  auto& v = c.co_themes;
  auto it = std::lower_bound(v.begin(), v.end(), theme, [](const auto& e, const std::string& id) { return e.first < id; });
  if (it == v.end() || it->first != theme) return;
  if (--it->second <= 0) v.erase(it);
}

// Examples: the smallest ids counted, as the windows keep theirs (the same whatever the order).
void AddExample(PhraseCounter& c, const std::string& id, size_t cap) {
  auto& v = c.examples;
  auto it = std::lower_bound(v.begin(), v.end(), id);
  if ((it != v.end() && *it == id) || (v.size() >= cap && it == v.end())) return;
  v.insert(it, id);
  if (v.size() > cap) v.pop_back();
}

void RemoveExample(PhraseCounter& c, const std::string& id) {
  auto it = std::lower_bound(c.examples.begin(), c.examples.end(), id);
  if (it != c.examples.end() && *it == id) c.examples.erase(it);
}

// A theme or phrase listed twice in one feedback counts once.
template <typename T>
bool SeenBefore(std::span<const T> values, size_t i) {
  return std::find(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(i), values[i]) !=
         values.begin() + static_cast<std::ptrdiff_t>(i);
}

bool ReadablePhrase(std::string_view s) { return !s.empty() && s.size() <= kMaxPhraseBytes && IsValidUtf8(s); }

void EncodeSketch(const PhraseSketch& sketch, voc::state::v1::PhraseSketchState* out) {
  for (const auto& c : sketch.counters()) {
    auto* s = out->add_counters();
    s->set_phrase(c.phrase);
    s->set_count(c.count);
    s->set_error(c.error);
    for (const auto& id : c.examples) s->add_examples(id);
    for (const auto& [theme, count] : c.co_themes) {
      s->add_co_theme(theme);
      s->add_co_theme_count(count);
    }
  }
  out->set_total(sketch.total());
}

bool DecodeSketch(voc::state::v1::PhraseSketchState& in, PhraseSketch* sketch) {
  std::vector<PhraseCounter> counters;
  counters.reserve(static_cast<size_t>(in.counters_size()));
  StringSet phrases;
  for (auto& s : *in.mutable_counters()) {
    if (!ReadablePhrase(s.phrase()) || s.count() < 0 || s.count() > kMaxCount || s.error() < 0 ||
        s.error() > s.count() || s.co_theme_size() != s.co_theme_count_size() || !phrases.insert(s.phrase()).second) {
      return false;
    }
    auto& c = counters.emplace_back();
    for (int i = 0; i < s.examples_size(); ++i) {
      if (s.examples(i).empty() || !IsValidUtf8(s.examples(i)) || (i > 0 && s.examples(i - 1) >= s.examples(i))) {
        return false;
      }
    }
    for (int i = 0; i < s.co_theme_size(); ++i) {
      if (s.co_theme(i).empty() || !IsValidUtf8(s.co_theme(i)) || s.co_theme_count(i) < 0 ||
          s.co_theme_count(i) > kMaxCount || (i > 0 && s.co_theme(i - 1) >= s.co_theme(i))) {
        return false;
      }
      c.co_themes.emplace_back(std::move(*s.mutable_co_theme(i)), s.co_theme_count(i));
    }
    c.phrase = std::move(*s.mutable_phrase());
    c.count = s.count();
    c.error = s.error();
    for (auto& id : *s.mutable_examples()) c.examples.push_back(std::move(id));
  }
  if (in.total() < 0 || in.total() > kMaxCount) return false;
  sketch->SetCapacity(std::max<size_t>(counters.size(), 1));  // the processor sets its own after reading
  sketch->Assign(std::move(counters), in.total());
  return true;
}

// Zero counts for the windows between a phrase's last one and `start_ms`: its history
// then expects what it would have for the window before `start_ms`.
void CatchUp(History& h, int64_t start_ms, int64_t size_ms, double smoothing) {
  if (h.last_window_ms() + size_ms >= start_ms) return;
  int64_t missed = (start_ms - h.last_window_ms()) / size_ms - 1;
  double baseline = h.baseline();
  uint32_t windows = h.windows();
  // A young history averages what it has seen; an older one smooths at the fixed rate.
  for (; missed > 0 && 1.0 / (windows + 1.0) > smoothing; --missed) {
    baseline *= 1.0 - 1.0 / (windows + 1.0);
    ++windows;
  }
  if (missed > 0) {
    baseline *= std::pow(1.0 - smoothing, static_cast<double>(missed));
    windows = static_cast<uint32_t>(std::min<int64_t>(windows + missed, kMaxHistoryWindows));
  }
  h.set_baseline(baseline < kForgotten / 2 ? 0.0 : baseline);
  h.set_windows(windows);
  h.set_last_window_ms(start_ms - size_ms);
}

void Observe(History& h, int64_t count, int64_t start_ms, double smoothing) {
  const double a = std::max(smoothing, 1.0 / (h.windows() + 1.0));
  h.set_baseline((1.0 - a) * h.baseline() + a * static_cast<double>(count));
  h.set_windows(std::min(h.windows() + 1, kMaxHistoryWindows));
  h.set_last_window_ms(start_ms);
}

}  // namespace

uint64_t PhraseHash(std::string_view phrase) { return Hash64(phrase); }

// ---- PhraseSketch ----

bool PhraseSketch::Less(uint32_t a, uint32_t b) const {
  const PhraseCounter& x = counters_[a];
  const PhraseCounter& y = counters_[b];
  return x.count != y.count ? x.count < y.count : x.phrase < y.phrase;
}

void PhraseSketch::Swap(size_t i, size_t j) {
  std::swap(heap_[i], heap_[j]);
  place_[heap_[i]] = static_cast<uint32_t>(i);
  place_[heap_[j]] = static_cast<uint32_t>(j);
}

void PhraseSketch::SiftUp(size_t at) {
  while (at > 0) {
    const size_t parent = (at - 1) / 2;
    if (!Less(heap_[at], heap_[parent])) break;
    Swap(at, parent);
    at = parent;
  }
}

void PhraseSketch::SiftDown(size_t at) {
  const size_t n = heap_.size();
  for (;;) {
    const size_t left = 2 * at + 1;
    if (left >= n) break;
    size_t least = left;
    if (left + 1 < n && Less(heap_[left + 1], heap_[left])) least = left + 1;
    if (!Less(heap_[least], heap_[at])) break;
    Swap(at, least);
    at = least;
  }
}

size_t PhraseSketch::footprint() const {
  using state::HeapBytes;
  // The hash map's nodes: a pointer, the pair, and the bucket.
  size_t bytes = HeapBytes(counters_) + HeapBytes(heap_) + HeapBytes(place_) +
                 slots_.size() * (2 * sizeof(void*) + sizeof(std::pair<uint64_t, uint32_t>)) +
                 slots_.bucket_count() * sizeof(void*);
  for (const auto& c : counters_) {
    bytes += HeapBytes(c.phrase) + HeapBytes(c.examples) + HeapBytes(c.co_themes);
    for (const auto& [theme, count] : c.co_themes) bytes += HeapBytes(theme);
  }
  return bytes;
}

PhraseCounter& PhraseSketch::Add(uint64_t hash, std::string_view phrase) {
  ++total_;
  if (auto it = slots_.find(hash); it != slots_.end()) {
    const uint32_t slot = it->second;
    ++counters_[slot].count;
    SiftDown(place_[slot]);
    return counters_[slot];
  }
  if (counters_.size() < capacity_) {
    const auto slot = static_cast<uint32_t>(counters_.size());
    PhraseCounter& c = counters_.emplace_back();
    c.phrase.assign(phrase);
    c.count = 1;
    slots_.emplace(hash, slot);
    heap_.push_back(slot);
    place_.push_back(static_cast<uint32_t>(heap_.size() - 1));
    SiftUp(heap_.size() - 1);
    return counters_[slot];
  }
  // Full: the smallest counter is the new phrase's, its count the new one's error.
  const uint32_t slot = heap_[0];
  PhraseCounter& c = counters_[slot];
  slots_.erase(PhraseHash(c.phrase));
  c.phrase.assign(phrase);
  c.error = c.count;
  ++c.count;
  c.examples.clear();
  c.co_themes.clear();
  slots_.emplace(hash, slot);
  SiftDown(0);
  return c;
}

PhraseCounter* PhraseSketch::Subtract(uint64_t hash) {
  if (total_ > 0) --total_;
  auto it = slots_.find(hash);
  if (it == slots_.end()) return nullptr;
  const uint32_t slot = it->second;
  PhraseCounter& c = counters_[slot];
  if (c.count > 0) --c.count;
  c.error = std::min(c.error, c.count);
  SiftUp(place_[slot]);
  return &c;
}

const PhraseCounter* PhraseSketch::Find(uint64_t hash) const {
  auto it = slots_.find(hash);
  return it == slots_.end() ? nullptr : &counters_[it->second];
}

void PhraseSketch::SetCapacity(size_t capacity) {
  capacity_ = std::max<size_t>(capacity, 1);
  if (counters_.size() > capacity_) Assign(std::move(counters_), total_);
}

void PhraseSketch::Assign(std::vector<PhraseCounter> counters, int64_t total) {
  counters_ = std::move(counters);
  total_ = total;
  if (counters_.size() > capacity_) {
    std::sort(counters_.begin(), counters_.end(), [](const PhraseCounter& a, const PhraseCounter& b) {
      return a.count != b.count ? a.count > b.count : a.phrase < b.phrase;
    });
    counters_.resize(capacity_);
  }
  Rebuild();
}

void PhraseSketch::Rebuild() {
  slots_.clear();
  heap_.resize(counters_.size());
  place_.resize(counters_.size());
  for (uint32_t slot = 0; slot < counters_.size(); ++slot) {
    slots_.emplace(PhraseHash(counters_[slot].phrase), slot);
    heap_[slot] = slot;
    place_[slot] = slot;
  }
  for (size_t i = heap_.size() / 2; i-- > 0;) SiftDown(i);
}

// ---- EmergingTopics ----

EmergingTopics::EmergingTopics(TopicOptions options, prometheus::Registry& registry)
    : options_(std::move(options)),
      smoothing_(2.0 / (std::max<uint32_t>(options_.history_windows, 1) + 1.0)),
      probe_(std::make_unique<TopicProbe>(registry)) {}

EmergingTopics::~EmergingTopics() = default;

void EmergingTopics::Open(runtime::Setup& setup, std::chrono::seconds ttl) {
  // Declared also when disabled: a state folder opens whether the feature is on or off.
  windows_ =
      setup.Store<TopicWindow>({.name = "topic_window", .ttl = ttl, .ttl_in_event_time = true});
  progress_ = setup.Store<voc::state::v1::TopicProgressState>({.name = "topic_progress"});
}

void EmergingTopics::OnContribution(PartitionId partition, const std::string& theme_id,
                                    const std::string& feedback_id, int64_t event_time_ms,
                                    std::span<const uint64_t> phrase_hashes,
                                    const google::protobuf::RepeatedPtrField<std::string>* phrases,
                                    const std::vector<std::string>& themes, int sign) {
  if (!options_.enabled || phrase_hashes.empty() || theme_id != kOverallThemeId) return;
  if (sign > 0 && (phrases == nullptr || static_cast<size_t>(phrases->size()) != phrase_hashes.size())) {
    return;  // a caller's mistake: nothing to count
  }
  const int64_t size = options_.window.count();
  const int64_t start = event_time_ms - event_time_ms % size;  // event times are positive
  const voc::state::v1::TopicProgressState* seen = progress_->Get(partition, kProgressKey);
  if (seen != nullptr && start < seen->closed_through_ms()) {
    probe_->late.Increment();  // that window has been judged: its emission stands
    return;
  }
  key_.clear();
  AppendDecimal(&key_, start);
  bool created = false;
  TopicWindow& window = windows_->Update(partition, key_, &created);
  if (created) {
    if (sign < 0) {  // nothing of it is counted (its window expired)
      windows_->Delete(partition, key_);
      return;
    }
    window.start_ms = start;
    window.size_ms = size;
    auto* open = progress_->Update(partition, kProgressKey).mutable_open_start_ms();
    auto at = std::lower_bound(open->begin(), open->end(), start);
    if (at == open->end() || *at != start) {
      const auto index = at - open->begin();
      open->Add(start);
      std::rotate(open->begin() + index, open->end() - 1, open->end());
    }
  }
  if (window.unthemed.capacity() != options_.sketch_capacity) {
    window.unthemed.SetCapacity(options_.sketch_capacity);
    window.all.SetCapacity(options_.sketch_capacity);
  }
  const bool unthemed =
      std::all_of(themes.begin(), themes.end(), [](const std::string& t) { return t == kUnthemedId; });
  const std::span<const std::string> theme_list(themes);
  for (size_t k = 0; k < phrase_hashes.size(); ++k) {
    const uint64_t hash = phrase_hashes[k];
    if (SeenBefore(phrase_hashes, k)) continue;
    if (sign > 0) {
      const std::string& phrase = phrases->Get(static_cast<int>(k));
      PhraseCounter& all = window.all.Add(hash, phrase);
      for (size_t i = 0; i < themes.size(); ++i) {
        if (themes[i] != kUnthemedId && !SeenBefore(theme_list, i)) AddCoTheme(all, themes[i], options_.co_themes);
      }
      if (unthemed) AddExample(window.unthemed.Add(hash, phrase), feedback_id, options_.examples);
    } else {
      if (PhraseCounter* all = window.all.Subtract(hash)) {
        for (size_t i = 0; i < themes.size(); ++i) {
          if (themes[i] != kUnthemedId && !SeenBefore(theme_list, i)) SubtractCoTheme(*all, themes[i]);
        }
      }
      if (unthemed) {
        if (PhraseCounter* u = window.unthemed.Subtract(hash)) RemoveExample(*u, feedback_id);
      }
    }
  }
}

void EmergingTopics::OnWatermark(PartitionId partition, int64_t watermark_ms, runtime::Context& ctx) {
  if (!options_.enabled) return;
  const int64_t wait = options_.window.count() + options_.allowed_lateness.count();
  const voc::state::v1::TopicProgressState* seen = progress_->Get(partition, kProgressKey);
  if (seen == nullptr || seen->open_start_ms().empty() || seen->open_start_ms(0) + wait > watermark_ms) return;
  auto& progress = progress_->Update(partition, kProgressKey);
  while (!progress.open_start_ms().empty() && progress.open_start_ms(0) + wait <= watermark_ms) {
    const int64_t start = progress.open_start_ms(0);
    progress.mutable_open_start_ms()->erase(progress.mutable_open_start_ms()->begin());
    Close(partition, progress, start, ctx);
  }
}

void EmergingTopics::Close(PartitionId partition, voc::state::v1::TopicProgressState& progress, int64_t start_ms,
                           runtime::Context& ctx) {
  const int64_t size = options_.window.count();
  progress.set_closed_through_ms(std::max(progress.closed_through_ms(), start_ms + size));
  probe_->closed.Increment();
  key_.clear();
  AppendDecimal(&key_, start_ms);
  const TopicWindow* window = windows_->Get(partition, key_);
  if (window == nullptr) return;  // expired
  auto& history = *progress.mutable_history();  // by phrase
  for (auto& h : history) CatchUp(h, start_ms, size, smoothing_);
  auto find = [&](const std::string& phrase) -> History* {
    auto it = std::lower_bound(history.begin(), history.end(), phrase,
                               [](const History& h, const std::string& p) { return h.phrase() < p; });
    return it != history.end() && it->phrase() == phrase ? &*it : nullptr;
  };

  // The test, on what the sketch guarantees: count less its error bound.
  struct Rise {
    const PhraseCounter* counter;
    double expected;
    double growth;
    int64_t first_seen_ms;
  };
  std::vector<Rise> rises;
  if (progress.windows_closed() >= options_.min_history_windows) {
    for (const PhraseCounter& c : window->unthemed.counters()) {
      const int64_t guaranteed = c.count - c.error;
      if (guaranteed < options_.floor) continue;
      const History* h = find(c.phrase);
      const double expected = h != nullptr ? h->baseline() : 0.0;
      const double growth = static_cast<double>(guaranteed) / (expected + options_.prior);
      if (growth < options_.growth) continue;
      rises.push_back({&c, expected, growth, h != nullptr && h->first_seen_ms() > 0 ? h->first_seen_ms() : start_ms});
    }
  }
  // "dark" and "mode" rise with "dark mode": a phrase inside a longer one that rose about
  // as much is that one's, and goes unsaid.
  auto inside = [](const std::string& part, const std::string& whole) {
    if (part.size() >= whole.size()) return false;
    for (size_t at = whole.find(part); at != std::string::npos; at = whole.find(part, at + 1)) {
      const size_t end = at + part.size();
      if ((at == 0 || whole[at - 1] == ' ') && (end == whole.size() || whole[end] == ' ')) return true;
    }
    return false;
  };
  std::vector<Rise> kept;
  for (const Rise& r : rises) {
    const bool covered = std::any_of(rises.begin(), rises.end(), [&](const Rise& longer) {
      return inside(r.counter->phrase, longer.counter->phrase) &&
             5 * (longer.counter->count - longer.counter->error) >= 4 * (r.counter->count - r.counter->error);
    });
    if (!covered) kept.push_back(r);
  }
  rises.swap(kept);
  std::sort(rises.begin(), rises.end(), [](const Rise& a, const Rise& b) {
    return a.growth != b.growth ? a.growth > b.growth : a.counter->phrase < b.counter->phrase;
  });
  if (rises.size() > options_.max_per_window) rises.resize(options_.max_per_window);
  for (const Rise& r : rises) {
    const PhraseCounter& u = *r.counter;
    const PhraseCounter* all = window->all.Find(u.phrase);
    topic_.Clear();
    topic_.set_schema_version(1);
    topic_.set_phrase(u.phrase);
    topic_.set_window_start_ms(start_ms);
    topic_.set_window_size_ms(size);
    topic_.set_count(all != nullptr ? std::max(all->count, u.count) : u.count);
    topic_.set_unthemed_count(u.count);
    topic_.set_expected(r.expected);
    topic_.set_growth(r.growth);
    for (const auto& id : u.examples) topic_.add_example_feedback_ids(id);
    if (all != nullptr) {
      std::vector<const std::pair<std::string, int64_t>*> themes;
      for (const auto& t : all->co_themes) themes.push_back(&t);
      std::sort(themes.begin(), themes.end(),
                [](const auto* a, const auto* b) { return a->second != b->second ? a->second > b->second : a->first < b->first; });
      for (const auto* t : themes) {
        auto* co = topic_.add_co_themes();
        co->set_theme_id(t->first);
        co->set_count(t->second);
      }
    }
    topic_.set_first_seen_ms(r.first_seen_ms);
    topic_.set_count_error(std::max(u.error, all != nullptr ? all->error : 0));
    auto* meta = topic_.mutable_meta();
    meta->set_service("voc-aggregate");
    meta->set_service_version(options_.service_version);
    meta->set_processed_at_ms(ctx.now_ms);
    topic_.SerializeToString(&bytes_);
    ctx.out.Emit(options_.topics_topic, u.phrase, bytes_);
    probe_->emitted.Increment();
  }

  // The window feeds the history: every phrase with one observes its count (0 when the
  // sketch lost it), a new phrase starts one.
  std::vector<History> added;
  for (auto& h : history) {
    const PhraseCounter* c = window->unthemed.Find(h.phrase());
    Observe(h, c != nullptr ? c->count : 0, start_ms, smoothing_);
  }
  for (const PhraseCounter& c : window->unthemed.counters()) {
    if (c.count <= 0 || find(c.phrase) != nullptr) continue;
    History& h = added.emplace_back();
    h.set_phrase(c.phrase);
    h.set_baseline(static_cast<double>(c.count));
    h.set_last_window_ms(start_ms);
    h.set_first_seen_ms(start_ms);
    h.set_windows(1);
  }
  for (auto& h : added) *history.Add() = std::move(h);
  history.erase(std::remove_if(history.begin(), history.end(), [](const History& h) { return h.baseline() < kForgotten; }),
                history.end());
  // Bounded: the strongest histories stay.
  if (static_cast<size_t>(history.size()) > options_.history_capacity) {
    std::sort(history.begin(), history.end(), [](const History& a, const History& b) {
      return a.baseline() != b.baseline() ? a.baseline() > b.baseline() : a.phrase() < b.phrase();
    });
    history.DeleteSubrange(static_cast<int>(options_.history_capacity),
                           history.size() - static_cast<int>(options_.history_capacity));
  }
  std::sort(history.begin(), history.end(), [](const History& a, const History& b) { return a.phrase() < b.phrase(); });
  progress.set_windows_closed(progress.windows_closed() + 1);
  windows_->Delete(partition, key_);
}

}  // namespace voc::aggregate

void voc::state::Codec<voc::aggregate::TopicWindow>::Encode(const voc::aggregate::TopicWindow& window,
                                                            std::string* out) {
  voc::state::v1::TopicWindowState stored;
  stored.set_window_start_ms(window.start_ms);
  stored.set_window_size_ms(window.size_ms);
  voc::aggregate::EncodeSketch(window.unthemed, stored.mutable_unthemed());
  voc::aggregate::EncodeSketch(window.all, stored.mutable_all());
  stored.SerializeToString(out);
}

size_t voc::state::Codec<voc::aggregate::TopicWindow>::Footprint(const voc::aggregate::TopicWindow& window) {
  return sizeof(window) + window.unthemed.footprint() + window.all.footprint();
}

bool voc::state::Codec<voc::aggregate::TopicWindow>::Decode(std::string_view bytes,
                                                            voc::aggregate::TopicWindow* window) {
  voc::state::v1::TopicWindowState stored;
  if (!stored.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || stored.window_size_ms() < 1) {
    return false;
  }
  window->start_ms = stored.window_start_ms();
  window->size_ms = stored.window_size_ms();
  return voc::aggregate::DecodeSketch(*stored.mutable_unthemed(), &window->unthemed) &&
         voc::aggregate::DecodeSketch(*stored.mutable_all(), &window->all);
}
