// The real processors of voc-ingest, voc-enrich and voc-aggregate in one test process, no
// broker: each on its own RocksDB state folder and one partition per topic, driven as the
// runner drives it (test::ProcessorHarness), the outputs of one stage the next one's
// batch. For tests that control the order of records exactly.
#pragma once

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>
#include <vector>

#include "common/runtime/pipeline_topics.h"
#include "services/aggregate/aggregate_processor.h"
#include "services/enrich/enrich_processor.h"
#include "services/ingest/ingest_processor.h"
#include "tests/runtime/processor_harness.h"
#include "tests/runtime/test_util.h"
#include "tools/gen/generator.h"

namespace voc::test {

// What one batch made, by topic.
struct PipelineOutputs {
  std::vector<Output> enriched, aggregates, alerts;
};

// NOT thread-safe.
class InProcessPipeline {
 public:
  static constexpr int64_t kWallMs = 1'800'000'000'000;  // every batch's wall clock: processing times match

  static aggregate::AggregateOptions DefaultAggregate() {
    aggregate::AggregateOptions o;
    o.emit_interval = std::chrono::milliseconds(0);  // every batch emits what it changed
    return o;
  }

  explicit InProcessPipeline(const gen::Generator& generator,
                             aggregate::AggregateOptions aggregate_options = DefaultAggregate()) {
    ingest_ = Start([] { return std::make_unique<ingest::IngestProcessor>(ingest::IngestOptions()); },
                    {{topics_.raw_tickets, PartitionId(0)},
                     {topics_.raw_surveys, PartitionId(0)},
                     {topics_.raw_reviews, PartitionId(0)}});
    auto analyzer = text::Analyzer::Create({VOC_SOURCE_DIR "/data/taxonomy/software.yaml", VOC_SOURCE_DIR "/data/lexicons"});
    EXPECT_TRUE(analyzer.ok()) << analyzer.status().ToString();
    analyzer_ = std::move(analyzer).value();
    enrich_ = Start(
        [this] {
          enrich_registry_ = std::make_shared<prometheus::Registry>();
          return std::make_unique<enrich::EnrichProcessor>(enrich::EnrichOptions(), std::move(analyzer_->Fork()).value(),
                                                           *enrich_registry_);
        },
        {{topics_.feedback, PartitionId(0)}});
    for (const auto& c : generator.customers()) EXPECT_TRUE(enrich_->TableRow(0, c.customer_id(), c.SerializeAsString()));
    EXPECT_TRUE(enrich_->Checkpoint().ok());
    aggregate_ = Start(
        [this, aggregate_options] {
          return std::make_unique<aggregate::AggregateProcessor>(aggregate_options, aggregate_registry_);
        },
        {{topics_.mentions, PartitionId(0)}});
  }

  // One batch of raw records through all three stages.
  PipelineOutputs Feed(const std::vector<gen::GeneratedRecord>& records) {
    std::vector<Input> raw;
    for (const auto& r : records) raw.push_back({r.topic, 0, r.key, r.value});
    const Emitted enriched = enrich_->Batch(Next(ingest_->Batch(raw), topics_.feedback));
    const Emitted aggregated = aggregate_->Batch(Next(enriched, topics_.mentions));
    PipelineOutputs out;
    for (const Emitted* emitted : {&enriched, &aggregated}) {
      for (const auto& o : emitted->outputs) {
        if (o.topic == topics_.enriched) out.enriched.push_back(o);
        if (o.topic == topics_.aggregates) out.aggregates.push_back(o);
        if (o.topic == topics_.alerts) out.alerts.push_back(o);
      }
    }
    return out;
  }

  prometheus::Registry& enrich_registry() { return *enrich_registry_; }
  text::Analyzer& analyzer() { return *analyzer_; }

 private:
  std::unique_ptr<ProcessorHarness> Start(ProcessorHarness::Factory make, std::vector<TopicPartition> assigned) {
    dirs_.push_back(std::make_unique<TempDir>());
    auto h = std::make_unique<ProcessorHarness>(std::move(make), dirs_.back()->path(), std::move(assigned));
    Status s = h->Start();
    EXPECT_TRUE(s.ok()) << s.ToString();
    h->SetWallClock(kWallMs);
    return h;
  }

  // A stage's outputs on topic as the next stage's input.
  static std::vector<Input> Next(const Emitted& emitted, const std::string& topic) {
    std::vector<Input> out;
    for (const auto& o : emitted.outputs) {
      if (o.topic == topic) out.push_back({topic, 0, o.key, o.value});
    }
    return out;
  }

  runtime::PipelineTopicNames topics_;
  std::vector<std::unique_ptr<TempDir>> dirs_;
  std::unique_ptr<text::Analyzer> analyzer_;
  std::shared_ptr<prometheus::Registry> enrich_registry_;
  prometheus::Registry aggregate_registry_;
  std::unique_ptr<ProcessorHarness> ingest_, enrich_, aggregate_;
};

}  // namespace voc::test
