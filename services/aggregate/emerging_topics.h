// voc-aggregate's emerging topics: phrases that feedback no theme matched uses well above
// their own history, for a taxonomy owner to name (issue 13, item 5).
//
// Fed by the overall ("*") contributions, which carry the feedback's phrases
// (common/text/phrases.h) and its themes. Per event-time window (aggregate.topics.window,
// 1h by default) two Space-Saving sketches of bounded capacity count phrases: in feedback
// no theme matched (with a few example ids) and in all feedback (with the themes each
// phrase co-occurs with). When the watermark closes a window, each unthemed phrase whose
// guaranteed count (count less the sketch's error bound) reaches the floor and `growth`
// times its expected count (+ a prior) is emitted as a voc.v1.EmergingTopic keyed by
// phrase; then the window's counts feed each phrase's history (a smoothed per-window
// count, kept for a bounded number of phrases) and the window's state is dropped.
//
// Effectively once: hooks run only for contributions the processor applies or takes back
// (a redelivered revision reaches none), a window is closed once (the partition's progress
// remembers how far windows are closed, and a mention of a closed window changes nothing),
// and all of it lives in the processor's stores, written with its offsets. Approximate:
// the sketches' counts (bounded error, reported), and a retraction only takes a phrase back
// out of a sketch that still tracks it, from a window still open.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/runtime/processor.h"
#include "voc/state/v1/topic.pb.h"
#include "voc/v1/topic.pb.h"

namespace prometheus {
class Registry;
}

namespace voc::aggregate {

struct TopicOptions {
  bool enabled = true;
  std::string topics_topic = "voc.topics.emerging";
  std::chrono::milliseconds window{std::chrono::hours(1)};
  std::chrono::milliseconds allowed_lateness{std::chrono::hours(1)};  // the aggregate's: a window closes with its windows
  size_t sketch_capacity = 256;   // phrases each of a window's two sketches tracks
  int64_t floor = 10;             // unthemed feedback with the phrase in the window, at least
  double growth = 3.0;            // ... and at least this many times its expected count + prior
  double prior = 1.0;             // expected count of a phrase without history
  uint32_t history_windows = 24;  // the history's memory: smoothing 2 / (n + 1) per window
  size_t history_capacity = 1024;  // phrases with a history; the weakest is forgotten first
  uint32_t min_history_windows = 3;  // windows closed before the first emission (warm-up)
  size_t max_per_window = 20;     // emitted per window at most, the highest growth first
  size_t examples = 3;            // example feedback ids per phrase
  size_t co_themes = 5;           // co-occurring themes tracked per phrase
  std::string service_version = "0.1.0";
};

// One phrase a sketch tracks.
struct PhraseCounter {
  std::string phrase;
  int64_t count = 0;  // overestimates the true count by at most error
  int64_t error = 0;
  std::vector<std::string> examples;                         // smallest feedback ids, ascending
  std::vector<std::pair<std::string, int64_t>> co_themes;  // by theme id
};

// A phrase's 64-bit hash (Hash64, XXH3: stable, so stored contributions keep theirs): what
// the sketches look phrases up by, and all an overall contribution keeps of its phrases to
// take them back out (a collision, about 2^-64 a pair, would take back the other phrase).
uint64_t PhraseHash(std::string_view phrase);

// Space-Saving (Metwally, Agrawal and El Abbadi, 2005): at most `capacity` counters; a
// phrase not tracked takes over the smallest counter and inherits its count as its error.
// For each tracked phrase count - error <= true count <= count, and every phrase whose
// true count exceeds total / capacity is tracked. Ties go to the smaller phrase, so the
// same input in the same order gives the same sketch. NOT thread-safe.
class PhraseSketch {
 public:
  explicit PhraseSketch(size_t capacity = 256) : capacity_(capacity > 0 ? capacity : 1) {}

  // One more occurrence: the phrase's counter (taken over from the smallest when full).
  PhraseCounter& Add(std::string_view phrase) { return Add(PhraseHash(phrase), phrase); }
  PhraseCounter& Add(uint64_t hash, std::string_view phrase);  // hash: PhraseHash(phrase)
  // One occurrence taken back; nullptr (and nothing changes) when the phrase is not tracked.
  PhraseCounter* Subtract(std::string_view phrase) { return Subtract(PhraseHash(phrase)); }
  PhraseCounter* Subtract(uint64_t hash);
  const PhraseCounter* Find(std::string_view phrase) const { return Find(PhraseHash(phrase)); }
  const PhraseCounter* Find(uint64_t hash) const;

