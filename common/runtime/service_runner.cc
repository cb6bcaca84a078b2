#include "common/runtime/service_runner.h"

#include <prometheus/registry.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <thread>
#include <utility>

#include "common/kafka/statistics.h"
#include "common/metrics/http_server.h"
#include "common/metrics/process_collector.h"
#include "common/runtime/changelog.h"
#include "common/runtime/memory_budget.h"
#include "common/runtime/processor_driver.h"
#include "common/runtime/runtime_probe.h"
#include "common/runtime/table_reader.h"
#include "voc/v1/dead_letter.pb.h"

namespace voc::runtime {
namespace {

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Hands outputs straight to the producer (which copies them).
class BatchEmitter final : public Emitter {
 public:
  BatchEmitter(kafka::Producer& producer, RuntimeProbe& probe, const RuntimeOptions& options)
      : producer_(producer), probe_(probe), options_(options) {}

  void Emit(std::string_view topic, std::string_view key, std::string_view value) override {
    Status s = producer_.Produce(topic, key, value);
    if (!s.ok() && status_.ok()) status_ = s;
    emitted_ = true;
  }

  void DeadLetter(const kafka::Record& record, std::string_view reason, std::string_view detail) override {
    letter_.Clear();
    letter_.set_schema_version(1);
    letter_.set_service(options_.service);
    letter_.set_reason(std::string(reason));
    letter_.set_detail(std::string(detail));
    letter_.set_origin_topic(std::string(record.topic));
    letter_.set_origin_partition(record.partition.value);
    letter_.set_origin_offset(record.offset.value);
    // Keys are capped as payloads are, so that a dead letter (the key twice: in the
    // letter and as its record key) stays far below a broker's ~1 MB message limit. Every
    // key the pipeline writes itself fits whole (customer ids: kMaxCustomerIdBytes).
    constexpr size_t kKeyCap = 64 << 10;
    const std::string_view key = record.key.substr(0, kKeyCap);
    letter_.set_key(std::string(key));
    letter_.set_key_truncated(record.key.size() > kKeyCap);
    letter_.set_key_size(static_cast<int64_t>(record.key.size()));
    const size_t cap = options_.dead_letter_payload_cap;
    letter_.set_payload(std::string(record.value.substr(0, cap)));
    letter_.set_payload_truncated(record.value.size() > cap);
    letter_.set_payload_size(static_cast<int64_t>(record.value.size()));
    letter_.set_failed_at_ms(WallMs());
    letter_.SerializeToString(&scratch_);
    Emit(options_.dead_letter_topic, key, scratch_);
    probe_.dead_letters(std::string(reason)).Increment();
    spdlog::debug("{}: dead letter {} from {}/{}@{}: {}", options_.service, reason, record.topic,
                  record.partition.value, record.offset.value, detail);
  }

  // Whether anything was emitted since the last call.
  bool TakeEmitted() { return std::exchange(emitted_, false); }
  Status TakeStatus() { return std::exchange(status_, Status::Ok()); }

 private:
  kafka::Producer& producer_;
  RuntimeProbe& probe_;
  const RuntimeOptions& options_;
  bool emitted_ = false;
  Status status_;
  voc::v1::DeadLetter letter_;
  std::string scratch_;
};

class ServiceRunnerImpl final : public ServiceRunner {
 public:
  ServiceRunnerImpl(RuntimeOptions options, std::unique_ptr<Processor> processor,
                    std::shared_ptr<prometheus::Registry> registry)
      : options_(std::move(options)),
        pending_processor_(std::move(processor)),
        registry_(std::move(registry)),
        probe_(*registry_, options_.service),
        health_(std::make_shared<metrics::Health>()),
        memory_guard_(options_.memory_budget_bytes) {}

