// A service's memory budget (service.memory_budget_mb, the container limit) and what
// keeps the process under it. The caches that grow with the work are sized from it
// (MemoryPlan): the typed stores' caches, RocksDB's block cache and memtables, librdkafka's
// pre-fetch queue and the producer's buffer, leaving about a third for everything else
// (code, the analyzer, batches in hand, allocator overhead). Estimates are not the
// resident size, so a MemoryGuard also watches that: when it nears the budget, the guard
// sheds what can be read back (the stores' clean cache entries) and hands the allocator's
// free pages back to the system.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace voc::runtime {

class ProcessorDriver;

struct MemoryPlan {
  size_t state_cache_bytes = 0;    // a quarter
  size_t block_cache_bytes = 0;    // an eighth
  size_t write_buffer_bytes = 0;   // an eighth
  size_t consumer_queue_kb = 0;    // a sixteenth: queued.max.messages.kbytes
  size_t producer_buffer_kb = 0;   // an eighth: queue.buffering.max.kbytes
};

MemoryPlan PlanMemory(uint64_t budget_bytes);

// NOT thread-safe: runs on the service's processing thread.
class MemoryGuard {
 public:
  // budget_bytes 0: no budget, the guard does nothing.
  explicit MemoryGuard(uint64_t budget_bytes, double shed_fraction = 0.85);

  // After each checkpoint (when every cache entry is written): at most once a second,
  // reads the resident size and, past shed_fraction of the budget, sheds. Returns whether
  // it shed.
  bool AfterCheckpoint(ProcessorDriver& driver);

 private:
  uint64_t budget_bytes_;
  double shed_fraction_;
  std::chrono::steady_clock::time_point last_check_{};
};

}  // namespace voc::runtime
