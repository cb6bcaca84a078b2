#include "common/runtime/memory_budget.h"

#include <malloc.h>
#if defined(VOC_JEMALLOC)
#include <jemalloc/jemalloc.h>
#endif

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>

#include "common/metrics/process_metrics.h"
#include "common/runtime/processor_driver.h"

namespace voc::runtime {

namespace {

// What librdkafka holds for a record besides its payload: the op or message header, the
// queue links, the key and value copies' allocations (measured with heaptrack on
// voc-aggregate: about 140 bytes a pre-fetched record, more for a produced one).
constexpr uint64_t kConsumerRecordOverhead = 512;
constexpr uint64_t kProducerRecordOverhead = 256;
constexpr uint64_t kProcessBaseBytes = 48 << 20;

}  // namespace

MemoryPlan PlanMemory(uint64_t budget_bytes) {
  MemoryPlan plan;
  // What the process holds before it holds any state (code, libraries, the analyzer's
  // lexicons and taxonomy: about 44 MiB resident at start) is not the caches' to share.
  const uint64_t shared = budget_bytes - std::min(budget_bytes / 4, kProcessBaseBytes);
  plan.state_cache_bytes = static_cast<size_t>(shared / 4);
  plan.block_cache_bytes = static_cast<size_t>(shared / 8);
  plan.write_buffer_bytes = static_cast<size_t>(shared / 8);
  // Half of each share for payloads, half for the per-record overhead.
  const uint64_t consumer = shared / 16 / 2, producer = shared / 8 / 2;
  plan.consumer_properties = {
      {"queued.max.messages.kbytes", std::to_string(consumer / 1024)},
      {"queued.min.messages", std::to_string(std::max<uint64_t>(1000, consumer / kConsumerRecordOverhead))},
      // A fetch response stays in memory while any record of it is queued.
      {"fetch.max.bytes", std::to_string(std::max<uint64_t>(1 << 20, consumer))},
  };
  const uint64_t restore = std::min<uint64_t>(shared / 8, uint64_t{64} << 20);
  // In bytes only: with queued.min.messages set, even to its default, librdkafka 2.0 left
  // the same restore waiting (2.1-2.2 s against 0.9-1.0 on a real broker, restore_bench).
  plan.restore_properties = {{"queued.max.messages.kbytes", std::to_string(restore / 1024)}};
  plan.producer_properties = {
      {"queue.buffering.max.kbytes", std::to_string(producer / 1024)},
      {"queue.buffering.max.messages", std::to_string(std::max<uint64_t>(1000, producer / kProducerRecordOverhead))},
  };
  return plan;
}

#if defined(VOC_JEMALLOC)
// jemalloc reads its settings from this symbol at its first allocation; MALLOC_CONF in the
// environment goes on top. Freed pages are kept for kFreedMemoryKeptFor (5 s; jemalloc's
// default is 10), and the memory guard has them given back at once while the process is
// near its budget: with a second's delay throughout, the memory-budget test peaked at
// 194-231 MiB under a 160 MiB budget, given back at once at 170-202.
extern "C" {
const char* malloc_conf = "dirty_decay_ms:5000,muzzy_decay_ms:0";
}
#endif

namespace {

bool DelaySetByOperator() {
  const char* conf = std::getenv("MALLOC_CONF");
  return conf != nullptr && std::strstr(conf, "dirty_decay_ms") != nullptr;
}

void SetFreedMemoryDelay(std::chrono::milliseconds delay) {
#if defined(VOC_JEMALLOC)
  auto ms = static_cast<ssize_t>(delay.count());
  // Arenas made from now on, then each existing one.
  mallctl("arenas.dirty_decay_ms", nullptr, nullptr, &ms, sizeof(ms));
  unsigned arenas = 0;
  size_t len = sizeof(arenas);
  if (mallctl("arenas.narenas", &arenas, &len, nullptr, 0) != 0) return;
  for (unsigned i = 0; i < arenas; ++i) {
    const std::string name = "arena." + std::to_string(i) + ".dirty_decay_ms";
    mallctl(name.c_str(), nullptr, nullptr, &ms, sizeof(ms));  // fails for an arena not in use: fine
  }
#else
  (void)delay;
#endif
}

}  // namespace

std::optional<std::chrono::milliseconds> FreedMemoryDelay() {
#if defined(VOC_JEMALLOC)
  ssize_t ms = 0;
  size_t len = sizeof(ms);
  if (mallctl("arena.0.dirty_decay_ms", &ms, &len, nullptr, 0) != 0) return std::nullopt;
  return std::chrono::milliseconds(ms);
#else
  return std::nullopt;
#endif
}

FreedMemoryLines FreedMemoryLinesFor(uint64_t budget_bytes) {
  // Kept pages are what the last few seconds freed: tens of MiB in a busy service,
  // however large the budget (voc-enrich under a 160 MiB budget peaked at 138-141 MiB with
  // the line at half of it, at 166 MiB with the line at 70%). So the line leaves that much
  // room, at most half and at least a quarter of the budget. Given back at once, each free
  // of a page costs a system call and a TLB shootdown: with the line at half of a 512 MiB
  // budget, voc-aggregate crossed it in a 4-minute soak and its CPU per mention grew 2.07x
  // from the first interval to the last, against 1.43x with the pages kept
  // (benchmarks/README.md).
  const uint64_t give_back =
      std::clamp(budget_bytes - std::min(budget_bytes, kFreedMemoryRoom), budget_bytes / 2, budget_bytes / 4 * 3);
  return {.give_back_bytes = give_back, .keep_bytes = give_back - budget_bytes / 10};
}

void LimitAllocatorArenas() {
#if !defined(VOC_JEMALLOC)
  if (std::getenv("MALLOC_ARENA_MAX") != nullptr || std::getenv("GLIBC_TUNABLES") != nullptr) return;
  mallopt(M_ARENA_MAX, 2);
#endif
}

void ReleaseFreedMemory() {
#if defined(VOC_JEMALLOC)
  const std::string purge = "arena." + std::to_string(MALLCTL_ARENAS_ALL) + ".purge";
  mallctl(purge.c_str(), nullptr, nullptr, nullptr, 0);
#else
  malloc_trim(0);
#endif
}

MemoryGuard::MemoryGuard(uint64_t budget_bytes, double shed_fraction)
    : budget_bytes_(budget_bytes), shed_fraction_(shed_fraction) {}

bool MemoryGuard::AfterCheckpoint(ProcessorDriver& driver) {
  if (budget_bytes_ == 0) return false;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_check_ < std::chrono::seconds(1)) return false;
  last_check_ = now;
  const uint64_t resident = metrics::ResidentBytes();
  if (const auto delay = FreedMemoryDelay(); delay && !DelaySetByOperator()) {
    const FreedMemoryLines lines = FreedMemoryLinesFor(budget_bytes_);
    if (resident >= lines.give_back_bytes && delay->count() != 0) {
      SetFreedMemoryDelay(std::chrono::milliseconds(0));
      ReleaseFreedMemory();
    } else if (resident < lines.keep_bytes && delay->count() == 0) {
      SetFreedMemoryDelay(kFreedMemoryKeptFor);
    }
  }
  if (static_cast<double>(resident) < shed_fraction_ * static_cast<double>(budget_bytes_)) return false;
  // Half of what the caches hold goes (the least recently used first), and the freed
  // memory goes back to the system rather than staying in the allocator's arenas.
  driver.ShedCaches(0.5);
  ReleaseFreedMemory();
  return true;
}

}  // namespace voc::runtime
