// The soak benchmark (issue 16): a long stream at a fixed rate through the real pipeline
// (voc-ingest, voc-enrich and voc-aggregate fused in one process on the embedded broker,
// as pipeline_bench runs them, or with --services as the services' own processes,
// soak_stages.h), with event times spread over the retention, so state
// grows as it does in production. Every --interval it prints, per stage, records in and
// out per second, CPU per input record, lag, the process's RSS, the stage's state on disk
// and the records lost to the broker's size cap; at the end, each stage's CPU per record
// in the last interval against the first (issue 16 asks for at most 1.5x).
//
//   soak_bench [--rate R] [--minutes M | --records N] [--span-days D] [--customers C]
//              [--partitions P] [--instances I] [--interval S] [--state-dir DIR]
//              [--seed S] [--history H] [--drain-seconds S]
//              [--services [--service-config FILE] [--service-set KEY=VALUE]...]
// Exits 3 when records were lost (a partition fell more than the embedded broker's 5 MiB
// behind); Ctrl-C ends the feed early and still prints the summary.
#include <pthread.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>

#include "benchmarks/cpu_accounting.h"
#include "benchmarks/soak_stages.h"
#include "common/kafka/embedded_broker.h"
#include "common/kafka/kafka.h"
#include "common/logging/logging.h"
#include "common/metrics/process_metrics.h"
#include "common/runtime/command_line.h"
#include "common/runtime/stop_signal.h"
#include "services/pipeline/embedded_pipeline.h"
#include "tools/gen/generator.h"

namespace voc::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Args {
  double rate = 1000;        // records offered per second
  double minutes = 10;       // how long to feed...
  size_t records = 0;        // ...or this many records (when not 0)
  double span_days = 30;     // event times run evenly over this span, whatever the length
  size_t customers = 10'000;
  int partitions = 64;       // of every topic; the broker keeps 5 MiB of each
  int instances = 1;         // of every stage
  double interval_s = 60;    // report period
  std::string state_dir;     // empty: a temporary folder, removed at the end
  uint64_t seed = 1;
  size_t history = 10'000;   // feedback that revisions and duplicates pick from (bounds the feeder's memory)
  double drain_s = 60;       // after the feed, how long to wait for the stages to catch up
  int feed_linger_ms = 25;   // the feeder's producer: how long it gathers a partition's batch
  std::string bootstrap;     // empty: the embedded broker; else a running cluster whose topics exist
  std::vector<std::string> client_properties;  // KEY=VALUE, for every client handle
  bool changelogs = true;    // the stateful stages write their changelogs
  bool services = false;     // each stage as its service's own executable (SoakStages)
  std::string service_config = VOC_SOURCE_DIR "/config/vocstream.yaml";
  std::vector<std::string> service_sets;  // KEY=VALUE for every service
};

constexpr std::array<const char*, 3> kStageNames = {"ingest", "enrich", "aggregate"};
// The phases of a service's loop (voc_loop_seconds_total): where a stage that falls behind
// spends its time, waiting for input, processing, or at the checkpoint's flush and commit.
constexpr std::array<const char*, 4> kLoopPhases = {"wait", "process", "flush", "commit"};
constexpr std::array<const char*, 3> kServices = {"voc-ingest", "voc-enrich", "voc-aggregate"};

// Produces the generated stream at a fixed rate on a thread of its own. Start, Stop and
// the readings may come from any one other thread.
class Feeder {
 public:
  Feeder(kafka::Producer& producer, gen::Generator& generator, double rate, size_t total)
      : producer_(producer), generator_(generator), rate_(rate), total_(total) {}
  Feeder(const Feeder&) = delete;
  Feeder& operator=(const Feeder&) = delete;
  ~Feeder() { Stop(); }

