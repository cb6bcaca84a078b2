#include "tests/runtime/processor_harness.h"

#include <algorithm>

namespace voc::test {
namespace {

class Collector final : public runtime::Emitter {
 public:
  explicit Collector(Emitted* out) : out_(out) {}
  void Emit(std::string_view topic, std::string_view key, std::string_view value) override {
    out_->outputs.push_back({std::string(topic), std::string(key), std::string(value)});
  }
  void DeadLetter(const kafka::Record& record, std::string_view reason, std::string_view detail) override {
    out_->dead_letters.push_back({std::string(reason), std::string(detail), std::string(record.topic),
                                  record.partition.value, record.offset.value});
  }

 private:
  Emitted* out_;
};

}  // namespace

const Output* Emitted::Last(const std::string& topic, const std::string& key) const {
  const Output* last = nullptr;
  for (const auto& o : outputs) {
    if (o.topic == topic && o.key == key) last = &o;
  }
  return last;
}

std::vector<std::string> Emitted::reasons() const {
  std::vector<std::string> out;
  for (const auto& d : dead_letters) out.push_back(d.reason);
  return out;
}

ProcessorHarness::ProcessorHarness(Factory make, std::string state_dir, std::vector<TopicPartition> assigned)
    : make_(std::move(make)), state_dir_(std::move(state_dir)), assigned_(std::move(assigned)) {
  HeldPartitions();
}

void ProcessorHarness::HeldPartitions() {
  assigned_partitions_.clear();
  for (const auto& tp : assigned_) {
    if (std::find(assigned_partitions_.begin(), assigned_partitions_.end(), tp.partition) ==
        assigned_partitions_.end()) {
      assigned_partitions_.push_back(tp.partition);
    }
  }
}

ProcessorHarness::~ProcessorHarness() = default;

Status ProcessorHarness::Start() {
  driver_.reset();
  runtime::DriverOptions options;
  options.service = "voc-test";
  options.state.path = state_dir_;
  options.state.block_cache_bytes = 8 << 20;
  // About what a service's default budget gives its memtables. With 8 MiB, the empty
  // memtables of a processor's dozen stores nearly filled the write buffer manager, so
  // nearly every checkpoint flushed them all (half a fuzz target's time went to flushes).
  options.state.write_buffer_bytes = 64 << 20;
  options.clock = [this] { return now_; };
  auto driver = runtime::ProcessorDriver::Open(std::move(options), make_());
  if (!driver.ok()) return driver.status();
  driver_ = std::move(driver).value();
  next_offsets_.clear();
  uncommitted_.clear();
  for (const auto& tp : assigned_) next_offsets_[tp] = driver_->StoredOffset(tp).value_or(Offset(0)).value;
  return Status::Ok();
}

void ProcessorHarness::Crash() {
  driver_.reset();
  uncommitted_.clear();
}

Emitted ProcessorHarness::Batch(const std::vector<Input>& records, bool checkpoint) {
  Emitted emitted;
  Collector out(&emitted);
  const int64_t wall_ms = wall_ms_.value_or(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  runtime::Context ctx{out, wall_ms, assigned_partitions_};
  for (const Input& in : records) {
    const TopicPartition tp{in.topic, PartitionId(in.partition)};
    const int64_t offset = next_offsets_[tp]++;
    const kafka::Record r{.topic = in.topic,
                          .partition = tp.partition,
                          .offset = Offset(offset),
                          .key = in.key,
                          .value = in.value,
                          .timestamp_ms = in.timestamp_ms,
                          .content_type = in.content_type};
    driver_->Process(r, ctx);
    uncommitted_[tp] = Offset(offset + 1);
  }
  driver_->EndBatch(ctx);
  if (checkpoint) {
    Status s = Checkpoint();
    if (!s.ok()) emitted.dead_letters.push_back({"CHECKPOINT_FAILED", s.ToString(), "", 0, 0});
  }
  return emitted;
}

Status ProcessorHarness::Checkpoint() {
  Status s = driver_->Commit(uncommitted_);
  if (s.ok()) uncommitted_.clear();
  return s;
}

Status ProcessorHarness::Revoke(const std::vector<TopicPartition>& partitions) {
  VOC_RETURN_IF_ERROR(Checkpoint());
  driver_->Forget(partitions);
  for (const auto& tp : partitions) {
    std::erase(assigned_, tp);
    next_offsets_.erase(tp);
  }
  HeldPartitions();
  return Status::Ok();
}

bool ProcessorHarness::TableRow(size_t table, const std::string& key, const std::string& value) {
  return driver_->ApplyTableRow(table, key, value);
}

int64_t ProcessorHarness::next_offset(const TopicPartition& tp) const {
  auto it = next_offsets_.find(tp);
  return it == next_offsets_.end() ? 0 : it->second;
}

}  // namespace voc::test