  Status Init() {
    probe_.memory_budget_bytes.Set(static_cast<double>(options_.memory_budget_bytes));
    // Every member of a group distinct by client id: librdkafka's cooperative-sticky
    // assignor misbehaves among members that share one (librdkafka #4783), and an
    // operator reading the group's members sees which process each is.
    if (!options_.kafka.properties.contains("client.id")) {
      char host[256] = "unknown";
      gethostname(host, sizeof host - 1);
      options_.kafka.properties["client.id"] = (options_.instance.empty() ? options_.service : options_.instance) +
                                                "@" + host + "/" + std::to_string(getpid());
    }
    auto driver = ProcessorDriver::Open(
        {.service = options_.service, .state = options_.state, .cache_bytes = options_.state_cache_bytes},
        std::move(pending_processor_));
    if (!driver.ok()) return driver.status();
    driver_ = std::move(driver).value();
    store_ = driver_->db();
    if (!options_.http_listen.empty()) {
      auto http = metrics::HttpServer::Start(options_.http_listen, registry_, health_);
      if (!http.ok()) return http.status();
      http_ = std::move(http).value();
      // Read at each scrape, so a scrape sees the moment's values.
      http_->AddCollectable(std::make_shared<metrics::ProcessCollector>(prometheus::Labels{{"service", options_.service}}));
    }
    // Lingering for the batch window sends a batch's outputs in as few requests as
    // possible (fewer, larger record batches per partition for the broker to store and
    // serve) and holds none back longer than the batch took. Past a second it would only
    // hold back the outputs of a long batch.
    kafka::Properties producer_properties = options_.producer_properties;
    if (!options_.kafka.properties.contains("linger.ms")) {  // a kafka.client setting wins too
      producer_properties.try_emplace("linger.ms",
                                     std::to_string(std::min<int64_t>(options_.batch_max_wait.count(), 1000)));
    }
    auto producer = kafka::Producer::Create({.client = options_.kafka,
                                             .properties = WithStatistics(std::move(producer_properties)),
                                             .on_statistics = [this](std::string_view json) {
                                               OnStatistics("producer", json);
                                             }});
    if (!producer.ok()) return producer.status();
    producer_ = std::move(producer).value();

    kafka::ConsumerOptions co;
    co.client = options_.kafka;
    co.group_id = options_.group_id;
    co.topics = options_.input_topics;
    co.properties = WithStatistics(options_.consumer_properties);
    co.on_statistics = [this](std::string_view json) { OnStatistics("consumer", json); };
    co.read_content_type = driver_->reads_content_type();
    // A partition this instance holds no state for (new instance, moved partition) is
    // rebuilt by replaying its input from the log's start, never resumed at the group's
    // offset with empty state.
    if (driver_->stateful()) {
      co.start_offset = [this](const TopicPartition& tp) { return std::optional<Offset>(StartOffset(tp)); };
    }
    co.on_assigned = [this](const std::vector<TopicPartition>& tps) {
      spdlog::info("{}: assigned {} partition(s)", options_.service, tps.size());
      blocked_.clear();
      // The group's offset follows the state: a partition resumed from its stored offset
      // commits that offset at the next checkpoint, so the group (what lag monitoring
      // reads) is right even when an earlier commit was lost to a crash or a rebalance.
      for (const auto& tp : tps) {
        auto stored = driver_->StoredOffset(tp);
        if (!stored) continue;
        next_offsets_.try_emplace(tp, *stored);
        if (changelog_) changelog_->Resume(tp, *stored);
      }
      held_.insert(tps.begin(), tps.end());
      HeldPartitions();
    };
    co.on_revoked = [this](const std::vector<TopicPartition>& tps) {
      spdlog::info("{}: revoked {} partition(s)", options_.service, tps.size());
      // A rebalance runs inside Poll, which may be in the middle of a batch: what the
      // batch (and the batches since the last checkpoint) did is checkpointed while the
      // partitions are still ours.
      if (batch_ctx_ && !next_offsets_.empty() && checkpoint_status_.ok()) {
        try {  // never let an exception cross librdkafka's C frames
          checkpoint_status_ = FinishBatch(*batch_ctx_, revoke_stop_);
        } catch (const FatalError& e) {
          checkpoint_status_ = Status::Internal(std::string("stopped without committing the batch in hand: ") + e.what());
        }
      }
      driver_->Forget(tps);
      for (const auto& tp : tps) {
        held_.erase(tp);
        if (changelog_) changelog_->Forget(tp.partition);
      }
      HeldPartitions();
      for (const auto& tp : tps) {
        probe_.RemoveLag(tp);
        last_record_ms_.erase(tp);
      }
    };
    co.on_loss = [this](const TopicPartition& tp, int64_t lost) {
      spdlog::error("{}: {} record(s) of {}/{} fell off the log before they were read; resuming at the log's start",
                    options_.service, lost, tp.topic, tp.partition.value);
      probe_.lost(tp).Increment(static_cast<double>(lost));
    };
    if (driver_->stateful() && !options_.changelog_topic.empty()) {
      std::set<state::StoreId> derived;
      for (const Derivation& d : driver_->derivations()) derived.insert(d.store);
      changelog_ = std::make_unique<ChangelogWriter>(
          options_.changelog_topic, std::set<std::string>(options_.input_topics.begin(), options_.input_topics.end()),
          *producer_, std::move(derived), driver_->state_format());
    }
    auto consumer = kafka::Consumer::Create(std::move(co));
    if (!consumer.ok()) return consumer.status();
    consumer_ = std::move(consumer).value();
    emitter_ = std::make_unique<BatchEmitter>(*producer_, probe_, options_);
    auto tables = TableReader::Create(*driver_, options_.kafka, options_.consumer_properties,
                                      [this](const TopicPartition& tp, int64_t lost) {
                                        spdlog::error("{}: {} row(s) of table {}/{} fell off the log before they "
                                                      "were read; reading on from the log's start",
                                                      options_.service, lost, tp.topic, tp.partition.value);
                                        probe_.lost(tp).Increment(static_cast<double>(lost));
                                      });
    if (!tables.ok()) return tables.status();
    tables_ = std::move(tables).value();
    return Status::Ok();
  }

