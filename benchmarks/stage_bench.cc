// Each stage's processor on one thread, without Kafka in between: the generated stream
// through voc-ingest's processor, its feedback through voc-enrich's, their mentions
// through voc-aggregate's, each on a fresh RocksDB store per pass, in batches of 1,000
// driven as the runtime drives them (runtime::ProcessorDriver: end of batch, timer,
// checkpoint included). What a stage costs
// per record, steadier than the whole-pipeline benchmark's per-thread CPU figures.
#include <benchmark/benchmark.h>
#include <prometheus/registry.h>

#include <filesystem>
#include <map>

#include "common/kafka/kafka.h"
#include "common/runtime/memory_budget.h"
#include "common/runtime/processor_driver.h"
#include "services/aggregate/aggregate_processor.h"
#include "services/enrich/enrich_processor.h"
#include "services/ingest/ingest_processor.h"
#include "tools/gen/generator.h"

namespace voc::bench {

void Warm();

namespace {

constexpr size_t kRecords = 20'000;
constexpr size_t kBatch = 1'000;

struct Output {
  std::string topic, key, value;
};

// Keeps what a stage emits: the next stage's input.
class KeepingEmitter final : public runtime::Emitter {
 public:
  void Emit(std::string_view topic, std::string_view key, std::string_view value) override {
    if (keep_) outputs.push_back({std::string(topic), std::string(key), std::string(value)});
  }
  void DeadLetter(const kafka::Record&, std::string_view, std::string_view) override {}
  explicit KeepingEmitter(bool keep) : keep_(keep) {}
  std::vector<Output> outputs;

 private:
  bool keep_;
};

// A state folder that goes with the pass that used it.
class Scratch {
 public:
  Scratch() : path_(std::filesystem::temp_directory_path() / ("voc-stage-bench-" + std::to_string(getpid()))) {}
  ~Scratch() { std::filesystem::remove_all(path_); }
  std::string Fresh() {
    std::filesystem::remove_all(path_);
    return path_.string();
  }

 private:
  std::filesystem::path path_;
};

// A processor as the runtime drives it (runtime::ProcessorDriver), its state in a fresh folder.
std::unique_ptr<runtime::ProcessorDriver> Drive(std::unique_ptr<runtime::Processor> processor, const std::string& dir) {
  runtime::DriverOptions options;
  options.service = "stage_bench";
  options.state.path = dir;
  auto driver = runtime::ProcessorDriver::Open(std::move(options), std::move(processor));
  if (!driver.ok()) std::abort();
  return std::move(driver).value();
}

// One pass of `inputs` through the driver, in batches, committing each; returns what it emitted.
std::vector<Output> Pass(runtime::ProcessorDriver& driver, const std::vector<Output>& inputs, bool keep,
                         const std::string& topic_filter) {
  KeepingEmitter out(keep);
  const std::vector<PartitionId> assigned = {PartitionId(0)};
  int64_t offset = 0;
  for (size_t i = 0; i < inputs.size(); i += kBatch) {
    runtime::Context ctx{out, 1'800'000'000'000, assigned};
    std::map<TopicPartition, Offset> next;
    for (size_t j = i; j < std::min(inputs.size(), i + kBatch); ++j) {
      const auto& in = inputs[j];
      kafka::Record r{.topic = in.topic, .partition = PartitionId(0), .offset = Offset(offset++), .key = in.key,
                      .value = in.value, .timestamp_ms = 1'800'000'000'000, .content_type = ""};
      driver.Process(r, ctx);
      next[{in.topic, PartitionId(0)}] = Offset(offset);
    }
    driver.EndBatch(ctx);
    if (!driver.Commit(next).ok()) std::abort();
  }
  if (topic_filter.empty()) return std::move(out.outputs);
  std::vector<Output> kept;
  for (auto& o : out.outputs) {
    if (o.topic == topic_filter) kept.push_back(std::move(o));
  }
  return kept;
}

// The generated stream and what each stage makes of it, built once.
struct Streams {
  std::vector<Output> raw, feedback, mentions;
  std::vector<voc::v1::CustomerProfile> customers;
  Scratch scratch;

