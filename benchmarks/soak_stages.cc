#include "benchmarks/soak_stages.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <iterator>
#include <thread>

#include "benchmarks/cpu_accounting.h"
#include "common/metrics/metric_value.h"
#include "common/metrics/process_metrics.h"
#include "common/metrics/scrape.h"
#include "tests/e2e/child_process.h"

namespace voc::bench {
namespace {

constexpr std::array<pipeline::Stage, 3> kStages = {pipeline::Stage::kIngest, pipeline::Stage::kEnrich,
                                                    pipeline::Stage::kAggregate};
constexpr std::array<const char*, 3> kServices = {"voc-ingest", "voc-enrich", "voc-aggregate"};

class Fused final : public SoakStages {
 public:
  explicit Fused(std::unique_ptr<pipeline::EmbeddedPipeline> pipeline) : pipeline_(std::move(pipeline)) {}

  void Refresh() override { rss_ = metrics::ResidentBytes(); }
  double Metric(size_t stage, const std::string& name, const Labels& labels) const override {
    return metrics::MetricValue(pipeline_->registry(kStages[stage]), name, labels);
  }
  std::chrono::nanoseconds Cpu(size_t stage) const override { return pipeline_->CpuTime(kStages[stage]); }
  std::optional<BackgroundCpu> Background(size_t) const override { return std::nullopt; }
  uint64_t Rss(size_t) const override { return rss_; }
  uint64_t PeakRss(size_t) const override { return metrics::PeakResidentBytes(); }
  bool separate_processes() const override { return false; }
  std::optional<std::string> Failure() override { return std::nullopt; }
  Status Stop() override { return pipeline_->Stop(); }

 private:
  std::unique_ptr<pipeline::EmbeddedPipeline> pipeline_;
  uint64_t rss_ = 0;
};

// What /proc says of a process: CPU time (user and system, 10 ms ticks), that of its
// RocksDB and Kafka client threads, and resident memory now and at its peak.
struct ProcReading {
  std::chrono::nanoseconds cpu{0}, rocksdb{0}, kafka{0};
  uint64_t rss = 0, peak = 0;
};

ProcReading ReadProc(pid_t pid) {
  ProcReading out;
  const auto nanos = [](double seconds) { return std::chrono::nanoseconds(static_cast<int64_t>(seconds * 1e9)); };
  const std::string dir = "/proc/" + std::to_string(pid);
  std::ifstream stat(dir + "/stat");
  out.cpu = nanos(StatCpuSeconds(std::string((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>())));
  const ThreadGroupsCpu groups = ReadThreadGroupsCpu(pid);
  out.rocksdb = nanos(groups.rocksdb);
  out.kafka = nanos(groups.clients);
  std::ifstream status(dir + "/status");
  for (std::string line; std::getline(status, line);) {
    const auto kib = [&] { return std::stoull(line.substr(line.find(':') + 1)) << 10; };
    if (line.rfind("VmRSS:", 0) == 0) out.rss = kib();
    if (line.rfind("VmHWM:", 0) == 0) out.peak = kib();
  }
  return out;
}

// The last `n` lines of a file (a temporary state folder, and the log in it, goes at exit).
std::string LastLines(const std::string& path, size_t n) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(std::move(line));
    if (lines.size() > n) lines.erase(lines.begin());
  }
  std::string out;
  for (const auto& line : lines) out += "  " + line + "\n";
  return out;
}

class Services final : public SoakStages {
 public:
  ~Services() override { (void)Stop(); }

