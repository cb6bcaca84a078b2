// The whole-pipeline benchmark (DESIGN §9): the same generated stream through the real
// pipeline and through a pass-through pipeline of the same shape (three stages on the
// same runtime, consuming, producing and checkpointing the same way, doing no work), on
// the same embedded broker, in one run. For each: events/s draining a preloaded backlog,
// p50/p99 event-to-aggregate latency at a fixed offered rate, and peak RSS.
//
//   pipeline_bench [--events N] [--partitions P] [--rate R] [--latency-seconds S]
//                  [--instances N] [--only real|pass] [--timeline] [--no-changelogs]
// --instances: instances of each stateful stage in both pipelines (default 2, one per core
// of the reference machine), as a deployment would run more processes.
#include <CLI/CLI.hpp>
#include <prometheus/registry.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <sstream>
#include <thread>
#include <unordered_map>

#include "benchmarks/cpu_accounting.h"
#include "common/kafka/embedded_broker.h"
#include "common/kafka/kafka.h"
#include "common/metrics/metric_value.h"
#include "common/metrics/process_metrics.h"
#include "common/runtime/command_line.h"
#include "common/logging/logging.h"
#include "services/pipeline/embedded_pipeline.h"
#include "tools/gen/generator.h"
#include "voc/v1/theme.pb.h"

namespace voc::bench {
namespace {

using Clock = std::chrono::steady_clock;

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Stage 1 stamps the raw record's broker time in front of the payload, stages 2 and 3
// copy it to each of the topics the real stage writes (stage 2: enriched feedback and
// mentions, as voc-enrich does); stages 2 and 3 checkpoint offsets in RocksDB like the
// real stateful services.
class PassThrough final : public runtime::Processor {
  // The value type of a store the pass-through declares and never uses.
  struct Unused {
    void SerializeToString(std::string*) const {}
    bool ParseFromArray(const void*, int) { return true; }
    size_t SpaceUsedLong() const { return sizeof(*this); }
  };

 public:
  PassThrough(std::vector<std::string> outputs, bool first, bool stateful)
      : outputs_(std::move(outputs)), first_(first), stateful_(stateful) {}
  void Open(runtime::Setup& setup) override {
    if (stateful_) setup.Store<Unused>({.name = "none"});  // checkpoints offsets in RocksDB
  }
  void Process(const kafka::Record& r, runtime::Context& ctx) override {
    std::string_view value = r.value;
    if (first_) {
      buf_.resize(8);
      std::memcpy(buf_.data(), &r.timestamp_ms, 8);
      buf_.append(r.value);
      value = buf_;
    }
    for (const auto& output : outputs_) ctx.out.Emit(output, r.key, value);
  }

