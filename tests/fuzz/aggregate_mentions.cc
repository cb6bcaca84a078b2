// Target aggregate_mentions: voc.theme.mentions records through voc-aggregate's
// AggregateProcessor (windows of 1 h and 1 d, emitting at every timer) on a real RocksDB
// state folder (made once per process), driven as the runner drives it
// (test::ProcessorHarness): one batch of the records, its end and the timer, a checkpoint.
// Input: up to 8 records separated by kRecordSeparator. After each input what its
// checkpoint wrote is deleted again, so every input starts from an empty store.
//
// Contract: each record is at most one dead letter, with a known reason; every output is
// a voc.v1.ThemeAggregate on voc.theme.aggregates keyed by its window
// (size|start|theme|channel) whose counts hold together (no negative count, parts within
// their whole, examples sorted, distinct and at most 3, NPS within -100..100, means
// finite), a voc.v1.EmergingTopic on voc.topics.emerging keyed by its phrase, or a theme
// alert (spike, release regression or fix) on voc.alerts keyed by its id, with finite
// evidence of an aligned window; a single mention applied to the empty store gives
// exactly its windows (every size, its channel and the all-channels rollup) with a
// volume of 1. The same records
// delivered again, once the processor's caches are gone (what the checkpoint wrote read
// back), change nothing: no window is emitted again.
#include <prometheus/registry.h>

#include <cmath>
#include <set>

#include "services/aggregate/aggregate_processor.h"
#include "tests/fuzz/processor.h"
#include "tests/runtime/temp_dir.h"
#include "voc/v1/alert.pb.h"
#include "voc/v1/theme.pb.h"
#include "voc/v1/topic.pb.h"

namespace voc::fuzz {
namespace {

const TopicPartition kInput{"voc.theme.mentions", PartitionId(0)};
const std::vector<std::string> kReasons = {"MALFORMED_PROTOBUF", "MISSING_FIELD", "INVALID_FIELD", "TOO_LATE"};

aggregate::AggregateOptions Options() {
  aggregate::AggregateOptions options;
  options.window_sizes = {std::chrono::hours(1), std::chrono::hours(24)};
  options.emit_interval = std::chrono::milliseconds(0);  // every batch emits what changed
  return options;
}

struct Aggregate {
  test::TempDir dir;
  prometheus::Registry registry;
  test::ProcessorHarness harness{
      [this] { return std::make_unique<aggregate::AggregateProcessor>(Options(), registry); }, dir.path(), {kInput}};
  Checkpoints checkpoints;

