// The contract between a service's logic and the runtime. A Processor is a plain class
// from input records to outputs and state changes; it never polls, produces or commits.
// The runtime calls it on the processing thread only.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/types.h"
#include "common/kafka/kafka.h"
#include "common/state/state_store.h"

namespace voc::runtime {

// Thrown by a processor when the service cannot go on (its state store failed): the
// runtime stops without committing the batch, so nothing is lost. Bad input is never
// this: it is a dead letter.
class FatalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Collects what one batch emits. NOT thread-safe.
class Emitter {
 public:
  virtual ~Emitter() = default;
  virtual void Emit(std::string_view topic, std::string_view key, std::string_view value) = 0;
  // Sends the record to the dead-letter topic with a stable reason code and a sentence.
  virtual void DeadLetter(const kafka::Record& record, std::string_view reason, std::string_view detail) = 0;
};

struct Context {
  Emitter& out;
  state::Transaction* txn;  // nullptr for a stateless service
  int64_t now_ms;           // wall clock at the start of the batch
};

class Processor {
 public:
  virtual ~Processor() = default;
  // The state stores this processor keeps; none means a stateless service.
  virtual std::vector<state::StoreSpec> Stores() const { return {}; }
  // What the stored state means, e.g. "voc-aggregate/2": a release that changes it names a
  // new format, and a state folder written in another one is refused at start-up.
  virtual std::string StateFormat() const { return {}; }
  // Called once the state store is open (stateful services only), before any record.
  virtual void AttachStore(state::StateStore* /*store*/) {}
  // Whether Process reads Record::content_type (the runtime reads record headers only then).
  virtual bool ReadsContentType() const { return false; }
  virtual void Process(const kafka::Record& record, Context& ctx) = 0;
  // After each batch's records, before its outputs are flushed (at a checkpoint, with the
  // batches' since the last one); also called when a poll brought nothing, so time-driven
  // output (window emission) is not held back.
  virtual void EndBatch(Context& /*ctx*/) {}
  // At a checkpoint, just before state and offsets commit: write what the processor keeps
  // in memory across batches into the transaction (state only a record changes: a
  // revoke or stop always checkpoints after the last record processed).
  virtual void BeforeCommit(Context& /*ctx*/) {}
  // After a checkpoint's state and offsets are committed.
  virtual void AfterCommit() {}
  virtual void OnAssigned(const std::vector<TopicPartition>& /*partitions*/) {}
  virtual void OnRevoked(const std::vector<TopicPartition>& /*partitions*/) {}
  // Work the runtime does each loop iteration before polling (e.g. reading a table);
  // it returns within about a second so the loop keeps beating.
  virtual void Tick() {}
  // False while the processor cannot serve (e.g. a table not yet read to its end): the
  // runtime does not poll its input, so no record is processed against half a table.
  virtual bool Ready() const { return true; }
};

}  // namespace voc::runtime