  void Start() {
    thread_ = std::thread([this] { Run(); });
    pthread_setname_np(thread_.native_handle(), "soak-feeder");
  }
  void Stop() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  uint64_t fed() const { return fed_.load(); }          // records queued to the broker
  uint64_t refused() const { return refused_.load(); }  // records the producer would not take
  bool done() const { return done_.load(); }            // all fed and acknowledged (or stopped)
  // Not before Start; after Stop, what the thread used in all.
  std::chrono::nanoseconds CpuTime() const {
    return done() || !thread_.joinable() ? final_cpu_ : pipeline::ThreadCpuTime(thread_);
  }

 private:
  void Run() {
    const auto start = Clock::now();
    uint64_t sent = 0;
    while (sent < total_ && !stop_.load()) {
      const auto due = std::min<uint64_t>(
          total_, static_cast<uint64_t>(std::chrono::duration<double>(Clock::now() - start).count() * rate_));
      for (; sent < due && !stop_.load(); ++sent) {
        const gen::GeneratedRecord r = generator_.Next();
        if (Status s = producer_.Produce(r.topic, r.key, r.value); !s.ok()) {
          if (refused_.fetch_add(1) == 0) std::fprintf(stderr, "soak_bench: feed: %s\n", s.ToString().c_str());
        }
        fed_.store(sent + 1);
      }
      producer_.Poll();
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (Status s = producer_.Flush(std::chrono::seconds(60)); !s.ok()) {
      std::fprintf(stderr, "soak_bench: feed: %s\n", s.ToString().c_str());
    }
    final_cpu_ = pipeline::ThreadCpuTime(thread_);
    done_.store(true);
  }

  kafka::Producer& producer_;
  gen::Generator& generator_;
  const double rate_;
  const uint64_t total_;
  std::atomic<uint64_t> fed_{0}, refused_{0};
  std::atomic<bool> stop_{false}, done_{false};
  std::chrono::nanoseconds final_cpu_{0};  // written before done_ is set
  std::thread thread_;  // last: joined before the members it uses go
};

uint64_t FolderBytes(const std::filesystem::path& folder) {
  uint64_t bytes = 0;
  std::error_code ec;  // RocksDB adds and deletes files while this walks
  for (auto it = std::filesystem::recursive_directory_iterator(folder, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const auto size = it->file_size(size_ec);
      if (!size_ec) bytes += size;
    }
  }
  return bytes;
}

// The counters a report line is the difference of, read at one moment.
struct Reading {
  Clock::time_point at;
  double fed = 0;
  struct PerStage {
    double consumed = 0, produced = 0, lost = 0, upstream = 0;  // upstream: produced into its input
    std::chrono::nanoseconds cpu{0};
    std::optional<SoakStages::BackgroundCpu> background;  // of cpu, with services
    uint64_t state_bytes = 0;
    std::array<double, 4> loop_seconds{};  // the loop's phases, as kLoopPhases names them
    double checkpoints = 0;
    uint64_t rss = 0;  // SoakStages::Rss
  };
  std::array<PerStage, 3> stages;
  std::chrono::nanoseconds process_cpu{0}, feeder_cpu{0};
  ThreadGroupsCpu groups;
};

Reading Read(SoakStages& stages, const runtime::PipelineTopicNames& t, const Feeder& feeder,
             const std::filesystem::path& state_root) {
  Reading r;
  r.at = Clock::now();
  r.fed = static_cast<double>(feeder.fed());
  stages.Refresh();
  const std::array<std::string, 3> outputs = {t.feedback, t.mentions, t.aggregates};
  for (size_t i = 0; i < 3; ++i) {
    auto& s = r.stages[i];
    const auto metric = [&](const std::string& name, const Labels& labels = {}) {
      return std::max(0.0, stages.Metric(i, name, labels));
    };
    s.consumed = metric("voc_records_consumed_total");
    s.produced = metric("voc_records_produced_total", {{"topic", outputs[i]}});
    s.lost = metric("voc_records_lost_total");
    s.cpu = stages.Cpu(i);
    s.background = stages.Background(i);
    for (size_t k = 0; k < kLoopPhases.size(); ++k) s.loop_seconds[k] = metric("voc_loop_seconds_total", {{"phase", kLoopPhases[k]}});
    s.checkpoints = metric("voc_checkpoints_total");
    s.rss = stages.Rss(i);
    if (i > 0) s.state_bytes = FolderBytes(state_root / kServices[i]);
  }
  r.stages[0].upstream = r.fed - static_cast<double>(feeder.refused());
  r.stages[1].upstream = r.stages[0].produced;
  r.stages[2].upstream = r.stages[1].produced;
  r.process_cpu = ProcessCpuTime();
  r.feeder_cpu = feeder.CpuTime();
  r.groups = ReadThreadGroupsCpu();
  return r;
}

// Records behind: produced into the stage's input, less what it read and what fell off
// the log before it could (a rebalance's re-reads can make it briefly negative: 0).
double Lag(const Reading::PerStage& s) { return std::max(0.0, s.upstream - s.consumed - s.lost); }

constexpr double kMiB = 1 << 20;

struct IntervalCpu {
  std::array<std::optional<double>, 3> us_per_record;  // nullopt: the stage read nothing
  // Of us_per_record with services: RocksDB's background threads' and the Kafka client's.
  struct Background {
    double rocksdb = 0, kafka = 0;
  };
  std::array<std::optional<Background>, 3> background;
};

IntervalCpu PrintInterval(const Reading& a, const Reading& b, const Clock::time_point start, bool services) {
  const double secs = std::chrono::duration<double>(b.at - a.at).count();
  const double elapsed = std::chrono::duration<double>(b.at - start).count();
  IntervalCpu out;
  for (size_t i = 0; i < 3; ++i) {
    const auto& x = a.stages[i];
    const auto& y = b.stages[i];
    const double in = y.consumed - x.consumed;
    const auto us_per_in = [&](std::chrono::nanoseconds d) { return std::chrono::duration<double, std::micro>(d).count() / in; };
    char cpu[32] = "-";
    char background[32] = "-";
    if (in > 0) {
      out.us_per_record[i] = us_per_in(y.cpu - x.cpu);
      std::snprintf(cpu, sizeof cpu, "%.1f", *out.us_per_record[i]);
      if (x.background && y.background) {
        out.background[i] = {us_per_in(y.background->rocksdb - x.background->rocksdb),
                             us_per_in(y.background->kafka - x.background->kafka)};
        std::snprintf(background, sizeof background, "%.1f/%.1f", out.background[i]->rocksdb,
                      out.background[i]->kafka);
      }
    }
    char state[32] = "-";
    if (i > 0) std::snprintf(state, sizeof state, "%.1f", static_cast<double>(y.state_bytes) / kMiB);
    // Shares of the interval in each loop phase; one stage's instances add up.
    std::string loop;
    for (size_t k = 0; k < kLoopPhases.size(); ++k) {
      loop += (k ? "/" : "") + std::to_string(std::lround(100 * (y.loop_seconds[k] - x.loop_seconds[k]) / secs));
    }
    std::printf("%7.0f s  %-9s %9.0f %9.0f %11s %11s %10.0f %9.0f %10s %9.0f  %-12s %6.1f\n", elapsed, kStageNames[i],
                in / secs, (y.produced - x.produced) / secs, cpu, background, Lag(y), static_cast<double>(y.rss) / kMiB,
                state, y.lost, loop.c_str(), (y.checkpoints - x.checkpoints) / secs);
  }
  // The whole process per raw record ingested, and the threads the stages' figures leave out.
  const double raw = b.stages[0].consumed - a.stages[0].consumed;
  if (raw > 0) {
    const auto us = [&](double seconds) { return seconds * 1e6 / raw; };
    std::chrono::nanoseconds stages{0};
    for (size_t i = 0; i < 3; ++i) stages += b.stages[i].cpu - a.stages[i].cpu;
    const auto seconds = [](std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); };
    if (services) {
      std::printf("%7.0f s  %-9s fed %.0f/s; CPU us per raw record: the services' processes %.1f, this process %.1f "
                  "(embedded broker %.1f, feeder %.1f)\n",
                  elapsed, "process", (b.fed - a.fed) / secs, us(seconds(stages)),
                  us(seconds(b.process_cpu - a.process_cpu)), us(b.groups.broker - a.groups.broker),
                  us(seconds(b.feeder_cpu - a.feeder_cpu)));
      std::fflush(stdout);
      return out;
    }
    std::printf("%7.0f s  %-9s fed %.0f/s; CPU us per raw record: whole process %.1f (stage threads %.1f, Kafka "
                "clients %.1f, broker %.1f, RocksDB background %.1f, feeder %.1f)\n",
                elapsed, "process", (b.fed - a.fed) / secs, us(seconds(b.process_cpu - a.process_cpu)),
                us(seconds(stages)), us(b.groups.clients - a.groups.clients), us(b.groups.broker - a.groups.broker),
                us(b.groups.rocksdb - a.groups.rocksdb), us(seconds(b.feeder_cpu - a.feeder_cpu)));
  }
  std::fflush(stdout);
  return out;
}

