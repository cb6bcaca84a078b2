// A changelog restore on its own (common/runtime/changelog.h): one changelog partition
// filled once with checkpoints of contribution-sized entries (a key of ~40 bytes, a value
// of 200), restored into a fresh RocksDB folder per iteration. It reports the records and
// changelog bytes restored per second, and how much the process's resident memory peaked
// above where it started (peak_rss_MiB; peak_rss_per_byte per changelog byte): the
// figure to size a service's memory by while it restores (deploy/README.md).
// BM_Changelog_Restore/1 also rebuilds a derived store with one value per entry
// (Setup::DerivedStore; the most an index can hold, as voc-aggregate's spans do when each
// customer has one contribution per window), whose values a restore holds in memory.
//
// By default the changelog is on the embedded broker, which keeps at most 5 MiB per
// partition: 12 checkpoints of 1,000 entries stay under it. --bootstrap HOST:PORT restores
// from a real cluster instead (its topic --topic must exist, with one partition, empty),
// where --checkpoints makes the changelog as long as a real partition's.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "common/kafka/embedded_broker.h"
#include "common/metrics/process_metrics.h"
#include "common/runtime/changelog.h"
#include "common/runtime/command_line.h"
#include "common/runtime/memory_budget.h"
#include "common/runtime/processor_driver.h"

