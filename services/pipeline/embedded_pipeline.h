// The three services fused in one process, each on its own thread with its own
// consumer, producer and state, talking through the topics of one broker (embedded
// unless a bootstrap address is given). The demo, the end-to-end tests and the
// whole-pipeline benchmark run the pipeline this way; production runs each service as
// its own process, and the topics stay the contract either way.
#pragma once

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "common/core/status.h"
#include "common/kafka/embedded_broker.h"
#include "common/runtime/pipeline_topics.h"
#include "common/runtime/service_runner.h"
#include "services/aggregate/aggregate_processor.h"
#include "services/enrich/enrich_processor.h"
#include "services/ingest/ingest_processor.h"

namespace prometheus {
class Registry;
}

namespace voc::pipeline {

struct EmbeddedPipelineOptions {
  std::string bootstrap_servers;  // empty: start an embedded broker and create the topics
  kafka::Properties client_properties;  // every handle's (a real broker's version settings)
  int partitions = 8;
  std::string state_root;  // each stateful service keeps its RocksDB below this folder
  runtime::PipelineTopicNames topics;
  ingest::IngestOptions ingest;      // topic names are taken from `topics`
  enrich::EnrichOptions enrich;      // likewise
  aggregate::AggregateOptions aggregate;
  // The embedded broker holds a fetch that finds no new data for the whole
  // fetch.wait.max.ms and does not answer early when data arrives (a real broker does), so
  // every hop between stages waits up to that long; but every consumer caught up with its
  // input fetches once per wait, at a CPU cost on the clients and the broker: 25 ms, not
  // the services' 50, halved that cost against 5 ms for about 35 ms of p50 latency
  // end to end (pipeline_bench).
  kafka::Properties consumer_properties = {{"session.timeout.ms", "6000"}, {"fetch.wait.max.ms", "25"}};
  kafka::Properties producer_properties;
  size_t batch_max_records = 5000;
  std::chrono::milliseconds batch_max_wait{50};
  std::chrono::milliseconds commit_interval{1000};
  bool http = false;  // serve each service's /metrics on 127.0.0.1:<free port>
  // voc-enrich and voc-aggregate write their state changes to their changelog topics
  // (topics.enrich_changelog, topics.aggregate_changelog) and restore from them.
  bool changelogs = true;
  // Instances per stage (ingest, enrich, aggregate), each on its own thread and a member of
  // the stage's group, as separate processes would be. A stage's instances share its
  // registry: counters add up, gauges show whichever instance wrote last.
  std::array<int, 3> instances{1, 1, 1};
};

enum class Stage { kIngest = 0, kEnrich = 1, kAggregate = 2 };

// CPU time a running thread has used.
std::chrono::nanoseconds ThreadCpuTime(const std::thread& thread);

// The runtime options of one instance of a fused stage: its group, inputs, batching and
// client properties from `options`; a state folder of its own below options.state_root
// when stateful.
runtime::RuntimeOptions StageOptions(const EmbeddedPipelineOptions& options, const kafka::ClientConfig& client,
                                     const std::string& service, std::vector<std::string> inputs, bool stateful,
                                     int instance = 0);

// Service runners, each run on a thread of its own (named, so top -H and perf show the
// stage) until Stop. Add and Stop from one thread.
class RunnerThreads {
 public:
  RunnerThreads() = default;
  RunnerThreads(const RunnerThreads&) = delete;
  RunnerThreads& operator=(const RunnerThreads&) = delete;
  ~RunnerThreads() { Stop().ok(); }

  // Starts running `runner` (thread names are cut to the 15 bytes Linux keeps).
  void Add(std::unique_ptr<runtime::ServiceRunner> runner, const std::string& thread_name);
  // Asks every runner to stop: each finishes its batch and checkpoints.
  void RequestStop() { stop_.store(true); }
  // RequestStop, then waits for the runners and reports the first error.
  Status Stop();
  // CPU time the threads have used so far.
  std::chrono::nanoseconds CpuTime() const;
  runtime::ServiceRunner& front() { return *running_.front()->runner; }
  size_t size() const { return running_.size(); }

 private:
  struct Running {
    std::unique_ptr<runtime::ServiceRunner> runner;
    Status result;
    std::thread thread;  // joined before the runner goes
  };
  std::atomic<bool> stop_{false};
  std::vector<std::unique_ptr<Running>> running_;
};

// Asks every stage to stop at once (each finishes its batch), then waits for them all;
// the first error wins.
Status StopAll(std::array<RunnerThreads, 3>& stages);

// Start on one thread, Stop from the same thread; the stages run on their own.
class EmbeddedPipeline {
 public:
  static Result<std::unique_ptr<EmbeddedPipeline>> Start(EmbeddedPipelineOptions options);
  ~EmbeddedPipeline();

  // Stops every stage (each finishes its batch and checkpoints) and reports the first error.
  Status Stop();
  const std::string& bootstrap_servers() const { return client_.bootstrap_servers; }
  const kafka::ClientConfig& client() const { return client_; }
  prometheus::Registry& registry(Stage stage) { return *registries_[static_cast<int>(stage)]; }
  int http_port(Stage stage) { return stages_[static_cast<int>(stage)].front().http_port(); }
  const runtime::PipelineTopicNames& topics() const { return options_.topics; }
  // CPU time the stage's threads have used so far (benchmarks: cost per event, robust to
  // whatever else the machine runs).
  std::chrono::nanoseconds CpuTime(Stage stage) const { return stages_[static_cast<int>(stage)].CpuTime(); }

 private:
  explicit EmbeddedPipeline(EmbeddedPipelineOptions options) : options_(std::move(options)) {}
  Status Init();

  EmbeddedPipelineOptions options_;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;  // outlives the runners (destroyed last)
  kafka::ClientConfig client_;
  std::array<std::shared_ptr<prometheus::Registry>, 3> registries_;
  std::array<RunnerThreads, 3> stages_;  // stopped before the broker goes
};

}  // namespace voc::pipeline