std::string CommandLine(int argc, char** argv) {
  std::string out = std::filesystem::path(argv[0]).filename().string();
  for (int i = 1; i < argc; ++i) out += std::string(" ") + argv[i];
  return out;
}

std::string CpuModel() {
  std::ifstream f("/proc/cpuinfo");
  for (std::string line; std::getline(f, line);) {
    if (line.starts_with("model name")) return line.substr(line.find(':') + 2);
  }
  return "unknown CPU";
}

std::string Utc(int64_t ms) {
  const std::time_t t = ms / 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%MZ", &tm);
  return buf;
}

int Run(const Args& args, const std::string& command, const std::atomic<bool>& stop) {
  const bool terminal = isatty(STDERR_FILENO) == 1;
  const size_t total = args.records > 0 ? args.records : static_cast<size_t>(args.rate * args.minutes * 60);
  namespace fs = std::filesystem;
  const bool temporary_state = args.state_dir.empty();
  const fs::path state_root =
      temporary_state ? fs::temp_directory_path() / ("voc-soak-" + std::to_string(getpid())) : fs::path(args.state_dir);
  std::error_code ec;
  if (!temporary_state && fs::exists(state_root, ec) && !fs::is_empty(state_root, ec)) {
    std::fprintf(stderr, "soak_bench: --state-dir %s is not empty; the stages would restore old state against a new broker\n",
                 state_root.c_str());
    return 2;
  }
  fs::create_directories(state_root, ec);
  if (ec) {
    std::fprintf(stderr, "soak_bench: cannot create %s: %s\n", state_root.c_str(), ec.message().c_str());
    return 2;
  }
  // Removes a temporary state folder on every way out.
  struct Cleanup {
    fs::path path;
    ~Cleanup() {
      std::error_code e;
      if (!path.empty()) fs::remove_all(path, e);
    }
  } cleanup{temporary_state ? state_root : fs::path()};

  // The embedded broker, or the cluster named: there the topics must exist already, as
  // production clusters create them (scripts/kafka-broker.sh create for the test broker).
  const runtime::PipelineTopicNames names;
  kafka::ClientConfig client{args.bootstrap};
  for (const std::string& kv : args.client_properties) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      std::fprintf(stderr, "soak_bench: --client-property '%s' is not KEY=VALUE\n", kv.c_str());
      return 2;
    }
    client.properties[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  std::unique_ptr<kafka::EmbeddedBroker> broker;
  if (client.bootstrap_servers.empty()) {
    auto started = kafka::EmbeddedBroker::Start();
    if (!started.ok()) {
      std::fprintf(stderr, "soak_bench: cannot start the embedded broker: %s\n", started.status().ToString().c_str());
      return 1;
    }
    broker = std::move(*started);
    for (const auto& t : runtime::PipelineTopics(names, args.partitions)) {
      if (Status s = broker->CreateTopic(t.name, t.partitions); !s.ok()) {
        std::fprintf(stderr, "soak_bench: %s\n", s.ToString().c_str());
        return 1;
      }
    }
    client.bootstrap_servers = broker->bootstrap_servers();
  }
  const std::string& bs = client.bootstrap_servers;

  // Event times end about now (ingest refuses the future) and start span-days earlier.
  const int64_t span_ms = static_cast<int64_t>(args.span_days * 86'400'000);
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  gen::GenOptions go;
  go.seed = args.seed;
  go.customers = args.customers;
  go.pii_share = 0.05;
  go.start_ms = now_ms / 3'600'000 * 3'600'000 - span_ms;
  go.span_ms = span_ms;
  go.planned_count = total;
  go.history = args.history;
  go.truth_feedback = false;  // only counts: the truth of a long stream outgrows memory
  go.topics = names;
  gen::Generator generator(go);

  auto producer = kafka::Producer::Create(
      {.client = client, .properties = {{"linger.ms", std::to_string(args.feed_linger_ms)}}});
  if (!producer.ok()) {
    std::fprintf(stderr, "soak_bench: %s\n", producer.status().ToString().c_str());
    return 1;
  }
  for (const auto& c : generator.customers()) {
    if (Status s = (*producer)->Produce(names.customers, c.customer_id(), c.SerializeAsString()); !s.ok()) {
      std::fprintf(stderr, "soak_bench: customers: %s\n", s.ToString().c_str());
      return 1;
    }
  }
  if (Status s = (*producer)->Flush(std::chrono::seconds(60)); !s.ok()) {
    std::fprintf(stderr, "soak_bench: customers: %s\n", s.ToString().c_str());
    return 1;
  }

  std::unique_ptr<SoakStages> stages;
  if (args.services) {
    // The services keep their own assignor (a service refuses to be given one), which on
    // the embedded broker settles with one instance of each (EmbeddedBroker).
    ServiceOptions so{.config = args.service_config, .sets = args.service_sets, .client = client,
                      .state_root = state_root, .instances = args.instances};
    if (!args.changelogs) so.sets.push_back("state.changelog=false");
    auto started = ServiceStages(so);
    if (!started.ok()) {
      std::fprintf(stderr, "soak_bench: %s\n", started.status().ToString().c_str());
      return 1;
    }
    stages = std::move(*started);
  } else {
    pipeline::EmbeddedPipelineOptions o;
    o.bootstrap_servers = bs;
    o.client_properties = client.properties;
    if (broker) {
      for (const auto& [key, value] : kafka::EmbeddedBroker::GroupConsumerProperties()) o.consumer_properties[key] = value;
    }
    o.changelogs = args.changelogs;
    o.topics = names;
    o.partitions = args.partitions;
    o.state_root = state_root.string();
    o.instances = {args.instances, args.instances, args.instances};
    auto started = pipeline::EmbeddedPipeline::Start(o);
    if (!started.ok()) {
      std::fprintf(stderr, "soak_bench: cannot start the pipeline: %s\n", started.status().ToString().c_str());
      return 1;
    }
    stages = FusedStages(std::move(*started));
  }
  const bool services = stages->separate_processes();

  // Group joins take seconds: they are start-up, not the first interval. Every instance
  // says it is ready (fused, the instances of a stage share one gauge).
  const double ready_needed = services ? args.instances : 1;
  const auto join_limit = Clock::now() + std::chrono::seconds(60);
  const auto all_ready = [&] {
    stages->Refresh();
    for (size_t i = 0; i < 3; ++i) {
      if (stages->Metric(i, "voc_ready") < ready_needed) return false;
    }
    return true;
  };
  while (!all_ready() && Clock::now() < join_limit && !stop.load() && !stages->Failure()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (auto failure = stages->Failure()) {
    std::fprintf(stderr, "soak_bench: %s\n", failure->c_str());
    return 1;
  }
  if (!all_ready()) std::fprintf(stderr, "soak_bench: not every stage was assigned partitions within 60 s; feeding anyway\n");

  std::printf("soak_bench on %u cores (%s): %s\n", std::thread::hardware_concurrency(), CpuModel().c_str(),
              command.c_str());
  std::printf("feeding %zu records at %.0f/s (%.1f min), event times %s .. %s, %zu customers, %d partitions, "
              "%d instance(s) of every stage%s, state in %s%s\n",
              total, args.rate, static_cast<double>(total) / args.rate / 60, Utc(go.start_ms).c_str(),
              Utc(go.start_ms + span_ms).c_str(), args.customers, args.partitions, args.instances,
              services ? (", each its service's own process with " + args.service_config).c_str()
                       : " fused in this process",
              state_root.c_str(), temporary_state ? " (removed at the end)" : "");
  if (services) {
    std::printf("(per stage: CPU is the service processes' whole CPU, of which rocks/kafka is RocksDB's background "
                "threads' and the Kafka client's; RSS the largest instance's; the process line: the services together, "
                "and this process: the embedded broker and the feeder)\n");
  }
  std::printf("%9s  %-9s %9s %9s %11s %11s %10s %9s %10s %9s  %-12s %6s\n", "elapsed", "stage", "in/s", "out/s",
              "CPU us/rec", "rocks/kafka", "lag", "RSS MiB", "state MiB", "lost", "loop % w/p/f/c", "ckpt/s");
  std::fflush(stdout);

  Feeder feeder(**producer, generator, args.rate, total);
  const auto start = Clock::now();
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.interval_s));
  Reading first_reading = Read(*stages, names, feeder, state_root);
  first_reading.at = start;
  feeder.Start();
  Reading last = first_reading;
  std::vector<IntervalCpu> intervals;
  auto next_report = start + interval;
  auto next_progress = start + std::chrono::seconds(1);
  const auto clear_progress = [&] {
    if (terminal) std::fprintf(stderr, "\r\033[K");
  };
  std::optional<std::string> failure;
  while (!feeder.done() && !stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const auto now = Clock::now();
    if (now >= next_report) {
      if ((failure = stages->Failure())) break;
      clear_progress();
      const Reading r = Read(*stages, names, feeder, state_root);
      intervals.push_back(PrintInterval(last, r, start, services));
      last = r;
      next_report += interval;
    }
    if (terminal && now >= next_progress) {
      next_progress += std::chrono::seconds(1);
      std::fprintf(stderr, "\r\033[Kfed %llu of %zu (%.0f%%), %.0f s", static_cast<unsigned long long>(feeder.fed()),
                   total, 100.0 * static_cast<double>(feeder.fed()) / static_cast<double>(std::max<size_t>(1, total)),
                   std::chrono::duration<double>(now - start).count());
      std::fflush(stderr);
    }
  }
  clear_progress();
  const bool interrupted = stop.load();
  feeder.Stop();
  if (failure) {
    std::fprintf(stderr, "soak_bench: %s\n", failure->c_str());
    return 1;
  }
  // The rest of the feed, as a last (shorter) interval when it is worth a line.
  bool short_last = false;
  if (Clock::now() - last.at > interval / 4) {
    const Reading r = Read(*stages, names, feeder, state_root);
    intervals.push_back(PrintInterval(last, r, start, services));
    last = r;
    short_last = true;
  }
  const double feed_s = std::chrono::duration<double>(Clock::now() - start).count();

  // Drain: every stage catches up with what was fed (or the wait ends).
  const auto drain_start = Clock::now();
  const auto drain_limit = drain_start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(args.drain_s));
  Reading end = Read(*stages, names, feeder, state_root);
  const auto behind = [](const Reading& r) {
    return std::ranges::any_of(r.stages, [](const Reading::PerStage& s) { return Lag(s) > 0; });
  };
  while (behind(end) && Clock::now() < drain_limit && !stop.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    end = Read(*stages, names, feeder, state_root);
  }
  const double drain_s = std::chrono::duration<double>(Clock::now() - drain_start).count();

  std::printf("\nsummary: %.0f records fed in %.0f s%s (%llu refused by the producer); ", end.fed, feed_s,
              interrupted ? ", interrupted" : "", static_cast<unsigned long long>(feeder.refused()));
  if (behind(end)) {
    std::printf("not drained %.0f s after the feed: lag %.0f / %.0f / %.0f\n", drain_s, Lag(end.stages[0]),
                Lag(end.stages[1]), Lag(end.stages[2]));
  } else {
    std::printf("every stage drained %.1f s after the feed\n", drain_s);
  }
  if (services) {
    for (size_t i = 0; i < 3; ++i) {
      const double budget = stages->Metric(i, "voc_memory_budget_bytes") / (args.instances * kMiB);
      std::printf("%-9s peak RSS %.0f MiB of a %.0f MiB budget (its largest instance)\n", kStageNames[i],
                  static_cast<double>(stages->PeakRss(i)) / kMiB, budget);
    }
    std::printf("this process: peak RSS %.0f MiB (the embedded broker's logs, the feeder)\n",
                static_cast<double>(metrics::PeakResidentBytes()) / kMiB);
  } else {
    std::printf("peak RSS %.0f MiB (the whole process: the stages, the embedded broker's logs, the feeder)\n",
                static_cast<double>(metrics::PeakResidentBytes()) / kMiB);
  }
  // The figure issue 16 keeps within 1.5x: CPU per record as state grows, last interval
  // against the first (the last full one when the feed ended with a short one).
  const size_t last_full = intervals.size() - (short_last ? 1 : 0);
  std::printf("%-9s %12s %12s %11s %10s %10s\n", "stage", "first us/rec", "last us/rec", "last/first", "state MiB",
              "lost");
  for (size_t i = 0; i < 3; ++i) {
    std::optional<double> first, final;
    if (!intervals.empty()) first = intervals.front().us_per_record[i];
    if (last_full > 1) final = intervals[last_full - 1].us_per_record[i];
    char f[32] = "-", l[32] = "-", ratio[48] = "-";
    if (first) std::snprintf(f, sizeof f, "%.1f", *first);
    if (final) std::snprintf(l, sizeof l, "%.1f", *final);
    if (first && final && *first > 0) {
      const double q = *final / *first;
      std::snprintf(ratio, sizeof ratio, "%.2f%s", q, q > 1.5 ? " (>1.5)" : "");
    }
    char state[32] = "-";
    if (i > 0) std::snprintf(state, sizeof state, "%.1f", static_cast<double>(end.stages[i].state_bytes) / kMiB);
    std::printf("%-9s %12s %12s %11s %10s %10.0f\n", kStageNames[i], f, l, ratio, state, end.stages[i].lost);
  }
  // With services, what grew: the service's own threads, or RocksDB's and the Kafka
  // client's (compactions grow with the state even where the processing does not).
  for (size_t i = 0; i < 3 && services && last_full > 1; ++i) {
    const auto& a = intervals.front();
    const auto& b = intervals[last_full - 1];
    if (!a.us_per_record[i] || !b.us_per_record[i] || !a.background[i] || !b.background[i]) continue;
    const double own_first = *a.us_per_record[i] - a.background[i]->rocksdb - a.background[i]->kafka;
    const double own_last = *b.us_per_record[i] - b.background[i]->rocksdb - b.background[i]->kafka;
    std::printf("%-9s us/rec first -> last: its own threads %.1f -> %.1f (%.2fx), RocksDB background %.1f -> %.1f, "
                "Kafka client %.1f -> %.1f\n",
                kStageNames[i], own_first, own_last, own_first > 0 ? own_last / own_first : 0.0,
                a.background[i]->rocksdb, b.background[i]->rocksdb, a.background[i]->kafka, b.background[i]->kafka);
  }
  const double lost = end.stages[0].lost + end.stages[1].lost + end.stages[2].lost;
  if (lost > 0) {
    std::printf(broker ? "records were lost: a partition fell more than the embedded broker's 5 MiB behind; the "
                         "overall key's partition of voc.theme.mentions, which every feedback reaches, fills "
                         "first: use a lower --rate (more --partitions spread the themes, not that key)\n"
                       : "records were lost: a stage fell behind the cluster's retention\n");
  }
  std::fflush(stdout);
  producer->reset();
  if (Status s = stages->Stop(); !s.ok()) {
    std::fprintf(stderr, "soak_bench: %s\n", s.ToString().c_str());
    return 1;
  }
  return lost > 0 ? 3 : 0;
}

}  // namespace
}  // namespace voc::bench

