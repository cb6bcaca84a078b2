// Process-level readings shared by every service: resident memory (for the memory
// budget), CPU time, file descriptors and start time, read from /proc.
#pragma once

#include <cstdint>

namespace voc::metrics {

// Current resident set size in bytes, from /proc/self/statm; 0 when unreadable.
uint64_t ResidentBytes();
// Peak resident set size in bytes (VmHWM), from /proc/self/status; 0 when unreadable.
uint64_t PeakResidentBytes();
// Starts the peak over from the current resident size (writes 5 to /proc/self/clear_refs),
// so that PeakResidentBytes measures from now.
void ResetPeakResidentBytes();

// What Prometheus' standard process_* metrics report. A field is -1 when it could not
// be read.
struct ProcessStats {
  double cpu_seconds = -1;          // user + system time (process_cpu_seconds_total)
  double resident_bytes = -1;       // process_resident_memory_bytes
  double peak_resident_bytes = -1;  // VmHWM
  double virtual_bytes = -1;        // process_virtual_memory_bytes
  double open_fds = -1;             // process_open_fds
  double max_fds = -1;              // process_max_fds (the soft limit)
  double start_time_seconds = -1;   // process_start_time_seconds, since the Unix epoch
};

// Reads /proc/self/stat, /proc/self/status, /proc/self/fd, /proc/stat and the open-files
// limit: a few small reads, cheap enough for every scrape.
ProcessStats ReadProcessStats();

}  // namespace voc::metrics