  ~ServiceRunnerImpl() override {
    if (consumer_) consumer_->Close(std::chrono::seconds(10)).ok();
  }

  Status Run(const std::atomic<bool>& stop) override {
    try {
      return Loop(stop);
    } catch (const FatalError& e) {
      health_->SetReady(false);
      return Status::Internal(std::string("stopped without committing the batch in hand: ") + e.what());
    }
  }

  Status Loop(const std::atomic<bool>& stop) {
    auto last_gauges = std::chrono::steady_clock::now() - std::chrono::hours(1);
    Status result;
    while (!stop.load(std::memory_order_relaxed)) {
      health_->Beat();
      // Tables first: no record is processed against half a table.
      result = FollowTables(stop);
      if (!result.ok()) break;
      if (!tables_->ready()) {
        health_->SetReady(false);
        health_->SetReason(tables_->progress());
        continue;
      }
      result = RunBatch(stop);
      if (!result.ok()) break;
      const bool ready = !consumer_->Assignment().empty();
      health_->SetReady(ready);
      if (!ready) health_->SetReason(!blocked_.empty() ? blocked_ : "no partition is assigned yet");
      probe_.ready.Set(ready ? 1 : 0);
      if (std::chrono::steady_clock::now() - last_gauges > std::chrono::seconds(1)) {
        last_gauges = std::chrono::steady_clock::now();
        UpdateGauges();
      }
    }
    health_->SetReady(false);
    if (Status s = consumer_->Close(std::chrono::seconds(10)); !s.ok()) {
      spdlog::warn("{}: {}", options_.service, s.ToString());
    }
    return result;
  }

  int http_port() const override { return http_ ? http_->port() : 0; }
  Processor& processor() override { return driver_->processor(); }
  state::StateStore* state() override { return driver_->db(); }

 private:
  using Clock = std::chrono::steady_clock;

  static double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

