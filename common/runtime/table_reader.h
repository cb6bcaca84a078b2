// Keeps a processor's tables current: each compacted topic a processor reads as a table
// (Setup::ReadTable) is read whole by a consumer of its own, joining no group, from where
// the last checkpoint left it. Rows go into the table's store and their offsets into the
// runtime's checkpoint, so a table and the state built on it never disagree after a
// crash; a row that does not parse is a dead letter. Processing waits until every table
// is read to the end it had at start-up, or its catch-up time passed.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/kafka/kafka.h"
#include "common/runtime/processor.h"
#include "common/runtime/processor_driver.h"

namespace voc::runtime {

// NOT thread-safe: the processing thread owns it.
class TableReader {
 public:
  // One consumer per table of the driver's processor; none when it reads no table. Rows
  // of a partition that fell off its log before they were read go to on_loss.
  static Result<std::unique_ptr<TableReader>> Create(ProcessorDriver& driver, const kafka::ClientConfig& client,
                                                     const kafka::Properties& consumer_properties,
                                                     std::function<void(const TopicPartition&, int64_t)> on_loss);
  ~TableReader();

  // Reads what has arrived, waiting at most `wait` for the first row; rows that are not
  // rows become dead letters through out. The next offset of each table partition read
  // is put in *next_offsets, for the checkpoint.
  Status Follow(std::chrono::milliseconds wait, Emitter& out, std::map<TopicPartition, Offset>* next_offsets);
  // Every table is read to the end it had at start-up (or its catch-up time passed).
  bool ready() const;
  // For the readiness reason while not ready: "reading table voc.customers (120 of 4000 rows)".
  std::string progress() const;

 private:
  struct Followed {
    size_t table = 0;  // index into the driver's tables()
    std::string topic;
    std::chrono::steady_clock::time_point give_up;  // catch-up ends here at the latest
    std::unique_ptr<kafka::Consumer> consumer;
    std::map<TopicPartition, Offset> end_at_start;  // high watermarks when reading began
    std::map<TopicPartition, Offset> next;
    bool caught_up = false;
    uint64_t rows = 0;
  };
  explicit TableReader(ProcessorDriver& driver) : driver_(driver) {}

  ProcessorDriver& driver_;
  kafka::RecordBatch batch_;  // declared before tables_: its messages go before their consumers
  std::vector<Followed> tables_;
};

}  // namespace voc::runtime
