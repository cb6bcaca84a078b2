// Each stage's processor on one thread, without Kafka in between: the generated stream
// through voc-ingest's processor, its feedback through voc-enrich's, their mentions
// through voc-aggregate's, each on a fresh RocksDB store per pass, in batches of 1,000
// with the processor's end of batch and the state commit included. What a stage costs
// per record, steadier than the whole-pipeline benchmark's per-thread CPU figures.
#include <benchmark/benchmark.h>
#include <prometheus/registry.h>

#include <filesystem>
#include <map>
#include <thread>

#include "common/kafka/embedded_broker.h"
#include "common/kafka/kafka.h"
#include "common/state/state_store.h"
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

// One pass of `inputs` through `processor`, in batches, committing each; returns what it emitted.
std::vector<Output> Pass(runtime::Processor& processor, state::StateStore* store, const std::vector<Output>& inputs,
                         bool keep, const std::string& topic_filter) {
  KeepingEmitter out(keep);
  std::unique_ptr<state::Transaction> txn = store ? store->Begin() : nullptr;
  int64_t offset = 0;
  for (size_t i = 0; i < inputs.size(); i += kBatch) {
    runtime::Context ctx{out, txn.get(), 1'800'000'000'000};
    for (size_t j = i; j < std::min(inputs.size(), i + kBatch); ++j) {
      const auto& in = inputs[j];
      kafka::Record r{.topic = in.topic, .partition = PartitionId(0), .offset = Offset(offset++), .key = in.key,
                      .value = in.value, .timestamp_ms = 1'800'000'000'000, .content_type = ""};
      processor.Process(r, ctx);
    }
    processor.EndBatch(ctx);
    if (store) processor.BeforeCommit(ctx);
    if (store && !store->Commit(txn.get()).ok()) std::abort();
    processor.AfterCommit();
  }
  if (topic_filter.empty()) return std::move(out.outputs);
  std::vector<Output> kept;
  for (auto& o : out.outputs) {
    if (o.topic == topic_filter) kept.push_back(std::move(o));
  }
  return kept;
}

state::StateOptions StoreOptions(const std::string& path, std::vector<state::StoreSpec> stores) {
  state::StateOptions so;
  so.path = path;
  so.stores = std::move(stores);
  return so;
}

// The generated stream and what each stage makes of it, built once.
struct Streams {
  std::unique_ptr<kafka::EmbeddedBroker> broker;  // serves voc.customers to the enrich processor
  std::vector<Output> raw, feedback, mentions;
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
    broker = std::move(kafka::EmbeddedBroker::Start()).value();
    if (!broker->CreateTopic("voc.customers", 1).ok()) std::abort();
    auto producer = std::move(kafka::Producer::Create({.client = {broker->bootstrap_servers()}})).value();
    for (const auto& c : generator.customers()) producer->Produce("voc.customers", c.customer_id(), c.SerializeAsString()).ok();
    if (!producer->Flush(std::chrono::seconds(30)).ok()) std::abort();

    ingest::IngestProcessor ingest({});
    feedback = Pass(ingest, nullptr, raw, true, "voc.feedback");
    auto enrich = MakeEnrich();
    mentions = Pass(*enrich.processor, enrich.store.get(), feedback, true, "voc.theme.mentions");
  }

  struct Enrich {
    std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
    std::unique_ptr<state::StateStore> store;
    std::unique_ptr<enrich::EnrichProcessor> processor;
  };
  // A fresh enrich processor whose customer table has been read whole.
  Enrich MakeEnrich() {
    Enrich e;
    enrich::EnrichOptions eo;
    eo.analyzer = {VOC_SOURCE_DIR "/data/taxonomy/software.yaml", VOC_SOURCE_DIR "/data/lexicons"};
    eo.kafka = {broker->bootstrap_servers()};
    auto analyzer = std::move(text::Analyzer::Create(eo.analyzer)).value();
    e.processor = std::make_unique<enrich::EnrichProcessor>(eo, std::move(analyzer), *e.registry);
    e.store = std::move(state::StateStore::Open(StoreOptions(scratch.Fresh(), e.processor->Stores()))).value();
    e.processor->AttachStore(e.store.get());
    while (!e.processor->Ready()) {
      e.processor->Tick();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
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
    ingest::IngestProcessor ingest({});
    Pass(ingest, nullptr, d.raw, false, "");
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * d.raw.size()));
}

void BM_Enrich_Process(benchmark::State& state) {
  auto& d = Data();
  for (auto _ : state) {
    state.PauseTiming();
    auto enrich = d.MakeEnrich();
    state.ResumeTiming();
    Pass(*enrich.processor, enrich.store.get(), d.feedback, false, "");
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
    auto processor = std::make_unique<aggregate::AggregateProcessor>(ao, *registry);
    auto store = std::move(state::StateStore::Open(StoreOptions(d.scratch.Fresh(), processor->Stores()))).value();
    processor->AttachStore(store.get());
    processor->OnAssigned({{"voc.theme.mentions", PartitionId(0)}});
    state.ResumeTiming();
    Pass(*processor, store.get(), d.mentions, false, "");
    state.PauseTiming();
    processor.reset();
    store.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * d.mentions.size()));
}

}  // namespace

void Warm() { Data(); }

namespace {

BENCHMARK(BM_Ingest_Process)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Enrich_Process)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Aggregate_Process)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace voc::bench

// The streams are built before any benchmark runs, so a profile of one benchmark
// (callgrind --toggle-collect=...BM_Aggregate_Process*) holds that stage's work only.
int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  voc::bench::Warm();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
