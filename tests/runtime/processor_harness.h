// Drives a processor exactly as the service runner does (through runtime::ProcessorDriver,
// the runner's own driving code), without a broker: a batch's records processed at the
// next offsets of their partitions, then the end of the batch and the timer when due, then
// the checkpoint; revokes, restarts on the same state folder, and table rows. Every
// processor test uses it, so what the tests prove holds for the runner too.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/runtime/processor_driver.h"

namespace voc::test {

// A count, stored as its decimal digits: the state of the runtime tests' processors.
struct Counter {
  int64_t n = 0;
};

}  // namespace voc::test

template <>
struct voc::state::Codec<voc::test::Counter> {
  static void Encode(const voc::test::Counter& c, std::string* out) { *out = std::to_string(c.n); }
  static bool Decode(std::string_view bytes, voc::test::Counter* c) {
    c->n = 0;
    for (char ch : bytes) {
      if (ch < '0' || ch > '9') return false;
      c->n = c->n * 10 + (ch - '0');
    }
    return !bytes.empty();
  }
  static size_t Footprint(const voc::test::Counter& c) { return sizeof(c); }
};

namespace voc::test {

struct Output {
  std::string topic, key, value;
};

struct DeadLetterOut {
  std::string reason, detail;
  std::string origin_topic;
  int32_t origin_partition = 0;
  int64_t origin_offset = 0;
};

// What one batch emitted.
struct Emitted {
  std::vector<Output> outputs;
  std::vector<DeadLetterOut> dead_letters;
  // The last output on topic with key, nullptr when there is none.
  const Output* Last(const std::string& topic, const std::string& key) const;
  std::vector<std::string> reasons() const;  // the dead letters' reasons, in order
};

struct Input {
  std::string topic;
  int32_t partition = 0;
  std::string key;
  std::string value;
  std::string content_type = {};
  int64_t timestamp_ms = 0;  // the broker's
};

// NOT thread-safe.
class ProcessorHarness {
 public:
  using Factory = std::function<std::unique_ptr<runtime::Processor>()>;

  // state_dir: the processor's state folder (kept across restarts). assigned: the input
  // partitions the instance holds (what a timer sees).
  ProcessorHarness(Factory make, std::string state_dir, std::vector<TopicPartition> assigned);
  ~ProcessorHarness();

  // (Re)starts: a new processor from the factory on the state folder, resuming each
  // partition at its stored offset.
  Status Start();
  // Drops the processor and everything not checkpointed, as kill -9 would.
  void Crash();

  // One batch: the records in order, each at the next offset of its partition, then the
  // end of the batch (and the timer when due); then a checkpoint unless told not to.
  Emitted Batch(const std::vector<Input>& records, bool checkpoint = true);
  // Checkpoints what the batches since the last one did.
  Status Checkpoint();
  // What the runner does when partitions are taken away: checkpoint, then forget them.
  Status Revoke(const std::vector<TopicPartition>& partitions);
  // A table row read from its topic (empty value: a deletion); false when not a row.
  bool TableRow(size_t table, const std::string& key, const std::string& value);
  // The timer's clock: the first batch after a start fires the timer; later ones when
  // the clock moved past the interval.
  void AdvanceClock(std::chrono::milliseconds by) { now_ += by; }
  // The batches' wall clock (Context::now_ms); unset: the real one.
  void SetWallClock(int64_t now_ms) { wall_ms_ = now_ms; }
  // Where the next record of tp is read from.
  void SetNextOffset(const TopicPartition& tp, int64_t offset) { next_offsets_[tp] = offset; }

  runtime::ProcessorDriver& driver() { return *driver_; }
  state::StateStore* db() { return driver_->db(); }
  int64_t next_offset(const TopicPartition& tp) const;

 private:
  void HeldPartitions();  // assigned_partitions_ from assigned_

  Factory make_;
  std::string state_dir_;
  std::vector<TopicPartition> assigned_;
  std::vector<PartitionId> assigned_partitions_;
  std::chrono::steady_clock::time_point now_ = std::chrono::steady_clock::now();
  std::optional<int64_t> wall_ms_;
  std::map<TopicPartition, int64_t> next_offsets_;  // the next offset of each partition fed
  std::map<TopicPartition, Offset> uncommitted_;     // since the last checkpoint
  std::unique_ptr<runtime::ProcessorDriver> driver_;
};

}  // namespace voc::test