  Aggregate() {
    Start(harness);
    harness.SetWallClock(kNowMs);
  }
};

Aggregate& Instance() {
  static Aggregate instance;
  return instance;
}

void ExpectConsistent(const test::Output& o) {
  if (o.topic == "voc.alerts") {  // theme spikes and release regressions, from the hourly windows
    voc::v1::Alert a;
    VOC_FUZZ_EXPECT(a.ParseFromString(o.value) && !a.alert_id().empty() && o.key == a.alert_id(),
                    "an alert that does not parse or is not keyed by its id");
    const std::string alert = " in " + a.ShortDebugString().substr(0, 400);
    VOC_FUZZ_EXPECT(a.kind() == voc::v1::Alert::KIND_THEME_SPIKE || a.kind() == voc::v1::Alert::KIND_RELEASE_REGRESSION ||
                        a.kind() == voc::v1::Alert::KIND_RELEASE_FIX,
                    "an alert of a kind voc-aggregate does not raise" + alert);
    VOC_FUZZ_EXPECT(a.status() != voc::v1::Alert::STATUS_UNSPECIFIED && !a.theme_id().empty(),
                    "a theme alert without a status or a theme" + alert);
    const voc::v1::AlertEvidence& e = a.evidence();
    VOC_FUZZ_EXPECT(std::isfinite(e.observed()) && std::isfinite(e.expected()) && std::isfinite(e.statistic()),
                    "alert evidence not finite" + alert);
    VOC_FUZZ_EXPECT(e.window_size_ms() > 0 && e.window_start_ms() % e.window_size_ms() == 0 && e.count() >= 0 &&
                        e.unique_customers() >= 0 && e.previous_count() >= 0 && e.example_feedback_ids_size() <= 3,
                    "alert evidence out of bounds" + alert);
    return;
  }
  if (o.topic == "voc.topics.emerging") {  // emerging topics, from the overall mentions' phrases
    voc::v1::EmergingTopic t;
    VOC_FUZZ_EXPECT(t.ParseFromString(o.value) && o.key == t.phrase() && t.unthemed_count() >= 0 &&
                        t.count() >= t.unthemed_count(),
                    "an emerging topic that does not parse, is not keyed by its phrase or whose counts do not hold");
    return;
  }
  VOC_FUZZ_EXPECT(o.topic == "voc.theme.aggregates", "an output on " + o.topic);
  voc::v1::ThemeAggregate a;
  VOC_FUZZ_EXPECT(a.ParseFromString(o.value), "an output is not a voc.v1.ThemeAggregate");
  VOC_FUZZ_EXPECT(a.channel() >= voc::v1::CHANNEL_UNSPECIFIED && a.channel() <= voc::v1::CHANNEL_REVIEW,
                  "an aggregate of channel " + std::to_string(a.channel()));
  const std::string slot = !a.segment().empty()       ? aggregate::RollupSlot(aggregate::Rollup::kSegment, a.segment())
                           : !a.app_version().empty() ? aggregate::RollupSlot(aggregate::Rollup::kAppVersion, a.app_version())
                                                      : aggregate::ChannelName(a.channel());
  VOC_FUZZ_EXPECT((a.segment().empty() && a.app_version().empty()) || a.channel() == voc::v1::CHANNEL_UNSPECIFIED,
                  "a rollup's aggregate of one channel");
  VOC_FUZZ_EXPECT(o.key == aggregate::WindowKey(a.window_size_ms(), a.window_start_ms(), a.theme_id(), slot),
                  "an aggregate keyed " + Excerpt(o.key) + " is not its window's key");
  VOC_FUZZ_EXPECT(a.window_size_ms() > 0 && a.window_start_ms() % a.window_size_ms() == 0,
                  "a window that does not start on its size's boundary");
  const std::string counts = " in " + a.ShortDebugString().substr(0, 400);
  VOC_FUZZ_EXPECT(a.volume() >= 0 && a.unique_volume() >= 0 && a.unique_customers() >= 0 && a.sentiment_count() >= 0 &&
                      a.nps_responses() >= 0 && a.csat_responses() >= 0 && a.negative() >= 0 && a.neutral() >= 0 &&
                      a.positive() >= 0 && a.promoters() >= 0 && a.passives() >= 0 && a.detractors() >= 0,
                  "a negative count" + counts);
  VOC_FUZZ_EXPECT(a.unique_volume() <= a.volume() && a.unique_customers() <= a.volume() &&
                      a.sentiment_count() <= a.volume() && a.nps_responses() <= a.volume() &&
                      a.csat_responses() <= a.volume(),
                  "a part larger than the volume" + counts);
  VOC_FUZZ_EXPECT(a.negative() + a.neutral() + a.positive() == a.sentiment_count(),
                  "the sentiment split does not add up" + counts);
  VOC_FUZZ_EXPECT(a.promoters() + a.passives() + a.detractors() == a.nps_responses(),
                  "the NPS split does not add up" + counts);
  VOC_FUZZ_EXPECT(std::isfinite(a.sentiment_mean()) && a.sentiment_mean() >= -1.0 && a.sentiment_mean() <= 1.0,
                  "sentiment mean out of [-1, 1]" + counts);
  VOC_FUZZ_EXPECT(std::isfinite(a.nps()) && a.nps() >= -100.0 && a.nps() <= 100.0, "NPS out of range" + counts);
  VOC_FUZZ_EXPECT(std::isfinite(a.csat_mean()), "CSAT mean not finite" + counts);
  VOC_FUZZ_EXPECT(a.example_feedback_ids_size() <= 3 && a.example_feedback_ids_size() <= a.volume(),
                  "too many examples" + counts);
  for (int i = 1; i < a.example_feedback_ids_size(); ++i) {
    VOC_FUZZ_EXPECT(a.example_feedback_ids(i - 1) < a.example_feedback_ids(i), "examples not sorted and distinct" + counts);
  }
}

// The records as one batch (its end, the timer), without a checkpoint; dead[i]: whether
// record i became a dead letter. The store is healthy: no record may stop the partition
// (a FatalError leaves the harness and ends the run as a crash).
test::Emitted Batch(Aggregate& g, const std::vector<std::string_view>& records, std::vector<bool>* dead) {
  std::vector<test::Input> inputs;
  for (std::string_view value : records) inputs.push_back({kInput.topic, 0, "", std::string(value)});
  const int64_t first_offset = g.harness.next_offset(kInput);
  test::Emitted out = g.harness.Batch(inputs, false);
  dead->assign(records.size(), false);
  for (const auto& letter : out.dead_letters) {
    ExpectKnownDeadLetter(letter, kReasons);
    const int64_t i = letter.origin_offset - first_offset;
    VOC_FUZZ_EXPECT(i >= 0 && i < static_cast<int64_t>(records.size()), "a dead letter of no record in the batch");
    VOC_FUZZ_EXPECT(!(*dead)[static_cast<size_t>(i)], "more than one dead letter for a record");
    (*dead)[static_cast<size_t>(i)] = true;
  }
  for (const auto& o : out.outputs) ExpectConsistent(o);
  return out;
}

}  // namespace
}  // namespace voc::fuzz