 private:
  std::vector<std::string> outputs_;
  bool first_;
  bool stateful_;
  std::string buf_;
};

// Per stage: seconds of the processing loop by phase, and batches.
constexpr std::array<const char*, 4> kPhases = {"wait", "process", "flush", "commit"};
struct LoopTimes {
  std::array<std::array<double, 5>, 3> v{};  // phases, then batches
};

struct Result {
  LoopTimes loop;  // over the timed backlog
  double events_per_s = 0;
  double drain_s = 0;
  double p50_ms = 0, p99_ms = 0;
  size_t latency_samples = 0;
  std::array<double, 3> cpu_us_per_event{};  // per stage, over the timed backlog
  double process_cpu_us_per_event = 0;       // every thread: stages, clients, broker, feeder
  // Of that, the threads librdkafka starts: the clients' (rdk:broker*, rdk:main) and the
  // embedded broker's (rdk:mock).
  double client_cpu_us_per_event = 0, broker_cpu_us_per_event = 0;
  uint64_t peak_rss = 0;
  // Records the stateful stages wrote to their changelogs per event of the timed backlog:
  // voc-enrich's, voc-aggregate's.
  std::array<double, 2> changelog_records_per_event{};
};

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[static_cast<size_t>(p * static_cast<double>(v.size() - 1))];
}

runtime::PipelineTopicNames Prefixed(const std::string& prefix) {
  runtime::PipelineTopicNames n;
  for (std::string* t : {&n.raw_tickets, &n.raw_surveys, &n.raw_reviews, &n.customers, &n.feedback, &n.enriched,
                         &n.mentions, &n.aggregates, &n.alerts, &n.dlq, &n.enrich_changelog, &n.aggregate_changelog}) {
    *t = prefix + *t;
  }
  return n;
}

// A running pipeline, real or pass-through, and how to tell it has drained.
class Pipeline {
 public:
  virtual ~Pipeline() = default;
  virtual double Ingested() = 0;   // raw records consumed by stage 1
  virtual bool Drained() = 0;      // every stage consumed all its predecessor produced
  virtual double Emitted() = 0;    // records the last stage's outputs the broker acknowledged
  virtual std::array<std::chrono::nanoseconds, 3> CpuTimes() = 0;  // per stage thread
  virtual prometheus::Registry& StageRegistry(int stage) = 0;
  virtual Status Stop() = 0;
};

class RealPipeline final : public Pipeline {
 public:
  explicit RealPipeline(std::unique_ptr<pipeline::EmbeddedPipeline> p) : p_(std::move(p)) {}
  double Ingested() override {
    return metrics::MetricValue(p_->registry(pipeline::Stage::kIngest), "voc_records_consumed_total");
  }
  bool Drained() override {
    using pipeline::Stage;
    auto& in = p_->registry(Stage::kIngest);
    auto& en = p_->registry(Stage::kEnrich);
    auto& ag = p_->registry(Stage::kAggregate);
    const auto& t = p_->topics();
    // At least: a partition that moves to an instance without its state is read again.
    return metrics::MetricValue(en, "voc_records_consumed_total") >=
               metrics::MetricValue(in, "voc_records_produced_total", {{"topic", t.feedback}}) &&
           metrics::MetricValue(ag, "voc_records_consumed_total") >=
               metrics::MetricValue(en, "voc_records_produced_total", {{"topic", t.mentions}});
  }
  double Emitted() override {
    return metrics::MetricValue(p_->registry(pipeline::Stage::kAggregate), "voc_records_produced_total",
                                {{"topic", p_->topics().aggregates}});
  }
  Status Stop() override { return p_->Stop(); }
  prometheus::Registry& StageRegistry(int stage) override { return p_->registry(static_cast<pipeline::Stage>(stage)); }
  std::array<std::chrono::nanoseconds, 3> CpuTimes() override {
    using pipeline::Stage;
    return {p_->CpuTime(Stage::kIngest), p_->CpuTime(Stage::kEnrich), p_->CpuTime(Stage::kAggregate)};
  }

 private:
  std::unique_ptr<pipeline::EmbeddedPipeline> p_;
};

class PassPipeline final : public Pipeline {
 public:
  PassPipeline(const std::string& bs, const runtime::PipelineTopicNames& n, const pipeline::EmbeddedPipelineOptions& o)
      : names_(n) {
    const std::array<std::vector<std::string>, 3> inputs = {
        std::vector<std::string>{n.raw_tickets, n.raw_surveys, n.raw_reviews}, {n.feedback}, {n.mentions}};
    const std::array<std::vector<std::string>, 3> outputs = {
        std::vector<std::string>{n.feedback}, {n.enriched, n.mentions}, {n.aggregates}};
    for (int i = 0; i < 3; ++i) {
      registries_[i] = std::make_shared<prometheus::Registry>();
      const std::string name = "pass-" + std::to_string(i + 1);
      for (int k = 0; k < o.instances[i]; ++k) {
        auto runner = runtime::ServiceRunner::Create(pipeline::StageOptions(o, {bs}, name, inputs[i], i > 0, k),
                                                     std::make_unique<PassThrough>(outputs[i], i == 0, i > 0),
                                                     registries_[i]);
        if (!runner.ok()) {
          status_ = runner.status();
          return;
        }
        stages_[i].Add(std::move(runner).value(), name);
      }
    }
  }
  ~PassPipeline() override { Stop().ok(); }
  const Status& status() const { return status_; }
  double Ingested() override { return metrics::MetricValue(*registries_[0], "voc_records_consumed_total"); }
  prometheus::Registry& StageRegistry(int stage) override { return *registries_[stage]; }
  double Emitted() override { return metrics::MetricValue(*registries_[2], "voc_records_produced_total"); }
  bool Drained() override {
    return metrics::MetricValue(*registries_[1], "voc_records_consumed_total") >=
               metrics::MetricValue(*registries_[0], "voc_records_produced_total", {{"topic", names_.feedback}}) &&
           metrics::MetricValue(*registries_[2], "voc_records_consumed_total") >=
               metrics::MetricValue(*registries_[1], "voc_records_produced_total", {{"topic", names_.mentions}});
  }
  std::array<std::chrono::nanoseconds, 3> CpuTimes() override {
    return {stages_[0].CpuTime(), stages_[1].CpuTime(), stages_[2].CpuTime()};
  }
  Status Stop() override { return pipeline::StopAll(stages_); }