int main(int argc, char** argv) {
  voc::runtime::StopSignal stop;
  voc::bench::Args args;
  CLI::App app(
      "soak_bench: a long stream at a fixed rate through the fused pipeline on the embedded broker; per interval and "
      "stage: records/s, CPU per record, lag, RSS, state on disk and records lost.",
      "soak_bench");
  app.add_option("--rate", args.rate, "Records offered per second")->capture_default_str()->check(CLI::Range(1.0, 1e6));
  auto* minutes = app.add_option("--minutes", args.minutes, "How long to feed")->capture_default_str()->check(CLI::Range(0.01, 1e6));
  app.add_option("--records", args.records, "Feed this many records instead (at --rate)")
      ->check(CLI::Range(1.0, 1e12))
      ->excludes(minutes);
  app.add_option("--span-days", args.span_days, "Event times run evenly over this many days, ending now")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 36500.0));
  app.add_option("--customers", args.customers, "Distinct customers")->capture_default_str()->check(CLI::Range(1, 1'000'000));
  app.add_option("--partitions", args.partitions,
                 "Partitions of every topic; the embedded broker keeps 5 MiB of each, so long or fast soaks need many")
      ->capture_default_str()
      ->check(CLI::Range(1, 1024));
  app.add_option("--instances", args.instances, "Instances of every stage, each on its own thread")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_option("--interval", args.interval_s, "Seconds between reports")->capture_default_str()->check(CLI::Range(1.0, 3600.0));
  app.add_option("--state-dir", args.state_dir, "Keep the stages' state here, an empty folder (default: a temporary one, removed at the end)");
  app.add_option("--seed", args.seed, "Generator seed")->capture_default_str();
  app.add_option("--history", args.history,
                 "Revisions and duplicates pick from the latest N feedback (bounds the feeder's memory; 0: all)")
      ->capture_default_str();
  app.add_option("--bootstrap", args.bootstrap,
                 "A running Kafka cluster instead of the embedded broker (HOST:PORT,...); its topics must exist, with "
                 "--partitions partitions each (the changelogs compacted)");
  app.add_option("--client-property", args.client_properties,
                 "KEY=VALUE for every Kafka client handle, repeatable (a real 0.9 broker needs "
                 "api.version.request=false and broker.version.fallback=0.9.0.1)");
  app.add_flag("--no-changelogs{false}", args.changelogs,
               "The stateful stages write no changelogs (what they cost, measured against the same run with them)");
  auto* services = app.add_flag("--services", args.services,
                                "Run each stage as its service's own executable from this build, one process per "
                                "instance (RSS per service, against its memory budget)");
  app.add_option("--service-config", args.service_config, "The configuration file the services load with --services")
      ->capture_default_str()
      ->needs(services)
      ->check(CLI::ExistingFile);
  app.add_option("--service-set", args.service_sets,
                 "KEY=VALUE passed to every service with --services as --set KEY=VALUE, repeatable "
                 "(e.g. service.memory_budget_mb=256)")
      ->needs(services);
  app.add_option("--feed-linger-ms", args.feed_linger_ms,
                 "How long the feeder's producer gathers each partition's batch (linger.ms): the upstream's "
                 "batching, which the embedded broker's cost depends on")
      ->capture_default_str()
      ->check(CLI::Range(0, 5000));
  app.add_option("--drain-seconds", args.drain_s, "After the feed, wait this long at most for every stage to catch up")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 86400.0));
  if (auto exit_code = voc::runtime::ParseCommandLine(app, argc, argv)) return *exit_code;
  voc::logging::Init({.program = "soak_bench", .level = "warn", .clear_terminal_line = isatty(STDERR_FILENO) == 1}).ok();
  return voc::bench::Run(args, voc::bench::CommandLine(argc, argv), stop.flag());
}
