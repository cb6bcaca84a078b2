#include "common/runtime/memory_budget.h"

#include <malloc.h>

#include "common/metrics/process_metrics.h"
#include "common/runtime/processor_driver.h"

namespace voc::runtime {

MemoryPlan PlanMemory(uint64_t budget_bytes) {
  MemoryPlan plan;
  plan.state_cache_bytes = static_cast<size_t>(budget_bytes / 4);
  plan.block_cache_bytes = static_cast<size_t>(budget_bytes / 8);
  plan.write_buffer_bytes = static_cast<size_t>(budget_bytes / 8);
  plan.consumer_queue_kb = static_cast<size_t>(budget_bytes / 16 / 1024);
  plan.producer_buffer_kb = static_cast<size_t>(budget_bytes / 8 / 1024);
  return plan;
}

MemoryGuard::MemoryGuard(uint64_t budget_bytes, double shed_fraction)
    : budget_bytes_(budget_bytes), shed_fraction_(shed_fraction) {}

bool MemoryGuard::AfterCheckpoint(ProcessorDriver& driver) {
  if (budget_bytes_ == 0) return false;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_check_ < std::chrono::seconds(1)) return false;
  last_check_ = now;
  const uint64_t resident = metrics::ResidentBytes();
  if (static_cast<double>(resident) < shed_fraction_ * static_cast<double>(budget_bytes_)) return false;
  // Half of what the caches hold goes (the least recently used first), and the freed
  // memory goes back to the system rather than staying in the allocator's arenas.
  driver.ShedCaches(0.5);
  malloc_trim(0);
  return true;
}

}  // namespace voc::runtime
