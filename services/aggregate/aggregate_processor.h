// voc-aggregate's logic: event-time tumbling windows per theme x channel (and an
// all-channels rollup), fed by ThemeMentions. Idempotent by (feedback_id, revision): a
// contribution is stored with the revision that made it, so a redelivered mention
// changes nothing and a new revision replaces the old one exactly. Emits upserts of
// absolute values at most once per emit interval per window, and once more when the
// window closes; late data re-opens a closed window as a correction.
//
// State: each contribution (what one feedback gave one theme) is an entry of its own, and
// so are a customer's spans within one window of the largest size (a span: one customer in
// one window span of a theme, whether it counts there and the ARR it carries), so a
// mention reads and writes two small entries whatever the customer's history and however
// many window sizes there are. Unique customers and the ARR they carry are counted in the
// windows as spans change.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/runtime/processor.h"
#include "services/aggregate/emerging_topics.h"
#include "services/aggregate/theme_insights.h"
#include "voc/state/v1/state.pb.h"
#include "voc/v1/theme.pb.h"

namespace prometheus {
class Registry;
}

namespace voc::aggregate {

// Rollups besides theme x channel: every theme (the overall "*" included) by the
// customer's segment and by app version, all channels together. Each keeps windows of
// their own for a capped number of values per partition; the rest count as "other".
enum class Rollup : uint8_t { kSegment, kAppVersion };
inline constexpr size_t kRollups = 2;

struct AggregateOptions {
  std::string aggregates_topic = "voc.theme.aggregates";
  // Each size divides the largest (NestedWindowSizes), whose windows group a customer's spans.
  std::vector<std::chrono::milliseconds> window_sizes = {std::chrono::hours(1), std::chrono::hours(24)};
  std::chrono::milliseconds allowed_lateness{std::chrono::hours(1)};  // closes window end + this after the watermark
  std::chrono::milliseconds retention{std::chrono::hours(24 * 30)};   // older mentions go to the dead letters
  std::chrono::milliseconds emit_interval{1000};
  size_t examples = 3;  // example feedback ids per window
  // By rollup: how many values get windows of their own in a partition (0: the rollup is
  // off). A value unseen for the retention frees its place.
  std::array<size_t, kRollups> rollup_max_values = {16, 16};
  std::string service_version = "0.1.0";
  // Theme spikes and release regressions, on the hourly windows (a window size of 1h).
  InsightOptions insights;
  // Emerging topics from the overall ("*") mentions' phrases (emerging_topics.h).
  TopicOptions topics;
};

// What one feedback adds to one theme, or, retracted, the tombstone that remembers the
// revision which took it back out.
struct Contribution {
  std::string feedback_id;
  uint32_t revision = 0;
  bool retracted = false;
  bool sentiment_scored = false;
  bool near_duplicate = false;
  int32_t channel = 0;
  int32_t nps = -1;  // -1: none
  int32_t csat = 0;  // 0: none
  int64_t event_time_ms = 0;
  int64_t sentiment_micros = 0;
  int64_t arr = 0;
  int64_t source_timestamp_ms = 0;
  std::string app_version;  // for the release stats, which take it back out with it
  std::vector<std::string> themes;  // of an overall ("*") contribution: the drivers it counts in
  std::vector<uint64_t> phrase_hashes;  // of an overall contribution (PhraseHash): emerging topics take them back out
  std::array<std::string, kRollups> rollups;  // the value it counts under in each rollup; empty: none
  // Input offset of the mention that made it: in each window, a customer's ARR is the
  // one its latest live contribution there carried (the same after a reload).
  int64_t applied_offset = 0;
};

// One customer within one window span of a theme: its live contributions there by
// channel (0: all channels) and by rollup value, and the input offset and ARR of the
// latest ones, so the ARR credited to the span is the latest one's, and the one before
// takes over when it leaves. At most kMaxCredits are kept, so a customer id that many
// feedback share (anonymous reviews) keeps a small span; when a span's kept credits have
// all left while contributions remain, they are found again from the contributions.
inline constexpr size_t kMaxCredits = 16;
struct Span {
  std::array<int64_t, 4> counts{};
  struct RollupCount {
    Rollup rollup;
    std::string value;
    int64_t count = 0;
  };
  std::vector<RollupCount> rollups = {};
  struct Credit {
    int64_t offset = 0;
    int64_t arr = 0;
  };
  std::vector<Credit> credits = {};  // by offset, the latest at most kMaxCredits live contributions
  int64_t arr() const { return credits.empty() ? 0 : credits.back().arr; }
};

// One customer's spans within one window of the largest size (a day): one per window size
// and start that holds a live contribution of the customer (the day's, and its hours'), so
// a mention reads and writes one entry for all of them.
struct SpanGroup {
  struct Sized {
    int64_t size_ms = 0;
    int64_t start_ms = 0;
    Span span;
  };
  std::vector<Sized> spans;  // by size, then start
  // The span of that window, an empty one put in its place where there is none.
  Span& Of(int64_t size_ms, int64_t start_ms);
};

// Whether every window size divides the largest, so that each window lies within one
// window of the largest size: what SpanGroup needs. Sizes must be positive.
bool NestedWindowSizes(const std::vector<std::chrono::milliseconds>& sizes);

// One window's state, and whether it is known to be among the partition's dirty windows
// (false says nothing: not checked yet).
struct Window {
  voc::state::v1::WindowState state;
  // Whether meta.dirty lists it: bookkeeping of the cached copy, never stored, so the
  // emission clears it on a window it only reads.
  mutable bool listed_dirty = false;
};

// A partition's progress: the event-time watermark, the windows changed since they were
// last emitted, and the open windows by the time they close.
struct PartitionMeta {
  int64_t watermark_ms = 0;
  std::unordered_set<std::string> dirty;
  std::multimap<int64_t, std::string> open;
  // The values each rollup gives windows of their own, with the latest event time each
  // was seen at.
  struct RollupValue {
    Rollup rollup;
    std::string value;
    int64_t last_event_ms = 0;
  };
  std::vector<RollupValue> rollup_values;
};

}  // namespace voc::aggregate