  // One batch: records are processed as they arrive for up to batch.max_wait (or until
  // batch.max_records), then the processor ends the batch. Every commit_interval the
  // batches since the last checkpoint are checkpointed together: their outputs flushed,
  // then their state and offsets committed at once, so state a run of batches rewrites
  // (windows, indexes) is written once, and the loop waits for acknowledgements once.
  Status RunBatch(const std::atomic<bool>& stop) {
    const auto started = Clock::now();
    const auto deadline = started + options_.batch_max_wait;
    Context ctx{*emitter_, WallMs(), held_partitions_};
    batch_ctx_ = &ctx;
    revoke_stop_ = &stop;
    // However this batch ends (a FatalError included), a later revoke, e.g. the close
    // after a fatal error, must not checkpoint it.
    struct Forget {
      Context*& ctx;
      ~Forget() { ctx = nullptr; }
    } forget{batch_ctx_};
    size_t taken = 0;
    while (true) {
      const auto poll_started = Clock::now();
      // In slices, so a stop request is seen within one slice however long the batch;
      // rounded up, or the last fraction of a millisecond would spin on zero-wait polls.
      const auto wait = std::clamp(std::chrono::ceil<std::chrono::milliseconds>(deadline - poll_started),
                                   std::chrono::milliseconds(0), std::chrono::milliseconds(100));
      // In slices of records too, so caches that outgrow their budget end the batch (and
      // bring its checkpoint) within a slice, not after a whole batch of loads.
      Status s = consumer_->Poll(std::min(options_.batch_max_records - taken, kPollSliceRecords), wait, &batch_);
      const auto polled = Clock::now();
      probe_.waiting_seconds.Increment(Seconds(polled - poll_started));
      if (s.code() == Status::Code::kFailedPrecondition) {
        ReportBlocked(s.message());
      } else if (!s.ok()) {
        spdlog::warn("{}: {}", options_.service, s.ToString());
      }
      // Records come in runs of one partition: counted and tracked once per run.
      for (size_t i = taken; i < batch_.size();) {
        const kafka::Record& first = batch_[i];
        size_t end = i;
        for (; end < batch_.size() && batch_[end].partition == first.partition && batch_[end].topic == first.topic;
             ++end) {
          ProcessOne(batch_[end], ctx);
        }
        probe_.consumed(std::string(first.topic)).Increment(static_cast<double>(end - i));
        next_offsets_[TopicPartition{std::string(first.topic), first.partition}] =
            Offset(batch_[end - 1].offset.value + 1);
        last_record_ms_[TopicPartition{std::string(first.topic), first.partition}] = batch_[end - 1].timestamp_ms;
        i = end;
      }
      probe_.processing_seconds.Increment(Seconds(Clock::now() - polled));
      if (!checkpoint_status_.ok()) break;
      taken = batch_.size();
      if (taken >= options_.batch_max_records || Clock::now() >= deadline || stop.load() ||
          driver_->CachesOverBudget()) {
        break;
      }
    }
    Status result = checkpoint_status_;
    checkpoint_status_ = Status::Ok();
    if (result.ok()) {
      EndBatch(ctx);
      result = CheckpointDue(stop) ? Checkpoint(stop) : emitter_->TakeStatus();
    }
    if (result.ok() && taken > 0) {
      probe_.batches.Increment();
      probe_.batch_records.Observe(static_cast<double>(taken));
      probe_.batch_seconds.Observe(Seconds(Clock::now() - started));
    }
    batch_.Clear();
    return result;
  }

  // Table rows that arrived (waiting for them while a table is not read yet), and a
  // checkpoint of them when one is due while processing waits.
  Status FollowTables(const std::atomic<bool>& stop) {
    const bool waiting = !tables_->ready();
    VOC_RETURN_IF_ERROR(tables_->Follow(waiting ? std::chrono::milliseconds(100) : std::chrono::milliseconds(0),
                                        *emitter_, &next_offsets_));
    if (!waiting || !CheckpointDue(stop)) return Status::Ok();
    return Checkpoint(stop);
  }

  // The processor's end of batch (and timer), and the outputs acknowledged so far counted.
  void EndBatch(Context& ctx) {
    const auto started = Clock::now();
    driver_->EndBatch(ctx);
    producer_->Poll();
    CountAcknowledged();
    probe_.processing_seconds.Increment(Seconds(Clock::now() - started));
  }

  // A stop, a revoke or the interval checkpoints; so does a transaction that has grown
  // large, or changes that keep the caches over their budget (a backlog drained fast
  // changes more within one interval than the caches hold): both bound the memory held.
  bool CheckpointDue(const std::atomic<bool>& stop) const {
    return stop.load() || Clock::now() - last_checkpoint_ >= options_.commit_interval ||
           driver_->unwritten() >= kMaxPendingChanges || driver_->CachesOverBudget();
  }
  static constexpr size_t kMaxPendingChanges = 200'000;
  // A backlog's records can load several KiB of state each (voc-aggregate: about 8 KiB
  // over 30 days of event time), so a slice overshoots the caches' budget by a few MiB.
  static constexpr size_t kPollSliceRecords = 500;

  // The end of the batch in hand, then the checkpoint.
  Status FinishBatch(Context& ctx, const std::atomic<bool>* stop) {
    EndBatch(ctx);
    return Checkpoint(*stop);
  }

