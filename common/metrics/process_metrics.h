// Process-level readings shared by every service: resident memory, for the memory budget.
#pragma once

#include <cstdint>

namespace voc::metrics {

// Current resident set size in bytes, from /proc/self/statm; 0 when unreadable.
uint64_t ResidentBytes();
// Peak resident set size in bytes (VmHWM), from /proc/self/status; 0 when unreadable.
uint64_t PeakResidentBytes();

}  // namespace voc::metrics