 private:
  runtime::PipelineTopicNames names_;
  Status status_;
  std::array<std::shared_ptr<prometheus::Registry>, 3> registries_;
  std::array<pipeline::RunnerThreads, 3> stages_;
};

LoopTimes ReadLoopTimes(Pipeline& p) {
  LoopTimes t;
  for (int stage = 0; stage < 3; ++stage) {
    auto& r = p.StageRegistry(stage);
    for (size_t i = 0; i < kPhases.size(); ++i) {
      t.v[stage][i] = metrics::MetricValue(r, "voc_loop_seconds_total", {{"phase", kPhases[i]}});
    }
    t.v[stage][4] = metrics::MetricValue(r, "voc_batches_total");
  }
  return t;
}

struct Args {
  size_t events = 80'000;
  int partitions = 32;
  double rate = 5'000;
  int latency_seconds = 10;
  std::string only;  // "real" or "pass": run one pipeline (for profiling)
  bool timeline = false;  // every 100 ms: records consumed and loop seconds per stage
  int instances = 2;      // of every stage, in both pipelines
  bool changelogs = true;  // the real pipeline's stateful stages write their changelogs
};

// One line per 100 ms while draining: where a stalled stage is stuck shows at once.
void PrintTimeline(const std::string& prefix, Pipeline& p, double seconds) {
  std::fprintf(stderr, "%s %5.1f s consumed", prefix.c_str(), seconds);
  for (int stage = 0; stage < 3; ++stage) {
    std::fprintf(stderr, " %8.0f", metrics::MetricValue(p.StageRegistry(stage), "voc_records_consumed_total"));
  }
  std::fprintf(stderr, "   loop s wait/process/flush/commit");
  for (int stage = 0; stage < 3; ++stage) {
    std::fprintf(stderr, " |");
    for (const char* phase : kPhases) {
      std::fprintf(stderr, " %.2f", metrics::MetricValue(p.StageRegistry(stage), "voc_loop_seconds_total", {{"phase", phase}}));
    }
  }
  std::fprintf(stderr, "\n");
}

constexpr size_t kWarmUp = 2000;

// The records a topic holds, over its partitions (the sum of their high watermarks).
double RecordsIn(const std::string& bootstrap_servers, const std::string& topic, int partitions) {
  double records = 0;
  for (int p = 0; p < partitions; ++p) {
    auto marks = kafka::Watermarks({bootstrap_servers}, {topic, PartitionId(p)}, std::chrono::seconds(5));
    if (marks.ok()) records += static_cast<double>(marks->second.value);
  }
  return records;
}

Status ProduceAll(kafka::Producer& producer, const std::vector<gen::GeneratedRecord>& records, size_t from, size_t to,
                  const runtime::PipelineTopicNames& n) {
  const runtime::PipelineTopicNames defaults;
  for (size_t i = from; i < to; ++i) {
    const auto& r = records[i];
    const std::string& topic = r.topic == defaults.raw_tickets   ? n.raw_tickets
                               : r.topic == defaults.raw_surveys ? n.raw_surveys
                                                                 : n.raw_reviews;
    VOC_RETURN_IF_ERROR(producer.Produce(topic, r.key, r.value));
  }
  return Status::Ok();
}

// One phase on fresh topics and fresh state: the broker keeps at most 5 MiB per
// partition, and voc.theme.mentions is keyed by theme, so hot themes fill theirs first.
// Throughput: drain `backlog` preloaded events. Latency: offer args.rate events/s.
Result Run(bool real, bool latency_phase, kafka::EmbeddedBroker& broker, const Args& args,
           const gen::Generator& generator, const std::vector<gen::GeneratedRecord>& records,
           const std::string& state_root) {
  const std::string prefix = std::string(real ? "real" : "pass") + (latency_phase ? "-latency." : ".");
  const auto names = Prefixed(prefix);
  for (const auto& t : runtime::PipelineTopics(names, args.partitions)) broker.CreateTopic(t.name, t.partitions).ok();
  const std::string bs = broker.bootstrap_servers();
  auto producer = kafka::Producer::Create({.client = {bs}, .properties = {{"linger.ms", "25"}}});
  for (const auto& c : generator.customers()) (*producer)->Produce(names.customers, c.customer_id(), c.SerializeAsString()).ok();
  const size_t backlog = latency_phase ? 0 : args.events;

  pipeline::EmbeddedPipelineOptions o;
  o.bootstrap_servers = bs;
  o.topics = names;
  o.partitions = args.partitions;
  o.state_root = state_root + "/" + prefix;
  o.batch_max_records = 10'000;
  o.batch_max_wait = std::chrono::milliseconds(50);
  o.instances = {args.instances, args.instances, args.instances};  // every stage scales, voc-ingest included
  for (const auto& [key, value] : kafka::EmbeddedBroker::GroupConsumerProperties()) o.consumer_properties[key] = value;
  o.aggregate.emit_interval = std::chrono::milliseconds(250);
  o.changelogs = args.changelogs;
  metrics::ResetPeakResidentBytes();
  std::unique_ptr<Pipeline> p;
  if (real) {
    auto started = pipeline::EmbeddedPipeline::Start(o);
    if (!started.ok()) {
      std::fprintf(stderr, "cannot start the pipeline: %s\n", started.status().ToString().c_str());
      std::exit(1);
    }
    p = std::make_unique<RealPipeline>(std::move(started).value());
  } else {
    auto pass = std::make_unique<PassPipeline>(bs, names, o);
    if (!pass->status().ok()) std::exit(1);
    p = std::move(pass);
  }
  // Drain: from the start of the services (group joins included) until every stage is idle.
  // Warm-up: group joins (3 s for a first join) and each client's first round trips to
  // the broker (a producer's first acknowledgement takes about 1 s) are start-up, not
  // throughput: it ends once the last stage's outputs have been acknowledged.
  const auto wait_drained = [&](size_t ingested, std::chrono::seconds limit) {
    const auto give_up = Clock::now() + limit;
    auto last_report = Clock::now();
    // Polled every 100 ms while the first stage has records left (reading the registries
    // costs CPU the stages need), then every 2 ms: the pass-through drains 80,000 events
    // in a few tenths of a second, and a 100 ms step made its events/s move by a third.
    while (true) {
      const bool ingested_all = p->Ingested() >= static_cast<double>(ingested);
      if (ingested_all && p->Drained() && p->Emitted() > 0) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(ingested_all ? 2 : 100));
      if (args.timeline) PrintTimeline(prefix, *p, std::chrono::duration<double>(Clock::now() - give_up + limit).count());
      if (Clock::now() > give_up) {
        std::fprintf(stderr, "%s: did not drain in time (records lost to the broker's size cap?)\n", prefix.c_str());
        std::exit(1);
      }
      if (Clock::now() - last_report > std::chrono::seconds(2)) {
        last_report = Clock::now();
        std::fprintf(stderr, "%s: %.0f of %zu ingested\n", prefix.c_str(), p->Ingested(), ingested);
      }
    }
  };
  ProduceAll(**producer, records, 0, kWarmUp, names).ok();
  (*producer)->Flush(std::chrono::seconds(60)).ok();
  wait_drained(kWarmUp, std::chrono::seconds(120));
  const bool count_changelogs = real && args.changelogs && backlog > 0;
  std::array<double, 2> changelog_before{};
  // The warm-up's last checkpoint goes out within a commit interval (1 s) of its drain: the
  // changelogs are counted from there, before the timed backlog.
  if (count_changelogs) std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  const std::array<const std::string*, 2> changelogs = {&names.enrich_changelog, &names.aggregate_changelog};
  for (size_t i = 0; i < 2 && count_changelogs; ++i) changelog_before[i] = RecordsIn(bs, *changelogs[i], args.partitions);
  const auto first_in = Clock::now();
  const auto cpu_before = p->CpuTimes();
  const auto process_cpu_before = ProcessCpuTime();
  const auto threads_before = ReadThreadGroupsCpu();
  const LoopTimes loop_before = ReadLoopTimes(*p);
  ProduceAll(**producer, records, kWarmUp, kWarmUp + backlog, names).ok();
  (*producer)->Flush(std::chrono::seconds(120)).ok();
  Result result;
  if (backlog > 0) wait_drained(kWarmUp + backlog, std::chrono::seconds(300));
  result.drain_s = std::chrono::duration<double>(Clock::now() - first_in).count();
  result.events_per_s = backlog > 0 ? static_cast<double>(backlog) / result.drain_s : 0;
  const auto cpu_after = p->CpuTimes();
  if (backlog > 0) {
    result.process_cpu_us_per_event = std::chrono::duration<double, std::micro>(ProcessCpuTime() - process_cpu_before).count() /
                                      static_cast<double>(backlog);
    const auto threads_after = ReadThreadGroupsCpu();
    result.client_cpu_us_per_event = (threads_after.clients - threads_before.clients) * 1e6 / static_cast<double>(backlog);
    result.broker_cpu_us_per_event = (threads_after.broker - threads_before.broker) * 1e6 / static_cast<double>(backlog);
  }
  const LoopTimes loop_after = ReadLoopTimes(*p);
  for (int stage = 0; stage < 3; ++stage) {
    for (int i = 0; i < 5; ++i) result.loop.v[stage][i] = loop_after.v[stage][i] - loop_before.v[stage][i];
  }
  for (int i = 0; i < 3 && backlog > 0; ++i) {
    result.cpu_us_per_event[i] =
        std::chrono::duration<double, std::micro>(cpu_after[i] - cpu_before[i]).count() / static_cast<double>(backlog);
  }
  if (!latency_phase) {
    result.peak_rss = metrics::PeakResidentBytes();
    producer->reset();
    if (Status s = p->Stop(); !s.ok()) std::fprintf(stderr, "%s: %s\n", prefix.c_str(), s.ToString().c_str());
    // Counted once the stop's last checkpoint is out: changes reach the changelog at
    // checkpoints (every second), so a count taken as the drain ends misses the last.
    for (size_t i = 0; i < 2 && count_changelogs; ++i) {
      result.changelog_records_per_event[i] =
          (RecordsIn(bs, *changelogs[i], args.partitions) - changelog_before[i]) / static_cast<double>(backlog);
    }
    return result;
  }