  Status Start(const ServiceOptions& o) {
    for (size_t i = 0; i < kServices.size(); ++i) {
      for (int k = 0; k < o.instances; ++k) {
        Instance in;
        in.name = kServices[i];
        if (o.instances > 1) in.name.append("-").append(std::to_string(k));
        in.port = metrics::FreePort();
        in.log = (o.state_root / (in.name + ".log")).string();
        std::vector<std::string> args = {"--config", o.config, "--log-level", "warn",
                                         "--set", "kafka.bootstrap_servers=" + o.client.bootstrap_servers,
                                         "--set", "service.http_listen=127.0.0.1:" + std::to_string(in.port),
                                         "--set", "state.dir=" + (o.state_root / kServices[i] / std::to_string(k)).string()};
        for (const auto& [key, value] : o.client.properties) args.insert(args.end(), {"--set", "kafka.client." + key + "=" + value});
        for (const auto& kv : o.sets) args.insert(args.end(), {"--set", kv});
        in.process = std::make_unique<test::ChildProcess>(test::ServiceBinary(kServices[i]), args, in.log);
        if (!in.process->Start()) {
          return Status::Internal("cannot start " + test::ServiceBinary(kServices[i]) + ": build it first");
        }
        stages_[i].push_back(std::move(in));
      }
    }
    return Status::Ok();
  }

  void Refresh() override {
    for (auto& stage : stages_) {
      for (Instance& in : stage) {
        // A service that does not answer keeps its last reading (counters never go back).
        if (auto samples = metrics::Scrape(in.port)) in.samples = std::move(*samples);
        if (in.process->pid() > 0) in.proc = ReadProc(in.process->pid());
      }
    }
  }
  double Metric(size_t stage, const std::string& name, const Labels& labels) const override {
    double sum = 0;
    bool found = false;
    for (const Instance& in : stages_[stage]) {
      const double v = metrics::SampleSum(in.samples, name, labels);
      if (v < 0) continue;
      sum += v;
      found = true;
    }
    return found ? sum : -1;
  }
  std::chrono::nanoseconds Cpu(size_t stage) const override {
    std::chrono::nanoseconds sum{0};
    for (const Instance& in : stages_[stage]) sum += in.proc.cpu;
    return sum;
  }
  std::optional<BackgroundCpu> Background(size_t stage) const override {
    BackgroundCpu sum;
    for (const Instance& in : stages_[stage]) {
      sum.rocksdb += in.proc.rocksdb;
      sum.kafka += in.proc.kafka;
    }
    return sum;
  }
  uint64_t Rss(size_t stage) const override { return Largest(stage, &ProcReading::rss); }
  uint64_t PeakRss(size_t stage) const override { return Largest(stage, &ProcReading::peak); }
  bool separate_processes() const override { return true; }

  std::optional<std::string> Failure() override {
    for (auto& stage : stages_) {
      for (Instance& in : stage) {
        int code = 0;
        if (in.process->Exited(&code)) {
          return in.name + " exited with code " + std::to_string(code) + "; the end of its log (" + in.log +
                 "):\n" + LastLines(in.log, 10);
        }
      }
    }
    return std::nullopt;
  }

  Status Stop() override {
    Status first = Status::Ok();
    for (auto& stage : stages_) {
      for (Instance& in : stage) {
        if (in.process->pid() <= 0) continue;
        const int code = in.process->Terminate();
        if (code != 0 && first.ok()) {
          first = Status::Internal(in.name + " stopped with code " + std::to_string(code) + "; its log is " + in.log);
        }
      }
    }
    return first;
  }

 private:
  struct Instance {
    std::string name;
    int port = 0;
    std::string log;
    std::unique_ptr<test::ChildProcess> process;
    std::vector<metrics::Sample> samples;
    ProcReading proc;
  };

  uint64_t Largest(size_t stage, uint64_t ProcReading::*field) const {
    uint64_t out = 0;
    for (const Instance& in : stages_[stage]) out = std::max(out, in.proc.*field);
    return out;
  }

  std::array<std::vector<Instance>, 3> stages_;
};

}  // namespace

std::unique_ptr<SoakStages> FusedStages(std::unique_ptr<pipeline::EmbeddedPipeline> pipeline) {
  return std::make_unique<Fused>(std::move(pipeline));
}

Result<std::unique_ptr<SoakStages>> ServiceStages(const ServiceOptions& options) {
  auto services = std::make_unique<Services>();
  if (Status s = services->Start(options); !s.ok()) return s;
  return std::unique_ptr<SoakStages>(std::move(services));
}

}  // namespace voc::bench