  Streams() {
    gen::GenOptions go;
    go.seed = 1;
    go.customers = 500;
    go.planned_count = kRecords;
    go.pii_share = 0.05;
    gen::Generator generator(go);
    for (size_t i = 0; i < kRecords; ++i) {
      auto r = generator.Next();
      raw.push_back({r.topic, r.key, r.value});
    }
    customers = generator.customers();
    auto ingest = Drive(std::make_unique<ingest::IngestProcessor>(ingest::IngestOptions{}), "");
    feedback = Pass(*ingest, raw, true, "voc.feedback");
    auto enrich = MakeEnrich();
    mentions = Pass(*enrich.driver, feedback, true, "voc.theme.mentions");
  }

  struct Enrich {
    std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
    std::unique_ptr<runtime::ProcessorDriver> driver;
  };
  // A fresh enrich processor whose customer table holds every generated customer.
  Enrich MakeEnrich() {
    Enrich e;
    enrich::EnrichOptions eo;
    eo.analyzer = {VOC_SOURCE_DIR "/data/taxonomy/software.yaml", VOC_SOURCE_DIR "/data/lexicons"};
    auto analyzer = std::move(text::Analyzer::Create(eo.analyzer)).value();
    e.driver = Drive(std::make_unique<enrich::EnrichProcessor>(eo, std::move(analyzer), *e.registry), scratch.Fresh());
    for (const auto& c : customers) {
      if (!e.driver->ApplyTableRow(0, c.customer_id(), c.SerializeAsString())) std::abort();
    }
    if (!e.driver->Commit({}).ok()) std::abort();
    return e;
  }
};

Streams& Data() {
  static Streams streams;
  return streams;
}

void BM_Ingest_Process(benchmark::State& state) {
  auto& d = Data();
  for (auto _ : state) {
    auto ingest = Drive(std::make_unique<ingest::IngestProcessor>(ingest::IngestOptions{}), "");
    Pass(*ingest, d.raw, false, "");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * d.raw.size()));
}

void BM_Enrich_Process(benchmark::State& state) {
  auto& d = Data();
  for (auto _ : state) {
    state.PauseTiming();
    auto enrich = d.MakeEnrich();
    state.ResumeTiming();
    Pass(*enrich.driver, d.feedback, false, "");
    state.PauseTiming();
    enrich = {};
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * d.feedback.size()));
}

void BM_Aggregate_Process(benchmark::State& state) {
  auto& d = Data();
  for (auto _ : state) {
    state.PauseTiming();
    auto registry = std::make_shared<prometheus::Registry>();
    aggregate::AggregateOptions ao;
    ao.emit_interval = std::chrono::milliseconds(250);
    if (state.range(0) == 0) {  // theme x channel windows only: what the rollups and topics cost
      ao.rollup_max_values = {0, 0};
      ao.topics.enabled = false;
    }
    auto driver = Drive(std::make_unique<aggregate::AggregateProcessor>(ao, *registry), d.scratch.Fresh());
    state.ResumeTiming();
    Pass(*driver, d.mentions, false, "");
    state.PauseTiming();
    driver.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * d.mentions.size()));
}

}  // namespace

void Warm() { Data(); }

namespace {

BENCHMARK(BM_Ingest_Process)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Enrich_Process)->Unit(benchmark::kMillisecond);
// Arg 1: the defaults (rollups by segment and app version, emerging topics); 0: without.
BENCHMARK(BM_Aggregate_Process)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace voc::bench

// The streams are built before any benchmark runs, so a profile of one benchmark
// (callgrind --toggle-collect=...BM_Aggregate_Process*) holds that stage's work only.
int main(int argc, char** argv) {
  // The services' allocator and its settings (jemalloc unless built without), so a stage
  // costs here what it costs in its service.
  voc::runtime::LimitAllocatorArenas();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  voc::bench::Warm();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