  // Latency at a fixed offered rate, read back from the last topic as a dashboard would.
  kafka::ConsumerOptions co;
  co.client = {bs};
  co.topics = {names.aggregates};
  co.start_offset = [](const TopicPartition&) { return kafka::kOffsetEnd; };
  auto reader = kafka::Consumer::Create(std::move(co));
  std::vector<double> latencies;
  // The phase's own events carry their produce time as the source timestamp.
  const int64_t phase_start_ms = WallMs();
  std::atomic<bool> feeding{true};
  std::thread feeder([&] {
    const auto start = Clock::now();
    size_t sent = 0;
    const size_t total = static_cast<size_t>(args.rate * args.latency_seconds);
    const size_t first = kWarmUp + args.events;  // the latency phase's events follow the backlog's
    while (sent < total && first + sent < records.size()) {
      const double due = std::chrono::duration<double>(Clock::now() - start).count() * args.rate;
      const size_t upto = std::min({static_cast<size_t>(due), total, records.size() - first});
      if (upto > sent) {
        ProduceAll(**producer, records, first + sent, first + upto, names).ok();
        sent = upto;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
      (*producer)->Flush(std::chrono::seconds(10)).ok();
    }
    feeding.store(false);
  });
  kafka::RecordBatch batch;
  voc::v1::ThemeAggregate agg;
  const auto latency_end = Clock::now() + std::chrono::seconds(args.latency_seconds + 3);
  std::unordered_map<std::string, int64_t> newest_source;  // by window (record key)
  while (Clock::now() < latency_end) {
    batch.Clear();
    (*reader)->Poll(10'000, std::chrono::milliseconds(50), &batch).ok();
    const int64_t now = WallMs();
    for (const auto& r : batch) {
      int64_t source = 0;
      if (real) {
        if (!agg.ParseFromArray(r.value.data(), static_cast<int>(r.value.size()))) continue;
        source = agg.meta().source_timestamp_ms();
      } else if (r.value.size() >= 8) {
        std::memcpy(&source, r.value.data(), 8);
      }
      // Only windows touched by the latency phase's own events count, and an upsert only
      // when it carries a newer event than the window's previous one: a window re-emitted
      // without a new event (closed by the watermark, or an older revision retracted) says
      // nothing about how fast events reach the aggregates. The warm-up's windows, closed
      // when this phase's events move the watermark, were once 1-2% of the samples, all
      // 4-14 s "late": they made the p99.
      if (source < phase_start_ms) continue;
      int64_t& newest = newest_source[std::string(r.key)];
      if (source <= newest) continue;
      newest = source;
      latencies.push_back(static_cast<double>(now - source));
    }
  }
  feeder.join();
  batch.Clear();
  (*reader)->Close(std::chrono::seconds(5)).ok();
  reader->reset();
  producer->reset();
  result.p50_ms = Percentile(latencies, 0.5);
  result.p99_ms = Percentile(latencies, 0.99);
  result.latency_samples = latencies.size();
  if (Status s = p->Stop(); !s.ok()) std::fprintf(stderr, "%s: %s\n", prefix.c_str(), s.ToString().c_str());
  return result;
}

}  // namespace
}  // namespace voc::bench