// How the aggregate's values are stored (voc.state.v1 messages; format voc-aggregate/9).
// Decode refuses a value that breaks what the processor writes (ids not UTF-8, counts,
// times or channels out of their bounds, contributions or examples out of order).
template <>
struct voc::state::Codec<voc::aggregate::Contribution> {
  static void Encode(const voc::aggregate::Contribution& c, std::string* out);
  static bool Decode(std::string_view bytes, voc::aggregate::Contribution* c);
  static size_t Footprint(const voc::aggregate::Contribution& c);
};
template <>
struct voc::state::Codec<voc::aggregate::SpanGroup> {
  static void Encode(const voc::aggregate::SpanGroup& group, std::string* out);
  static bool Decode(std::string_view bytes, voc::aggregate::SpanGroup* group);
  static size_t Footprint(const voc::aggregate::SpanGroup& group);
};
template <>
struct voc::state::Codec<voc::aggregate::Window> {
  static void Encode(const voc::aggregate::Window& window, std::string* out) { window.state.SerializeToString(out); }
  static bool Decode(std::string_view bytes, voc::aggregate::Window* window);
  static size_t Footprint(const voc::aggregate::Window& window) { return sizeof(window) + window.state.SpaceUsedLong(); }
};
template <>
struct voc::state::Codec<voc::aggregate::PartitionMeta> {
  static void Encode(const voc::aggregate::PartitionMeta& meta, std::string* out);
  static bool Decode(std::string_view bytes, voc::aggregate::PartitionMeta* meta);
  static size_t Footprint(const voc::aggregate::PartitionMeta& meta);
};

namespace voc::aggregate {

struct AggregateProbe;

// NOT thread-safe: runs on the service's processing thread.
class AggregateProcessor final : public runtime::Processor {
 public:
  AggregateProcessor(AggregateOptions options, prometheus::Registry& registry);
  ~AggregateProcessor() override;

  // Stores: contribution (what a feedback gave a theme), span (a customer's spans within a
  // window of the largest size), window, and meta (each partition's watermark, dirty and
  // open windows).
  void Open(runtime::Setup& setup) override;
  void Process(const kafka::Record& record, runtime::Context& ctx) override;
  // Closes the windows a batch's watermark passed.
  void EndBatch(runtime::Context& ctx) override;
  // Emits every window changed since the last emission (every emit_interval).
  void OnTimer(runtime::Context& ctx) override;