  void CountAcknowledged() {
    producer_->TakeAcknowledged([this](std::string_view topic, uint64_t records) {
      probe_.produced(std::string(topic)).Increment(static_cast<double>(records));
    });
  }

  void ProcessOne(const kafka::Record& record, Context& ctx) {
    if (driver_->Process(record, ctx)) probe_.processing_errors.Increment();
  }

  // Outputs and the changelog acknowledged first, then state and offsets together, then
  // the group's offsets; afterwards the offsets are done.
  Status Checkpoint(const std::atomic<bool>& stop) {
    VOC_RETURN_IF_ERROR(emitter_->TakeStatus());
    const auto flush_started = Clock::now();
    const bool emitted = emitter_->TakeEmitted();
    if (changelog_ && (driver_->unwritten() > 0 || !next_offsets_.empty())) {
      // From here until the commit the changelog may run ahead of the local state; a
      // process killed meanwhile restores these partitions when it starts again
      // (StartOffset), since what it sent would otherwise be taken for complete by the
      // next marker, or its marker be ahead of the state it resumes from.
      VOC_RETURN_IF_ERROR(driver_->db()->MarkUnconfirmed(held_partitions_));
      driver_->WriteChanges(changelog_.get());
      VOC_RETURN_IF_ERROR(changelog_->TakeStatus());
      // One wait for the outputs and the changes together, then a marker: what precedes
      // a marker is a complete checkpoint, whatever the producer re-sent.
      VOC_RETURN_IF_ERROR(FlushAll(stop, "the outputs and the changelog"));
      VOC_RETURN_IF_ERROR(changelog_->WriteMarkers(next_offsets_));
      VOC_RETURN_IF_ERROR(FlushAll(stop, "the changelog's markers"));
    } else if (emitted) {
      VOC_RETURN_IF_ERROR(FlushAll(stop, "the outputs"));
    }
    if (emitted && options_.exit_before_commit > 0 && ++acknowledged_checkpoints_ >= options_.exit_before_commit) {
      spdlog::error("{}: exiting at the testing kill point before commit (testing.exit_before_commit)",
                    options_.service);
      std::_Exit(137);
    }
    const auto commit_started = Clock::now();
    probe_.flushing_seconds.Increment(Seconds(commit_started - flush_started));
    VOC_RETURN_IF_ERROR(driver_->Commit(next_offsets_));
    {  // also with nothing new: the consumer sends again what the group has not confirmed
      std::vector<std::pair<TopicPartition, Offset>> offsets(next_offsets_.begin(), next_offsets_.end());
      if (Status s = consumer_->Commit(offsets); !s.ok()) spdlog::warn("{}: {}", options_.service, s.ToString());
    }
    next_offsets_.clear();
    last_checkpoint_ = Clock::now();
    probe_.checkpoints.Increment();
    if (memory_guard_.AfterCheckpoint(*driver_)) probe_.memory_sheds.Increment();
    probe_.committing_seconds.Increment(Seconds(last_checkpoint_ - commit_started));
    return Status::Ok();
  }

  // The input partitions held, each once (a service may read several topics).
  void HeldPartitions() {
    held_partitions_.clear();
    for (const auto& tp : held_) held_partitions_.push_back(tp.partition);
    std::sort(held_partitions_.begin(), held_partitions_.end());
    held_partitions_.erase(std::unique(held_partitions_.begin(), held_partitions_.end()), held_partitions_.end());
    // A rebalance runs inside a batch's poll: the batch in hand lists what is held now
    // (its list would otherwise be the old vector's memory).
    if (batch_ctx_ != nullptr) batch_ctx_->assigned = held_partitions_;
  }

  // Waits until everything produced is acknowledged, retrying while the broker is away.
  Status FlushAll(const std::atomic<bool>& stop, const char* what) {
    const uint64_t resent_before = producer_->resent();
    while (true) {
      Status s = producer_->Flush(options_.flush_timeout);
      if (s.ok()) break;
      if (s.code() != Status::Code::kTimeout) return s;
      probe_.flush_retries.Increment();
      spdlog::warn("{}: {}; waiting for the broker", options_.service, s.ToString());
      if (stop.load()) return Status::Unavailable(std::string("stopped before ") + what + " were acknowledged");
    }
    probe_.produce_resent.Increment(static_cast<double>(producer_->resent() - resent_before));
    CountAcknowledged();
    return Status::Ok();
  }

