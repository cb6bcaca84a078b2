// A service's memory budget (service.memory_budget_mb, the container limit) and what
// keeps the process under it. The caches that grow with the work are sized from it
// (MemoryPlan): what is left after the process's own 48 MiB (code, libraries, the
// analyzer) goes to the typed stores' caches, RocksDB's block cache and memtables,
// librdkafka's pre-fetch queue and the producer's buffer, leaving about a third for
// checkpoints (the write batch and changelog records of the unwritten entries, which the
// runner bounds to a quarter of the stores' cache), batches in hand and allocator overhead.
// Estimates are not the
// resident size, so a MemoryGuard also watches that: when it nears the budget, the guard
// sheds what can be read back (the stores' clean cache entries) and hands the allocator's
// free pages back to the system.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace voc::runtime {

class ProcessorDriver;

struct MemoryPlan {
  size_t state_cache_bytes = 0;    // a quarter (of what is left after the process's own)
  size_t block_cache_bytes = 0;    // an eighth
  size_t write_buffer_bytes = 0;   // an eighth
  // librdkafka's buffers, a sixteenth for the consumer's pre-fetch and an eighth for the
  // producer's queue. Each is bounded in bytes and in records: a small record costs
  // librdkafka several hundred bytes besides its payload, which its byte bounds do not count.
  std::map<std::string, std::string> consumer_properties;
  std::map<std::string, std::string> producer_properties;
  // A changelog restore's own consumer (it runs while nothing else is processed): an
  // eighth, at most librdkafka's own 64 MiB, in bytes (librdkafka's 100,000 records stay).
  // A bound smaller than what a restore reads in a second costs it a second's wait at each
  // refill (librdkafka 2.0 fetches again only that long after its queue passed one).
  std::map<std::string, std::string> restore_properties;
};

MemoryPlan PlanMemory(uint64_t budget_bytes);

// The binaries allocate with jemalloc (VOC_JEMALLOC, the default build; the sanitizer
// builds keep their own allocator): in stage_bench it made every stage 8-20% faster than
// glibc's malloc, and it returns freed memory to the system on its own, which glibc's
// arenas do only when trimmed: after kFreedMemoryKeptFor while the process is far from its
// budget, at once near it (MemoryGuard).
//
// Under glibc's malloc: caps it at two arenas, before any thread allocates (unless the
// environment sets MALLOC_ARENA_MAX or GLIBC_TUNABLES). By default each thread that
// allocates may get an arena of its own (librdkafka's and RocksDB's threads), and memory
// freed in one is not reused by another: about 25 MiB more resident in voc-aggregate under
// a 160 MiB budget. The processing thread does nearly all allocation, so contention does
// not matter. Under jemalloc: nothing.
void LimitAllocatorArenas();

// Gives memory the allocator holds free back to the system now.
void ReleaseFreedMemory();

// How long jemalloc keeps freed pages before it gives them back to the system, while the
// process is far from its budget (FreedMemoryLinesFor) or has none. A page kept is used
// again as it is; one given back and used again faults in anew, which costs a system
// call's worth of kernel time and more under virtualisation. Given back at once, the
// whole-pipeline benchmark ran 2.5x slower on a 2-core VM whose system calls are slow: a
// checkpoint's write batch, changelog records and librdkafka's buffers are freed and
// allocated again all the time (benchmarks/README.md).
inline constexpr std::chrono::milliseconds kFreedMemoryKeptFor{5000};

// The room left under the budget for pages kept, however large the budget.
inline constexpr uint64_t kFreedMemoryRoom = uint64_t{128} << 20;

// From give_back_bytes resident, freed pages go back at once; below keep_bytes they are
// kept again (a tenth of the budget apart, so that a process near the line does not switch
// at every check). give_back_bytes is kFreedMemoryRoom under the budget, but never below
// half of it nor above three quarters.
struct FreedMemoryLines {
  uint64_t give_back_bytes = 0;
  uint64_t keep_bytes = 0;
};
FreedMemoryLines FreedMemoryLinesFor(uint64_t budget_bytes);

// The allocator's current delay (jemalloc's dirty_decay_ms); none under another allocator.
std::optional<std::chrono::milliseconds> FreedMemoryDelay();

// NOT thread-safe: runs on the service's processing thread.
class MemoryGuard {
 public:
  // budget_bytes 0: no budget, the guard does nothing.
  explicit MemoryGuard(uint64_t budget_bytes, double shed_fraction = 0.85);

  // After each checkpoint (when every cache entry is written): at most once a second,
  // reads the resident size. From FreedMemoryLinesFor's give_back_bytes, freed pages go
  // back to the system at once (and those held go now); below its keep_bytes they are
  // kept for kFreedMemoryKeptFor again (unless MALLOC_CONF sets dirty_decay_ms: the
  // operator's choice stands). Past shed_fraction of the budget, the guard sheds. Returns
  // whether it shed.
  bool AfterCheckpoint(ProcessorDriver& driver);

 private:
  uint64_t budget_bytes_;
  double shed_fraction_;
  std::chrono::steady_clock::time_point last_check_{};
};

}  // namespace voc::runtime