namespace voc::bench {
namespace {

constexpr int kPerCheckpoint = 1'000;
constexpr size_t kValueBytes = 200;

// Where the changelog is (the command line's choice).
struct Target {
  std::string bootstrap;  // empty: an embedded broker
  kafka::Properties properties;
  std::string topic = "changelog";
  int checkpoints = 12;
};
Target target;

struct Changelog {
  std::unique_ptr<kafka::EmbeddedBroker> broker;  // when no --bootstrap
  kafka::ClientConfig client;
  std::unique_ptr<kafka::Producer> producer;
  std::unique_ptr<runtime::ChangelogWriter> writer;
  double bytes = 0;    // keys and values written
  double records = 0;  // state changes written (markers aside)
};

[[noreturn]] void Fail(const std::string& why) {
  std::cerr << "restore_bench: " << why << "\n";
  std::exit(1);
}

// Every key written once, in checkpoints of kPerCheckpoint, as a stage's changelog fills.
Changelog& Filled() {
  static Changelog* c = [] {
    auto* made = new Changelog;
    if (target.bootstrap.empty()) {
      auto broker = kafka::EmbeddedBroker::Start();
      if (!broker.ok() || !(*broker)->CreateTopic(target.topic, 1).ok()) Fail("cannot start the embedded broker");
      made->broker = std::move(broker).value();
      made->client = {made->broker->bootstrap_servers()};
    } else {
      made->client = {target.bootstrap, target.properties};
      auto marks = kafka::Watermarks(made->client, {target.topic, PartitionId(0)}, std::chrono::seconds(30));
      if (!marks.ok()) Fail("cannot read " + target.topic + " at " + target.bootstrap + ": " + marks.status().ToString());
      if (marks->second.value != 0) {
        Fail(target.topic + " is not empty: create a new topic (--topic) or start a fresh broker");
      }
    }
    auto producer = kafka::Producer::Create({.client = made->client});
    if (!producer.ok()) Fail(producer.status().ToString());
    made->producer = std::move(producer).value();
    made->writer =
        std::make_unique<runtime::ChangelogWriter>(target.topic, std::set<std::string>{"in"}, *made->producer);
    std::string key, value(kValueBytes, 'v');
    const int64_t written = std::chrono::duration_cast<std::chrono::milliseconds>(
                                std::chrono::system_clock::now().time_since_epoch()).count();
    for (int checkpoint = 0; checkpoint < target.checkpoints; ++checkpoint) {
      for (int i = 0; i < kPerCheckpoint; ++i) {
        char buffer[64];
        std::snprintf(buffer, sizeof(buffer), "theme.%02d/customer-%08d/%012d", i % 37, checkpoint * kPerCheckpoint + i, i);
        key = buffer;
        made->writer->Changed(0, PartitionId(0), key, &value, false, written);
        made->bytes += static_cast<double>(key.size() + value.size());
        made->records += 1;
      }
      if (!made->producer->Flush(std::chrono::seconds(30)).ok()) Fail("the changelog's records were not acknowledged");
      if (!made->writer->WriteMarkers({{{"in", PartitionId(0)}, Offset((checkpoint + 1) * kPerCheckpoint)}}).ok()) {
        Fail("a checkpoint marker could not be sent");
      }
      if (!target.bootstrap.empty() && (checkpoint + 1) % 100 == 0) {
        std::cerr << "filled " << checkpoint + 1 << " of " << target.checkpoints << " checkpoints\n";
      }
    }
    if (!made->producer->Flush(std::chrono::seconds(30)).ok()) Fail("the changelog's records were not acknowledged");
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
    // The restore's consumer is bounded as a service's with the default budget (512 MiB).
    runtime::RestoreOptions restore;
    restore.consumer_properties = runtime::PlanMemory(uint64_t{512} << 20).restore_properties;
    auto outcome = runtime::RestoreFromChangelog(changelog.client, target.topic, {"in", PartitionId(0)}, layout,
                                                 (*driver)->db(), changelog.writer.get(), restore);
    state.PauseTiming();
    peak_growth = std::max(peak_growth, static_cast<double>(metrics::PeakResidentBytes()) - before);
    if (!outcome.ok() || !outcome->next || outcome->next->value != target.checkpoints * kPerCheckpoint) {
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
  // The most the process's resident memory rose above its start, and that per changelog byte.
  state.counters["peak_rss_MiB"] = peak_growth / (1 << 20);
  state.counters["peak_rss_per_byte"] = peak_growth / changelog.bytes;
}
BENCHMARK(BM_Changelog_Restore)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace voc::bench

int main(int argc, char** argv) {
  using voc::bench::target;
  CLI::App app("A changelog restore on its own. Google Benchmark's --benchmark_* flags are taken too "
               "(--benchmark_repetitions=3, ...)", "restore_bench");
  app.allow_extras();
  voc::runtime::AddVersionFlag(app);
  app.add_option("--bootstrap", target.bootstrap, "a real cluster's HOST:PORT (default: an embedded broker)");
  std::vector<std::string> properties;
  app.add_option("--client-property", properties, "KEY=VALUE for every client of the real cluster (repeatable)");
  app.add_option("--topic", target.topic, "the changelog topic: one partition, empty")->capture_default_str();
  app.add_option("--checkpoints", target.checkpoints, "checkpoints of 1,000 entries to fill it with")
      ->capture_default_str()
      ->check(CLI::Range(1, 100'000));
  if (auto code = voc::runtime::ParseCommandLine(app, argc, argv)) return *code;
  for (const std::string& p : properties) {
    const size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::cerr << "restore_bench: --client-property '" << p << "' is not KEY=VALUE\n";
      return 2;
    }
    target.properties[p.substr(0, eq)] = p.substr(eq + 1);
  }
  if (target.bootstrap.empty() && target.checkpoints > 12) {
    std::cerr << "restore_bench: the embedded broker keeps 5 MiB a partition, 12 checkpoints at most; "
                 "pass --bootstrap for a longer changelog\n";
    return 2;
  }
  // What CLI11 left is Google Benchmark's.
  std::vector<std::string> rest = app.remaining();
  std::vector<char*> bench_argv{argv[0]};
  for (std::string& r : rest) bench_argv.push_back(r.data());
  int bench_argc = static_cast<int>(bench_argv.size());
  benchmark::Initialize(&bench_argc, bench_argv.data());
  if (benchmark::ReportUnrecognizedArguments(bench_argc, bench_argv.data())) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