 private:
  std::chrono::seconds StateTtl() const;
  // The stores' TTL counts each partition's watermark: tells the event clock when it moved.
  void TellEventClock(PartitionId partition, int64_t watermark_ms);
  // Adds (sign +1) or takes out (-1) a contribution of the customer of account_key_: its
  // spans, and every window they change.
  void Apply(PartitionId partition, PartitionMeta& meta, const Contribution& c, const std::string& theme_id,
             const std::string& theme_path, int sign);
  // The span's latest live contributions, from the contributions of account_key_, leaving
  // out the one being taken back.
  void Recredit(PartitionId partition, Span* span, int64_t size_ms, int64_t start_ms,
                std::string_view excluded_feedback_id);
  // What a contribution changes in one window of its group (see Apply).
  struct WindowChange;
  void ChangeWindow(PartitionId partition, PartitionMeta& meta, state::KeyValueStore<Window>::Ref& ref,
                    const WindowChange& change);
  // The value the mention counts under in each rollup, admitting new values while the
  // partition has room for them.
  void ResolveRollups(PartitionMeta& meta, Contribution* c) const;
  static void MarkDirty(PartitionMeta& meta, const std::string& key, Window& window);
  void CloseWindows(PartitionId partition, PartitionMeta& meta, runtime::Context& ctx);
  void EmitWindow(PartitionId partition, const std::string& key, runtime::Context& ctx);
  // Overall windows: each theme's share of the responses, and its impact on the scores.
  static void CountDrivers(voc::state::v1::WindowState* s, const Contribution& c, int sign);
  void EmitDrivers(const voc::state::v1::WindowState& s);
  void RefillExamples(PartitionId partition, voc::state::v1::WindowState* s);
  std::vector<const voc::state::v1::WindowState*> SegmentWindows(PartitionId partition,
                                                                 const voc::state::v1::WindowState& s);

  AggregateOptions options_;
  std::unique_ptr<AggregateProbe> probe_;
  ThemeInsights insights_;
  EmergingTopics topics_;
  state::KeyValueStore<Contribution>* contributions_ = nullptr;
  state::KeyValueStore<SpanGroup>* spans_ = nullptr;
  state::KeyValueStore<Window>* windows_ = nullptr;
  state::KeyValueStore<PartitionMeta>* meta_ = nullptr;
  // Partitions whose watermark a batch moved: their windows are closed at its end.
  std::vector<PartitionId> advanced_;
  state::EventClock* event_clock_ = nullptr;
  std::unordered_map<int32_t, int64_t> told_watermark_;  // by partition: what the clock was told
  // By window size: the windows of the group (partition, start, theme) Apply touched last,
  // filled as they are looked up; valid while the window store's generation stays.
  struct GroupMemo {
    PartitionId partition{-1};
    uint64_t generation = 0;
    int64_t start_ms = 0;
    std::string theme_id;
    std::array<state::KeyValueStore<Window>::Ref, 4> windows{};  // by channel, 0: all
    struct RollupWindow {
      Rollup rollup;
      std::string value;
      state::KeyValueStore<Window>::Ref ref;
    };
    std::vector<RollupWindow> rollups;
  };
  std::vector<GroupMemo> memo_;
  int64_t group_ms_ = 0;  // the largest window size: a SpanGroup's
  // Windows whose examples held the feedback whose old revision the record is taking out.
  std::vector<const voc::state::v1::WindowState*> revised_examples_;
  // Reused per record: no allocation on the hot path.
  voc::v1::ThemeMention mention_;
  voc::v1::ThemeAggregate aggregate_;
  Window peeked_;  // a window the emission reads without caching it
  std::vector<std::string> closing_;  // the windows one CloseWindows closes
  std::string account_key_;  // the mention's theme and customer: its contribution's and spans' keys start so
  std::string contribution_key_;
  std::string span_key_;
  std::string window_key_;
  std::string bytes_;
};

// "3600000|1763632800000|reliability.crashes": the windows of one theme, every channel.
std::string WindowGroup(int64_t size_ms, int64_t start_ms, std::string_view theme_id);
// "3600000|1763632800000|reliability.crashes|ticket": the window's key, on the topic too;
// a rollup's window ends in its RollupSlot instead of a channel.
std::string WindowKey(int64_t size_ms, int64_t start_ms, std::string_view theme_id, std::string_view channel);
// "segment=enterprise", "app_version=4.2.0".
std::string RollupSlot(Rollup rollup, std::string_view value);
// A channel's name in window keys: "ticket", "survey", "review"; "all" for any other.
const char* ChannelName(int channel);
// The value a mention's segment or app version counts under, before the rollup's cap:
// "unknown" for a missing segment, none ("") for a missing app version, "other" for one
// that cannot name a window (over 64 bytes, not UTF-8, or holding '|').
std::string_view RollupValueOf(Rollup rollup, std::string_view raw);

}  // namespace voc::aggregate