VOC_FUZZ_TARGET(aggregate_mentions) {
  using namespace voc::fuzz;
  Aggregate& g = Instance();
  const auto records = SplitRecords(std::string_view(reinterpret_cast<const char*>(data), size), 8);
  std::vector<bool> dead;
  const voc::test::Emitted first = Batch(g, records, &dead);

  voc::v1::ThemeMention m;
  if (records.size() == 1 && !dead[0] && m.ParseFromArray(records[0].data(), static_cast<int>(records[0].size())) &&
      !m.retracted()) {
    // One mention applied to an empty store: its windows, each counting it once.
    std::set<std::string> expected;
    for (auto size : Options().window_sizes) {
      const int64_t ms = size.count();
      const int64_t t = m.event_time_ms();
      const int64_t start = (t / ms - (t % ms < 0 ? 1 : 0)) * ms;
      expected.insert(voc::aggregate::WindowKey(ms, start, m.theme_id(), "all"));
      expected.insert(voc::aggregate::WindowKey(ms, start, m.theme_id(), voc::aggregate::ChannelName(m.channel())));
      for (auto [rollup, raw] : {std::pair{voc::aggregate::Rollup::kSegment, std::string_view(m.segment())},
                                 std::pair{voc::aggregate::Rollup::kAppVersion, std::string_view(m.app_version())}}) {
        const std::string_view value = voc::aggregate::RollupValueOf(rollup, raw);
        if (!value.empty()) {
          expected.insert(voc::aggregate::WindowKey(ms, start, m.theme_id(), voc::aggregate::RollupSlot(rollup, value)));
        }
      }
    }
    std::set<std::string> emitted;
    for (const auto& o : first.outputs) {
      emitted.insert(o.key);
      voc::v1::ThemeAggregate a;
      a.ParseFromString(o.value);
      VOC_FUZZ_EXPECT(a.volume() == 1 && a.unique_customers() == 1 && a.example_feedback_ids_size() == 1 &&
                          a.example_feedback_ids(0) == m.feedback_id() && !a.window_closed() && !a.correction(),
                      "one mention, yet " + a.ShortDebugString().substr(0, 400));
    }
    VOC_FUZZ_EXPECT(emitted == expected && first.outputs.size() == expected.size(),
                    "one mention did not give exactly its windows, once each");
  } else if (records.size() == 1 && !dead[0]) {
    VOC_FUZZ_EXPECT(first.outputs.empty(), "a retraction of nothing emitted a window");
  }

  // Redelivery after a checkpoint, with no cache left: the same records change no window.
  g.checkpoints.Write(g.harness);
  g.harness.driver().Forget({kInput});
  std::vector<bool> dead_again;
  const voc::test::Emitted again = Batch(g, records, &dead_again);
  VOC_FUZZ_EXPECT(again.outputs.empty(), "records delivered again changed " + std::to_string(again.outputs.size()) +
                                             " window(s), e.g. " + Excerpt(again.outputs[0].key));
  for (size_t i = 0; i < dead.size(); ++i) {
    VOC_FUZZ_EXPECT(!dead[i] || dead_again[i], "a dead letter accepted when delivered again");
  }
  g.checkpoints.Undo(g.harness, {kInput});
  return 0;
}
