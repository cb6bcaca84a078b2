#include "services/pipeline/embedded_pipeline.h"

#include <prometheus/registry.h>

#include <pthread.h>
#include <time.h>

#include <filesystem>

namespace voc::pipeline {

runtime::RuntimeOptions StageOptions(const EmbeddedPipelineOptions& o, const kafka::ClientConfig& client,
                                     const std::string& service, std::vector<std::string> inputs, bool stateful,
                                     int instance) {
  runtime::RuntimeOptions r;
  r.service = service;
  r.instance = instance == 0 ? service : service + "-" + std::to_string(instance + 1);
  r.kafka = client;
  r.group_id = service;
  r.input_topics = std::move(inputs);
  r.dead_letter_topic = o.topics.dlq;
  r.consumer_properties = o.consumer_properties;
  r.producer_properties = o.producer_properties;
  r.batch_max_records = o.batch_max_records;
  r.batch_max_wait = o.batch_max_wait;
  r.commit_interval = o.commit_interval;
  if (stateful) {
    r.state.path = (std::filesystem::path(o.state_root) / service / ("instance-" + std::to_string(instance))).string();
    if (o.changelogs && service == "voc-enrich") r.changelog_topic = o.topics.enrich_changelog;
    if (o.changelogs && service == "voc-aggregate") r.changelog_topic = o.topics.aggregate_changelog;
  }
  if (o.http) r.http_listen = "127.0.0.1:0";
  return r;
}

Result<std::unique_ptr<EmbeddedPipeline>> EmbeddedPipeline::Start(EmbeddedPipelineOptions options) {
  std::unique_ptr<EmbeddedPipeline> p(new EmbeddedPipeline(std::move(options)));
  VOC_RETURN_IF_ERROR(p->Init());
  return p;
}

Status EmbeddedPipeline::Init() {
  auto& o = options_;
  if (o.state_root.empty()) return Status::InvalidArgument("the embedded pipeline needs a state folder");
  client_ = {o.bootstrap_servers, o.client_properties};
  if (client_.bootstrap_servers.empty()) {
    auto broker = kafka::EmbeddedBroker::Start();
    if (!broker.ok()) return broker.status();
    broker_ = std::move(broker).value();
    for (const auto& t : runtime::PipelineTopics(o.topics, o.partitions)) {
      VOC_RETURN_IF_ERROR(broker_->CreateTopic(t.name, t.partitions));
    }
    client_.bootstrap_servers = broker_->bootstrap_servers();
    for (const auto& [key, value] : kafka::EmbeddedBroker::GroupConsumerProperties()) {
      o.consumer_properties.try_emplace(key, value);
    }
  }
  const auto& n = o.topics;
  o.ingest.inputs = {{n.raw_tickets, voc::v1::CHANNEL_TICKET, ingest::Format::kAuto},
                     {n.raw_surveys, voc::v1::CHANNEL_SURVEY, ingest::Format::kAuto},
                     {n.raw_reviews, voc::v1::CHANNEL_REVIEW, ingest::Format::kAuto}};
  o.ingest.output_topic = n.feedback;
  o.enrich.customers_topic = n.customers;
  o.enrich.enriched_topic = n.enriched;
  o.enrich.mentions_topic = n.mentions;
  o.enrich.alerts_topic = n.alerts;
  o.aggregate.aggregates_topic = n.aggregates;
  o.aggregate.topics.topics_topic = n.emerging;

  for (auto& r : registries_) r = std::make_shared<prometheus::Registry>();
  const std::array<const char*, 3> names = {"voc-ingest", "voc-enrich", "voc-aggregate"};
  const std::array<std::vector<std::string>, 3> inputs = {
      std::vector<std::string>{n.raw_tickets, n.raw_surveys, n.raw_reviews}, {n.feedback}, {n.mentions}};
  // One compiled taxonomy for every enrich instance: each gets a fork with scratch of its own.
  auto analyzer = text::Analyzer::Create(o.enrich.analyzer);
  if (!analyzer.ok()) return analyzer.status();
  for (int stage = 0; stage < 3; ++stage) {
    if (o.instances[stage] < 1) return Status::InvalidArgument(std::string(names[stage]) + " needs at least one instance");
    for (int k = 0; k < o.instances[stage]; ++k) {
      std::unique_ptr<runtime::Processor> processor;
      if (stage == 0) {
        processor = std::make_unique<ingest::IngestProcessor>(o.ingest);
      } else if (stage == 1) {
        auto fork = (*analyzer)->Fork();
        if (!fork.ok()) return fork.status();
        processor = std::make_unique<enrich::EnrichProcessor>(o.enrich, std::move(fork).value(), *registries_[1]);
      } else {
        processor = std::make_unique<aggregate::AggregateProcessor>(o.aggregate, *registries_[2]);
      }
      auto runner = runtime::ServiceRunner::Create(StageOptions(o, client_, names[stage], inputs[stage], stage > 0, k),
                                                   std::move(processor), registries_[stage]);
      if (!runner.ok()) return runner.status();
      // "voc-aggregate", "voc-aggregate-2", ...
      stages_[stage].Add(std::move(runner).value(),
                         k == 0 ? names[stage] : std::string(names[stage]) + "-" + std::to_string(k + 1));
    }
  }
  return Status::Ok();
}

void RunnerThreads::Add(std::unique_ptr<runtime::ServiceRunner> runner, const std::string& thread_name) {
  auto& r = *running_.emplace_back(std::make_unique<Running>());
  r.runner = std::move(runner);
  r.thread = std::thread([this, &r] { r.result = r.runner->Run(stop_); });
  pthread_setname_np(r.thread.native_handle(), thread_name.substr(0, 15).c_str());
}

Status RunnerThreads::Stop() {
  RequestStop();
  for (auto& r : running_) {
    if (r->thread.joinable()) r->thread.join();
  }
  for (const auto& r : running_) {
    if (!r->result.ok()) return r->result;
  }
  return Status::Ok();
}

std::chrono::nanoseconds RunnerThreads::CpuTime() const {
  std::chrono::nanoseconds total{0};
  for (const auto& r : running_) total += ThreadCpuTime(r->thread);
  return total;
}

std::chrono::nanoseconds ThreadCpuTime(const std::thread& thread) {
  clockid_t clock;
  timespec ts{};
  auto handle = const_cast<std::thread&>(thread).native_handle();  // reading it changes nothing
  if (pthread_getcpuclockid(handle, &clock) != 0 || clock_gettime(clock, &ts) != 0) {
    return std::chrono::nanoseconds(0);
  }
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

Status StopAll(std::array<RunnerThreads, 3>& stages) {
  for (auto& stage : stages) stage.RequestStop();
  Status first;
  for (auto& stage : stages) {
    Status s = stage.Stop();
    if (first.ok()) first = s;
  }
  return first;
}

Status EmbeddedPipeline::Stop() { return StopAll(stages_); }

EmbeddedPipeline::~EmbeddedPipeline() { Stop().ok(); }

}  // namespace voc::pipeline