  // Where an assigned input partition starts: its stored offset; without local state (or
  // with state older than what the group committed: another instance moved it on) what
  // the changelog restores; failing that, the log's start, rebuilding from the input.
  // Runs inside the rebalance callback, so readiness says it is restoring.
  Offset StartOffset(const TopicPartition& tp) {
    auto stored = driver_->StoredOffset(tp);
    if (!changelog_) return stored.value_or(kafka::kOffsetBeginning);
    if (stored) {
      const auto committed = consumer_ ? consumer_->Committed(tp, std::chrono::seconds(10)) : std::nullopt;
      const bool unconfirmed = driver_->db()->Unconfirmed(tp.partition);
      if (!unconfirmed && (!committed || *committed <= *stored)) return *stored;
      if (unconfirmed) {
        spdlog::warn("{}: the process stopped while it sent a checkpoint of {}/{} to {}: restoring it from there",
                     options_.service, tp.topic, tp.partition.value, changelog_->topic());
      } else {
        spdlog::info("{}: the state of {}/{} is older than the group's offset ({} < {}): restoring it",
                     options_.service, tp.topic, tp.partition.value, stored->value, committed->value);
      }
    }
    health_->SetReady(false);
    const std::string restoring = "restoring " + tp.topic + "/" + std::to_string(tp.partition.value) + " from " +
                                  changelog_->topic();
    health_->SetReason(restoring);
    const auto started = Clock::now();
    const StateLayout layout{driver_->store_specs(), driver_->derivations(), driver_->state_format()};
    RestoreOptions restore;
    restore.consumer_properties = options_.restore_properties;
    restore.progress = [&](int64_t read, int64_t end) {
      probe_.restore_remaining.Set(static_cast<double>(end - read));
      health_->SetReason(restoring + ": " + std::to_string(read) + " of " + std::to_string(end) + " records read");
    };
    auto restored =
        RestoreFromChangelog(options_.kafka, changelog_->topic(), tp, layout, driver_->db(), changelog_.get(), restore);
    probe_.restore_remaining.Set(0);
    probe_.restore_seconds.Increment(Seconds(Clock::now() - started));
    if (!restored.ok()) {
      // Inside librdkafka's callback: no exception; the loop stops on it before committing.
      if (checkpoint_status_.ok()) {
        checkpoint_status_ = Status::Internal("restoring " + tp.topic + "/" + std::to_string(tp.partition.value) +
                                              " from " + changelog_->topic() + ": " + restored.status().ToString());
      }
      return kafka::kOffsetBeginning;
    }
    probe_.restored_records.Increment(static_cast<double>(restored->records));
    if (!restored->fallback.empty()) {
      probe_.restore_fallbacks.Increment();
      spdlog::error("{}: cannot restore {}/{} from {}: {}; rebuilding it from the input's start", options_.service,
                    tp.topic, tp.partition.value, changelog_->topic(), restored->fallback);
      return kafka::kOffsetBeginning;
    }
    if (!restored->next) return kafka::kOffsetBeginning;  // it never completed a checkpoint
    probe_.restores.Increment();
    spdlog::info("{}: restored {}/{} from {} ({} records in {:.1f} s); resuming at offset {}", options_.service,
                 tp.topic, tp.partition.value, changelog_->topic(), restored->records,
                 Seconds(Clock::now() - started), restored->next->value);
    return *restored->next;
  }

  // A broker error waiting cannot heal: one log line naming the setting (not one per
  // poll), and the readiness reason, until the next assignment shows it healed.
  void ReportBlocked(const std::string& why) {
    if (why == blocked_) return;
    blocked_ = why;
    spdlog::error("{}: {}", options_.service, why);
    probe_.blocked.Increment();
  }