  const std::vector<PhraseCounter>& counters() const { return counters_; }
  size_t capacity() const { return capacity_; }
  int64_t total() const { return total_; }  // occurrences added less those taken back
  size_t footprint() const;  // the heap the sketch holds
  // Changes the capacity; shrinking drops the smallest counters.
  void SetCapacity(size_t capacity);
  // Replaces the counters (as stored); beyond the capacity the smallest are dropped.
  void Assign(std::vector<PhraseCounter> counters, int64_t total);

 private:
  bool Less(uint32_t a, uint32_t b) const;
  void Swap(size_t i, size_t j);
  void SiftUp(size_t at);
  void SiftDown(size_t at);
  void Rebuild();

  size_t capacity_;
  int64_t total_ = 0;
  std::vector<PhraseCounter> counters_;  // by slot
  std::vector<uint32_t> heap_;           // slots, the smallest (count, phrase) first
  std::vector<uint32_t> place_;          // slot -> its place in heap_
  std::unordered_map<uint64_t, uint32_t> slots_;  // phrase hash -> slot
};

// One window's sketches (store "topic_window").
struct TopicWindow {
  int64_t start_ms = 0;
  int64_t size_ms = 0;
  PhraseSketch unthemed;  // phrases of feedback no theme matched, with examples
  PhraseSketch all;       // phrases of all feedback, with co-occurring themes
};

}  // namespace voc::aggregate

// Stored as voc.state.v1.TopicWindowState; Decode refuses phrases, ids or themes that are
// not UTF-8 (they go back out in topic strings), negative counts or an error above its count.
template <>
struct voc::state::Codec<voc::aggregate::TopicWindow> {
  static void Encode(const voc::aggregate::TopicWindow& window, std::string* out);
  static bool Decode(std::string_view bytes, voc::aggregate::TopicWindow* window);
  static size_t Footprint(const voc::aggregate::TopicWindow& window);
};

namespace voc::aggregate {

struct TopicProbe;

// NOT thread-safe: runs on the aggregate processor's thread.
class EmergingTopics {
 public:
  EmergingTopics(TopicOptions options, prometheus::Registry& registry);
  ~EmergingTopics();

  // Stores: topic_window (an open window's sketches) and topic_progress (a partition's
  // open windows, how far windows are closed, each tracked phrase's history).
  void Open(runtime::Setup& setup, std::chrono::seconds ttl);

  // A contribution of theme_id entered (sign +1) or left (-1) its windows; only the
  // overall theme's ("*") are counted. phrase_hashes: PhraseHash of each phrase; phrases:
  // the phrases themselves, in the same order, needed only to enter (a phrase new to a
  // sketch is stored whole; nullptr to leave). themes: the feedback's ("other" alone:
  // unthemed).
  void OnContribution(PartitionId partition, const std::string& theme_id, const std::string& feedback_id,
                      int64_t event_time_ms, std::span<const uint64_t> phrase_hashes,
                      const google::protobuf::RepeatedPtrField<std::string>* phrases,
                      const std::vector<std::string>& themes, int sign);

  // The partition's watermark moved: closes the windows it passed, emitting what rose.
  void OnWatermark(PartitionId partition, int64_t watermark_ms, runtime::Context& ctx);

 private:
  void Close(PartitionId partition, voc::state::v1::TopicProgressState& progress, int64_t start_ms,
             runtime::Context& ctx);

  TopicOptions options_;
  double smoothing_;
  std::unique_ptr<TopicProbe> probe_;
  state::KeyValueStore<TopicWindow>* windows_ = nullptr;
  state::KeyValueStore<voc::state::v1::TopicProgressState>* progress_ = nullptr;
  // Reused per record: no allocation on the hot path.
  std::string key_;
  voc::v1::EmergingTopic topic_;
  std::string bytes_;
};

}  // namespace voc::aggregate
