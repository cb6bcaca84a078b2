// A changelog restore on its own (common/runtime/changelog.h): one changelog partition
// on the embedded broker, filled once with checkpoints of contribution-sized entries (a
// key of ~40 bytes, a value of 200), restored into a fresh RocksDB folder per iteration.
// It reports the records and changelog bytes restored per second, and how much the
// process's resident memory peaked above where it started, per changelog byte: a restore
// holds the partition's state in memory while it runs (deploy/README.md), and this is
// the figure to size partitions by. BM_Changelog_Restore/1 also rebuilds a derived store
// with one value per entry (Setup::DerivedStore; the most an index can hold, as
// voc-aggregate's spans do when each customer has one contribution per window). The
// embedded broker keeps at most 5 MiB per partition, so the changelog stays under it.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "common/kafka/embedded_broker.h"
#include "common/metrics/process_metrics.h"
#include "common/runtime/changelog.h"
#include "common/runtime/processor_driver.h"

namespace voc::bench {
namespace {

constexpr int kCheckpoints = 12;
constexpr int kPerCheckpoint = 1'000;
constexpr size_t kValueBytes = 200;

struct Changelog {
  std::unique_ptr<kafka::EmbeddedBroker> broker;
  std::unique_ptr<kafka::Producer> producer;
  std::unique_ptr<runtime::ChangelogWriter> writer;
  double bytes = 0;    // keys and values written
  double records = 0;  // state changes written (markers aside)
};

// Every key written once, in checkpoints of kPerCheckpoint, as a stage's changelog fills.
Changelog& Filled() {
  static Changelog* c = [] {
    auto* made = new Changelog;
    auto broker = kafka::EmbeddedBroker::Start();
    if (!broker.ok() || !(*broker)->CreateTopic("changelog", 1).ok()) std::abort();
    made->broker = std::move(broker).value();
    auto producer = kafka::Producer::Create({.client = {made->broker->bootstrap_servers()}});
    if (!producer.ok()) std::abort();
    made->producer = std::move(producer).value();
    made->writer = std::make_unique<runtime::ChangelogWriter>("changelog", std::set<std::string>{"in"}, *made->producer);
    std::string key, value(kValueBytes, 'v');
    const int64_t written = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch()).count();
    for (int checkpoint = 0; checkpoint < kCheckpoints; ++checkpoint) {
      for (int i = 0; i < kPerCheckpoint; ++i) {
        char buffer[64];
        std::snprintf(buffer, sizeof(buffer), "theme.%02d/customer-%08d/%012d", i % 37, checkpoint * kPerCheckpoint + i, i);
        key = buffer;
        made->writer->Changed(0, PartitionId(0), key, &value, false, written);
        made->bytes += static_cast<double>(key.size() + value.size());
        made->records += 1;
      }
      if (!made->producer->Flush(std::chrono::seconds(30)).ok()) std::abort();
      if (!made->writer->WriteMarkers({{{"in", PartitionId(0)}, Offset((checkpoint + 1) * kPerCheckpoint)}}).ok()) {
        std::abort();
      }
    }
    if (!made->producer->Flush(std::chrono::seconds(30)).ok()) std::abort();
    return made;
  }();
  return *c;
}

// An entry's bytes, as the derived store's value type.
struct Bytes {
  std::string value;
};

}  // namespace
}  // namespace voc::bench

template <>
struct voc::state::Codec<voc::bench::Bytes> {
  static void Encode(const voc::bench::Bytes& b, std::string* out) { *out = b.value; }
  static bool Decode(std::string_view bytes, voc::bench::Bytes* b) {
    b->value.assign(bytes);
    return true;
  }
  static size_t Footprint(const voc::bench::Bytes& b) { return sizeof(b) + b.value.capacity(); }
};

namespace voc::bench {
namespace {

// The changelog's store, and with `derived` an index with one value per entry of it.
class Contributions final : public runtime::Processor {
 public:
  explicit Contributions(bool derived) : derived_(derived) {}
  void Open(runtime::Setup& setup) override {
    auto* contributions = setup.Store<Bytes>({.name = "contribution"});
    if (!derived_) return;
    setup.DerivedStore<Bytes>({.name = "index"}, contributions,
                              [](std::string_view key, const Bytes& b, runtime::Derived<Bytes>& out) {
                                out.Update(key).value = b.value;
                              });
  }
  void Process(const kafka::Record&, runtime::Context&) override {}

 private:
  bool derived_;
};

void BM_Changelog_Restore(benchmark::State& state) {
  Changelog& changelog = Filled();
  const bool derived = state.range(0) != 0;
  const std::string root = std::filesystem::temp_directory_path() / ("voc-restore-bench-" + std::to_string(::getpid()));
  double peak_growth = 0;
  int round = 0;
  for (auto _ : state) {
    state.PauseTiming();
    runtime::DriverOptions o;
    o.service = "restore_bench";
    o.state.path = root + "/" + std::to_string(round++);
    auto driver = runtime::ProcessorDriver::Open(o, std::make_unique<Contributions>(derived));
    if (!driver.ok()) {
      state.SkipWithError(driver.status().ToString().c_str());
      break;
    }
    const runtime::StateLayout layout{(*driver)->store_specs(), (*driver)->derivations(), (*driver)->state_format()};
    const double before = static_cast<double>(metrics::ResidentBytes());
    metrics::ResetPeakResidentBytes();
    state.ResumeTiming();
    auto outcome = runtime::RestoreFromChangelog({changelog.broker->bootstrap_servers()}, "changelog",
                                                 {"in", PartitionId(0)}, layout, (*driver)->db(), changelog.writer.get(),
                                                 std::chrono::seconds(60));
    state.PauseTiming();
    peak_growth = std::max(peak_growth, static_cast<double>(metrics::PeakResidentBytes()) - before);
    if (!outcome.ok() || !outcome->next || outcome->next->value != kCheckpoints * kPerCheckpoint) {
      state.SkipWithError(outcome.ok() ? "the restore did not reach the last checkpoint" : outcome.status().ToString().c_str());
      break;
    }
    driver->reset();
    std::filesystem::remove_all(o.state.path);
    state.ResumeTiming();
  }
  std::filesystem::remove_all(root);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * changelog.records));
  state.SetBytesProcessed(static_cast<int64_t>(static_cast<double>(state.iterations()) * changelog.bytes));
  state.counters["changelog_MiB"] = changelog.bytes / (1 << 20);
  // The most the process's resident memory rose above its start, per changelog byte.
  state.counters["peak_rss_per_byte"] = peak_growth / changelog.bytes;
}
BENCHMARK(BM_Changelog_Restore)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace voc::bench

BENCHMARK_MAIN();