  void UpdateGauges() {
    const int64_t now_ms = WallMs();
    for (const auto& lag : consumer_->Lag()) {
      // Caught up: 0 s behind. Behind: the age of the last record read, where records
      // carry a broker timestamp and one was read. Records of brokers before Kafka 0.10
      // have none: librdkafka gives them 0 (or -1), and no lag in seconds is published.
      std::optional<double> seconds;
      auto last = last_record_ms_.find(lag.partition);
      const bool timed = last == last_record_ms_.end() || last->second > 0;
      if (lag.lag == 0 && timed) {
        seconds = 0;
      } else if (lag.lag > 0 && last != last_record_ms_.end() && last->second > 0) {
        seconds = static_cast<double>(std::max<int64_t>(0, now_ms - last->second)) / 1000;
      }
      probe_.SetLag(lag.partition, lag.lag, seconds);
    }
    if (store_) {
      probe_.state_memory_bytes.Set(static_cast<double>(store_->MemoryUsage()));
      probe_.SetStateProperties(store_->Properties());
      // Walking the folder costs a system call per file: every few seconds is enough.
      if (Clock::now() - last_disk_walk_ >= kDiskWalkInterval) {
        last_disk_walk_ = Clock::now();
        probe_.SetStateDiskBytes(store_->DiskBytes());
      }
    }
  }

  // librdkafka's statistics every statistics.interval.ms (15 s unless set), unless the
  // client properties say otherwise (0 turns them off).
  kafka::Properties WithStatistics(kafka::Properties properties) const {
    if (!options_.kafka.properties.contains("statistics.interval.ms")) {
      properties.try_emplace("statistics.interval.ms", "15000");
    }
    return properties;
  }

  // On the processing thread (inside Poll and Flush).
  void OnStatistics(const std::string& client, std::string_view json) {
    auto stats = kafka::ParseStatistics(json);
    if (!stats.ok()) {
      if (!statistics_error_logged_) spdlog::warn("{}: {}", options_.service, stats.status().ToString());
      statistics_error_logged_ = true;
      return;
    }
    probe_.SetKafkaStatistics(client, *stats);
  }

  RuntimeOptions options_;
  std::unique_ptr<Processor> pending_processor_;  // until the driver takes it in Init
  std::shared_ptr<prometheus::Registry> registry_;
  RuntimeProbe probe_;
  std::shared_ptr<metrics::Health> health_;
  MemoryGuard memory_guard_;
  // Touched by the clients' callbacks (revoke, statistics): declared before the clients,
  // so they outlive them. Broker timestamp of the last record read from each assigned
  // partition (0 or -1: the broker keeps none), for voc_consumer_lag_seconds.
  std::map<TopicPartition, int64_t> last_record_ms_;
  bool statistics_error_logged_ = false;
  static constexpr auto kDiskWalkInterval = std::chrono::seconds(10);
  Clock::time_point last_disk_walk_ = Clock::now() - kDiskWalkInterval;
  // Destruction order matters: the HTTP server stops before the probe it reads goes,
  // the consumer closes before the producer, the batch's messages go before the consumer.
  std::unique_ptr<ProcessorDriver> driver_;
  state::StateStore* store_ = nullptr;  // the driver's database, for metrics; null when stateless
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<kafka::Consumer> consumer_;
  std::unique_ptr<BatchEmitter> emitter_;
  std::unique_ptr<ChangelogWriter> changelog_;  // null: no changelog (stateless, or turned off)
  std::unique_ptr<TableReader> tables_;
  kafka::RecordBatch batch_;
  // Per partition, the next offset to read once the batches since the last checkpoint are
  // committed.
  std::map<TopicPartition, Offset> next_offsets_;
  Clock::time_point last_checkpoint_ = Clock::now();
  // The batch in progress, for a revoke that arrives in the middle of it.
  Context* batch_ctx_ = nullptr;
  const std::atomic<bool>* revoke_stop_ = nullptr;
  Status checkpoint_status_;
  uint64_t acknowledged_checkpoints_ = 0;
  std::string blocked_;  // the broker error that stops this service, until an assignment
  std::set<TopicPartition> held_;            // the input partitions assigned
  std::vector<PartitionId> held_partitions_;  // their partition ids, each once
  std::unique_ptr<metrics::HttpServer> http_;
};

}  // namespace

Result<std::unique_ptr<ServiceRunner>> ServiceRunner::Create(RuntimeOptions options,
                                                             std::unique_ptr<Processor> processor,
                                                             std::shared_ptr<prometheus::Registry> registry) {
  auto runner = std::make_unique<ServiceRunnerImpl>(std::move(options), std::move(processor), std::move(registry));
  VOC_RETURN_IF_ERROR(runner->Init());
  return std::unique_ptr<ServiceRunner>(std::move(runner));
}

}  // namespace voc::runtime