int main(int argc, char** argv) {
  using namespace voc;
  bench::Args args;
  CLI::App app(
      "pipeline_bench: the same generated stream through the real pipeline and a pass-through of the same shape on "
      "one embedded broker; for each, events/s draining a backlog, p50/p99 latency at a fixed rate, and peak RSS.",
      "pipeline_bench");
  app.add_option("--events", args.events, "Events in the backlog each pipeline drains")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e9));
  app.add_option("--partitions", args.partitions, "Partitions of every topic")->capture_default_str()->check(CLI::Range(1, 1024));
  app.add_option("--rate", args.rate, "Events offered per second in the latency phase")
      ->capture_default_str()
      ->check(CLI::Range(1.0, 1e7));
  app.add_option("--latency-seconds", args.latency_seconds, "How long the latency phase offers --rate (0: no latency phase)")
      ->capture_default_str()
      ->check(CLI::Range(0, 3600));
  app.add_option("--instances", args.instances, "Instances of every stage in both pipelines, each on its own thread")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--only", args.only, "Run one pipeline only (for profiling)")->check(CLI::IsMember({"real", "pass"}));
  app.add_flag("--timeline", args.timeline, "Every 100 ms while draining: records consumed and loop seconds per stage");
  app.add_flag("--no-changelogs{false}", args.changelogs, "The real pipeline's stateful stages write no changelogs");
  if (auto exit_code = runtime::ParseCommandLine(app, argc, argv)) return *exit_code;
  logging::Init({.program = "pipeline_bench", .level = "warn"}).ok();
  auto broker = kafka::EmbeddedBroker::Start();
  if (!broker.ok()) return 1;
  gen::GenOptions go;
  go.seed = 1;
  go.customers = 500;
  const size_t total = bench::kWarmUp + args.events + static_cast<size_t>(args.rate * args.latency_seconds);
  go.planned_count = total;
  go.pii_share = 0.05;
  gen::Generator generator(go);
  std::vector<gen::GeneratedRecord> records;
  records.reserve(total);
  for (size_t i = 0; i < total; ++i) records.push_back(generator.Next());
  const std::string state = (std::filesystem::temp_directory_path() / ("voc-bench-" + std::to_string(getpid()))).string();
  bench::Result pass, real;
  if (args.only != "real") pass = bench::Run(false, false, **broker, args, generator, records, state);
  if (args.only != "pass") real = bench::Run(true, false, **broker, args, generator, records, state);
  bench::Result pass_latency, real_latency;
  if (args.latency_seconds > 0 && args.only.empty()) {  // --latency-seconds 0: throughput only
    pass_latency = bench::Run(false, true, **broker, args, generator, records, state);
    real_latency = bench::Run(true, true, **broker, args, generator, records, state);
  }
  pass.p50_ms = pass_latency.p50_ms;
  pass.p99_ms = pass_latency.p99_ms;
  real.p50_ms = real_latency.p50_ms;
  real.p99_ms = real_latency.p99_ms;
  std::filesystem::remove_all(state);
  std::printf(
      "whole-pipeline benchmark: %zu events, %d partitions, %u cores, %d instance(s) of every stage, changelogs %s; "
      "latency at %.0f events/s offered\n",
      args.events, args.partitions, std::thread::hardware_concurrency(), args.instances,
      args.changelogs ? "on" : "off", args.rate);
  std::printf("%-14s %12s %10s %10s %10s %12s   %s\n", "pipeline", "events/s", "drain s", "p50 ms", "p99 ms",
              "peak RSS MiB", "CPU us/event: stage 1 / 2 / 3 / Kafka clients / broker / whole process");
  for (const auto& [name, r] : {std::pair{"pass-through", pass}, std::pair{"real", real}}) {
    std::printf("%-14s %12.0f %10.2f %10.0f %10.0f %12.0f   %.1f / %.1f / %.1f / %.1f / %.1f / %.1f\n", name,
                r.events_per_s, r.drain_s, r.p50_ms, r.p99_ms, static_cast<double>(r.peak_rss) / (1 << 20),
                r.cpu_us_per_event[0], r.cpu_us_per_event[1], r.cpu_us_per_event[2], r.client_cpu_us_per_event,
                r.broker_cpu_us_per_event, r.process_cpu_us_per_event);
  }
  std::printf("real / pass-through: throughput %.2f, whole-process CPU per event %.2f\n",
              real.events_per_s / pass.events_per_s, real.process_cpu_us_per_event / pass.process_cpu_us_per_event);
  if (args.changelogs) {
    std::printf("changelog records per event (real): voc-enrich %.2f, voc-aggregate %.2f\n",
                real.changelog_records_per_event[0], real.changelog_records_per_event[1]);
  }
  std::printf("\nwhere each stage's loop spent the drain, seconds: wait / process / flush / commit (batches)\n");
  for (const auto& [name, r] : {std::pair{"pass-through", pass}, std::pair{"real", real}}) {
    std::printf("%-14s", name);
    for (const auto& stage : r.loop.v) {
      std::printf("  %.2f / %.2f / %.2f / %.2f (%.0f)", stage[0], stage[1], stage[2], stage[3], stage[4]);
    }
    std::printf("\n");
  }
  return 0;
}
