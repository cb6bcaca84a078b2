// Drives a processor exactly as the service runner does, without Kafka: opens the stores
// it declares, feeds it records, ends batches, fires its timer, applies table rows,
// writes checkpoints (every store's changes and the next input offsets in one commit)
// and forgets revoked partitions. The service runner adds polling, producing and
// acknowledgements around it; processor tests drive it alone (tests/runtime's harness).
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/core/status.h"
#include "common/runtime/processor.h"
#include "common/state/state_store.h"

namespace voc::runtime {

struct DriverOptions {
  std::string service;        // names the service in errors
  state::StateOptions state;  // stores and format come from the processor; path empty when it keeps none
  // The typed stores' caches together stay within this many bytes after each checkpoint
  // (entries with unwritten changes are never evicted). Default 128 MiB.
  size_t cache_bytes = 128 << 20;
  // What the timer is measured with (tests step their own).
  std::function<std::chrono::steady_clock::time_point()> clock = [] { return std::chrono::steady_clock::now(); };
};

// NOT thread-safe: the processing thread owns it.
class ProcessorDriver {
 public:
  // Calls the processor's Open, then opens the state folder with the stores it declared.
  // A processor that declares stores needs options.state.path.
  static Result<std::unique_ptr<ProcessorDriver>> Open(DriverOptions options, std::unique_ptr<Processor> processor);
  ~ProcessorDriver();

  Processor& processor() { return *processor_; }
  bool stateful() const { return db_ != nullptr; }
  bool reads_content_type() const;
  const std::vector<TableSpec>& tables() const;
  // How a restore rebuilds the derived stores (Setup::DerivedStore).
  const std::vector<Derivation>& derivations() const;
  // What the stored state means (Setup::StateFormat); empty when the processor names none.
  const std::string& state_format() const;

  // One record. A processor dead-letters bad input itself; an exception other than
  // FatalError is the last line of defence: a PROCESSING_ERROR dead letter, and true.
  bool Process(const kafka::Record& record, Context& ctx);
  // The processor's end of batch, then its timer when due.
  void EndBatch(Context& ctx);
  // One row of tables()[table]; false when the bytes are not a row (a dead letter).
  bool ApplyTableRow(size_t table, std::string_view key, std::string_view value);
  // The first half of a checkpoint: every store's changes into the checkpoint's
  // transaction, each also handed to sink when given (the changelog).
  void WriteChanges(state::ChangeSink* sink);
  // The checkpoint: every store's changes (those WriteChanges has not taken yet) and these
  // next offsets in one commit, then the caches shrunk to their budget.
  Status Commit(const std::map<TopicPartition, Offset>& next_offsets);
  // Evicts clean cache entries until each store holds at most keep_fraction of what it
  // holds now (the memory guard's lever; read back from the store when next used).
  void ShedCaches(double keep_fraction);
  // Whether a checkpoint is due for memory's sake: the stores' caches together hold more
  // than their budget (only entries with unwritten changes keep them there), or their
  // unwritten entries more than a quarter of it. A checkpoint's write batch and changelog
  // records grow with those, and are held beside the cache until acknowledged: with half,
  // voc-enrich under a 160 MiB budget peaked at 152-161 MiB in the memory-budget test,
  // with a quarter at 138-141. A checkpoint lets them go.
  bool CachesOverBudget() const;
  size_t cached_bytes() const;  // the stores' caches together
  // The stores' specs, by id.
  std::vector<state::StoreSpec> store_specs() const;
  // Changes not yet committed, over all stores.
  size_t unwritten() const;
  // Forgets what the stores cache for these partitions (a revoke, after its checkpoint).
  void Forget(const std::vector<TopicPartition>& partitions);
  // The next offset to read from tp, as the last checkpoint stored it.
  std::optional<Offset> StoredOffset(const TopicPartition& tp);
  // The database, for metrics and tests; nullptr when the processor keeps no state.
  state::StateStore* db() { return db_.get(); }

 private:
  class SetupImpl;
  ProcessorDriver(DriverOptions options, std::unique_ptr<Processor> processor);

  DriverOptions options_;
  // Destruction order: the processor holds pointers into the stores (in setup_), which
  // read through the database; the transaction goes before the database too.
  std::unique_ptr<state::StateStore> db_;
  std::unique_ptr<state::Transaction> txn_;
  std::unique_ptr<SetupImpl> setup_;  // the stores and tables the processor declared
  std::unique_ptr<Processor> processor_;
  std::optional<std::chrono::steady_clock::time_point> last_timer_;
  uint32_t checkpoints_ = 0;
};

}  // namespace voc::runtime
