#include "benchmarks/cpu_accounting.h"

#include <time.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>

namespace voc::bench {

std::chrono::nanoseconds ProcessCpuTime() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

ThreadGroupsCpu ReadThreadGroupsCpu() {
  ThreadGroupsCpu out;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::error_code ec;  // a thread may end while the folder is read
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task", ec)) {
    std::ifstream comm_file(task.path() / "comm");
    std::string comm;
    std::getline(comm_file, comm);
    double* group = comm == "rdk:mock"              ? &out.broker
                    : comm.starts_with("rdk:")      ? &out.clients
                    : comm.starts_with("rocksdb:")  ? &out.rocksdb
                                                    : nullptr;
    if (group == nullptr) continue;
    std::ifstream stat_file(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
    // Fields after the parenthesised name: state is the 3rd field, utime and stime the 14th and 15th.
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i >= 14) ticks += std::strtod(field.c_str(), nullptr);
    }
    *group += ticks / tick;
  }
  return out;
}

}  // namespace voc::bench
