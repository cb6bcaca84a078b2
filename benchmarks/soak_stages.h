// Where soak_bench's stages run, and how it reads them: fused in its own process (as
// pipeline_bench runs them), or as the services' own executables, one child process per
// instance with the shipped configuration (--services), which is how a deployment runs
// them and the only way to see each service's own memory against its budget.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/core/status.h"
#include "common/kafka/kafka.h"
#include "services/pipeline/embedded_pipeline.h"

namespace voc::bench {

using Labels = std::map<std::string, std::string>;

class SoakStages {
 public:
  virtual ~SoakStages() = default;
  // Reads every figure anew; the getters below answer from that reading.
  virtual void Refresh() = 0;
  // Sum of a counter over the stage's instances (0: ingest, 1: enrich, 2: aggregate); -1
  // when it has none.
  virtual double Metric(size_t stage, const std::string& name, const Labels& labels = {}) const = 0;
  // CPU time of the stage: its threads (fused), or its processes whole (services).
  virtual std::chrono::nanoseconds Cpu(size_t stage) const = 0;
  // Of Cpu(stage) with services: what RocksDB's background threads (flushes, compactions)
  // and the Kafka client's threads took, the rest being the service's own threads. Fused
  // stages share their process: nullopt (its process line splits the whole process).
  struct BackgroundCpu {
    std::chrono::nanoseconds rocksdb{0}, kafka{0};
  };
  virtual std::optional<BackgroundCpu> Background(size_t stage) const = 0;
  // Resident memory, now and at its peak: this whole process (fused), or the stage's
  // largest instance (services).
  virtual uint64_t Rss(size_t stage) const = 0;
  virtual uint64_t PeakRss(size_t stage) const = 0;
  virtual bool separate_processes() const = 0;
  // Why a stage can no longer run (a child process that exited, with its log); nullopt
  // while every one runs.
  virtual std::optional<std::string> Failure() = 0;
  // Stops every stage (each finishes its batch and checkpoints); the first error.
  virtual Status Stop() = 0;
};

std::unique_ptr<SoakStages> FusedStages(std::unique_ptr<pipeline::EmbeddedPipeline> pipeline);

struct ServiceOptions {
  std::string config;                        // the YAML file every service loads
  std::vector<std::string> sets;             // KEY=VALUE overrides for every service (--set)
  kafka::ClientConfig client;                // bootstrap and client properties
  std::filesystem::path state_root;          // voc-enrich/K and voc-aggregate/K below it; logs too
  int instances = 1;                         // processes of every service
};

// Starts instances of voc-ingest, voc-enrich and voc-aggregate from this build.
Result<std::unique_ptr<SoakStages>> ServiceStages(const ServiceOptions& options);

}  // namespace voc::bench
