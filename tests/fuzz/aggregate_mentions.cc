// Target aggregate_mentions: voc.theme.mentions records through voc-aggregate's
// AggregateProcessor on a real RocksDB store (a folder made once per process), driven as
// the runtime drives it: the partition assigned, Process per record in one state
// transaction, EndBatch (window emission), BeforeCommit. Input: up to 8 records separated
// by kRecordSeparator. Nothing is committed and the partition is revoked after each input,
// so every input starts from an empty store.
//
// Contract: each record is at most one dead letter, with a known reason; every output is
// a voc.v1.ThemeAggregate on voc.theme.aggregates keyed by its window
// (size|start|theme|channel) whose counts hold together (no negative count, parts within
// their whole, examples sorted, distinct and at most 3, NPS within -100..100, means
// finite); a single mention applied to the empty store gives exactly its windows (every
// size, its channel and the all-channels rollup) with a volume of 1. The same records
// delivered again change nothing: no window is emitted again.
#include <prometheus/registry.h>

#include <cmath>
#include <set>

#include "services/aggregate/aggregate_processor.h"
#include "tests/fuzz/stateful.h"
#include "voc/v1/theme.pb.h"

namespace voc::fuzz {
namespace {

constexpr int64_t kNowMs = 1'795'694'400'000;  // 2026-11-26T12:00:00Z
constexpr char kInput[] = "voc.theme.mentions";
const std::vector<std::string> kReasons = {"MALFORMED_PROTOBUF", "MISSING_FIELD", "INVALID_FIELD", "TOO_LATE"};

struct Aggregate {
  ProcessTempDir dir;
  prometheus::Registry registry;
  aggregate::AggregateOptions options;
  std::unique_ptr<aggregate::AggregateProcessor> processor;
  std::unique_ptr<state::StateStore> store;

  Aggregate() {
    options.window_sizes = {std::chrono::hours(1), std::chrono::hours(24)};
    options.emit_interval = std::chrono::milliseconds(0);  // every EndBatch emits what changed
    processor = std::make_unique<aggregate::AggregateProcessor>(options, registry);
    store = OpenStore(dir.path(), processor->Stores(), processor->StateFormat());
    processor->AttachStore(store.get());
  }
  ~Aggregate() { processor.reset(); }
};

Aggregate& Instance() {
  static Aggregate instance;
  return instance;
}

const char* ChannelName(int channel) {
  switch (channel) {
    case voc::v1::CHANNEL_TICKET: return "ticket";
    case voc::v1::CHANNEL_SURVEY: return "survey";
    case voc::v1::CHANNEL_REVIEW: return "review";
    default: return "all";
  }
}

void ExpectConsistent(const CollectingEmitter::Output& o) {
  VOC_FUZZ_EXPECT(o.topic == "voc.theme.aggregates", "an output on " + o.topic);
  voc::v1::ThemeAggregate a;
  VOC_FUZZ_EXPECT(a.ParseFromString(o.value), "an output is not a voc.v1.ThemeAggregate");
  VOC_FUZZ_EXPECT(a.channel() >= voc::v1::CHANNEL_UNSPECIFIED && a.channel() <= voc::v1::CHANNEL_REVIEW,
                  "an aggregate of channel " + std::to_string(a.channel()));
  VOC_FUZZ_EXPECT(
      o.key == aggregate::WindowKey(a.window_size_ms(), a.window_start_ms(), a.theme_id(), ChannelName(a.channel())),
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

// Processes records (one batch), then ends the batch; returns what it emitted.
CollectingEmitter Batch(Aggregate& g, const std::vector<std::string_view>& records, state::Transaction* txn,
                        std::vector<bool>* dead) {
  CollectingEmitter out;
  runtime::Context ctx{out, txn, kNowMs};
  int64_t offset = 500;
  dead->clear();
  try {
    for (std::string_view value : records) {
      const size_t letters_before = out.letters.size();
      kafka::Record record{.topic = kInput, .partition = PartitionId(0), .offset = Offset(offset++), .key = "",
                           .value = value, .timestamp_ms = kNowMs, .content_type = ""};
      g.processor->Process(record, ctx);
      VOC_FUZZ_EXPECT(out.letters.size() <= letters_before + 1, "more than one dead letter for a record");
      VOC_FUZZ_EXPECT(out.outputs.empty(), "a window emitted before the batch ended");
      dead->push_back(out.letters.size() > letters_before);
    }
    g.processor->EndBatch(ctx);
  } catch (const std::exception& ex) {
    Fail(__FILE__, __LINE__, std::string("the processor threw on a healthy store: ") + ex.what());
  }
  for (const auto& letter : out.letters) ExpectKnownDeadLetter(letter, kReasons);
  for (const auto& o : out.outputs) ExpectConsistent(o);
  return out;
}

}  // namespace
}  // namespace voc::fuzz

VOC_FUZZ_TARGET(aggregate_mentions) {
  using namespace voc::fuzz;
  Aggregate& g = Instance();
  const auto records = SplitRecords(std::string_view(reinterpret_cast<const char*>(data), size), 8);
  const std::vector<voc::TopicPartition> partition = {{kInput, voc::PartitionId(0)}};
  g.processor->OnAssigned(partition);
  auto txn = g.store->Begin();
  std::vector<bool> dead;
  CollectingEmitter first = Batch(g, records, txn.get(), &dead);

  voc::v1::ThemeMention m;
  if (records.size() == 1 && !dead[0] && m.ParseFromArray(records[0].data(), static_cast<int>(records[0].size())) &&
      !m.retracted()) {
    // One mention applied to an empty store: its windows, each counting it once.
    std::set<std::string> expected;
    for (auto size : g.options.window_sizes) {
      const int64_t ms = size.count();
      const int64_t t = m.event_time_ms();
      const int64_t start = (t / ms - (t % ms < 0 ? 1 : 0)) * ms;
      expected.insert(voc::aggregate::WindowKey(ms, start, m.theme_id(), "all"));
      expected.insert(voc::aggregate::WindowKey(ms, start, m.theme_id(), ChannelName(m.channel())));
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

  // Redelivery: the same records again change no window.
  std::vector<bool> dead_again;
  CollectingEmitter again = Batch(g, records, txn.get(), &dead_again);
  VOC_FUZZ_EXPECT(again.outputs.empty(), "records delivered again changed " + std::to_string(again.outputs.size()) +
                                             " window(s), e.g. " + Excerpt(again.outputs[0].key));
  for (size_t i = 0; i < dead.size(); ++i) {
    VOC_FUZZ_EXPECT(!dead[i] || dead_again[i], "a dead letter accepted when delivered again");
  }

  voc::fuzz::CollectingEmitter out;
  voc::runtime::Context ctx{out, txn.get(), kNowMs};
  g.processor->BeforeCommit(ctx);
  g.processor->OnRevoked(partition);
  return 0;
}
