#include "common/metrics/process_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

namespace voc::metrics {
namespace {

// The whole of a small /proc file; empty when unreadable.
std::string ReadSmallFile(const char* path) {
  std::string out;
  FILE* f = std::fopen(path, "r");
  if (f == nullptr) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) out.append(buf, n);
  std::fclose(f);
  return out;
}

// The number after `key` on its line of /proc/self/status-like text; -1 when absent.
double FieldAfter(const std::string& text, const char* key) {
  const size_t at = text.find(key);
  if (at == std::string::npos) return -1;
  return std::strtod(text.c_str() + at + std::strlen(key), nullptr);
}

// Entries of /proc/self/fd (the descriptor this walk opens is among them, as in the
// Prometheus clients of other languages).
double CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return -1;
  double n = 0;
  while (const dirent* e = readdir(dir)) {
    if (e->d_name[0] != '.') ++n;
  }
  closedir(dir);
  return n;
}

}  // namespace

uint64_t ResidentBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long size = 0, resident = 0;
  int n = std::fscanf(f, "%lu %lu", &size, &resident);
  std::fclose(f);
  return n == 2 ? static_cast<uint64_t>(resident) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE)) : 0;
}

uint64_t PeakResidentBytes() {
  const double kb = FieldAfter(ReadSmallFile("/proc/self/status"), "\nVmHWM:");
  return kb > 0 ? static_cast<uint64_t>(kb) * 1024 : 0;
}

void ResetPeakResidentBytes() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
}

ProcessStats ReadProcessStats() {
  ProcessStats s;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  // /proc/self/stat: "pid (comm) state ..." where comm may hold spaces and parentheses;
  // the fields after the last ')' start with field 3 (state).
  const std::string stat = ReadSmallFile("/proc/self/stat");
  if (const size_t close = stat.rfind(')'); close != std::string::npos) {
    const char* p = stat.c_str() + close + 1;
    char* end = nullptr;
    double fields[25] = {};  // fields[i] is field i (1-based, as proc(5) numbers them)
    for (int i = 3; i <= 24; ++i) {
      while (*p == ' ') ++p;
      if (i == 3) {  // state, a letter
        while (*p != ' ' && *p != '\0') ++p;
        continue;
      }
      fields[i] = std::strtod(p, &end);
      if (end == p) break;
      p = end;
      if (i == 24 && ticks > 0) {
        s.cpu_seconds = (fields[14] + fields[15]) / ticks;
        s.virtual_bytes = fields[23];
        s.resident_bytes = fields[24] * page;
        const double boot = FieldAfter(ReadSmallFile("/proc/stat"), "\nbtime ");
        if (boot > 0) s.start_time_seconds = boot + fields[22] / ticks;
      }
    }
  }
  const double hwm_kb = FieldAfter(ReadSmallFile("/proc/self/status"), "\nVmHWM:");
  if (hwm_kb >= 0) s.peak_resident_bytes = hwm_kb * 1024;
  s.open_fds = CountOpenFds();
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
    s.max_fds = limit.rlim_cur == RLIM_INFINITY ? -1 : static_cast<double>(limit.rlim_cur);
  }
  return s;
}

}  // namespace voc::metrics
