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

double StatCpuSeconds(const std::string& stat) {
  // Fields after the parenthesised name: state is the 3rd field, utime and stime the 14th and 15th.
  const auto close = stat.rfind(')');
  if (close == std::string::npos || close + 2 > stat.size()) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i >= 14) ticks += std::strtod(field.c_str(), nullptr);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

ThreadGroupsCpu ReadThreadGroupsCpu(int pid) {
  ThreadGroupsCpu out;
  std::error_code ec;  // a thread may end while the folder is read
  const std::filesystem::path tasks =
      std::filesystem::path("/proc") / (pid > 0 ? std::to_string(pid) : std::string("self")) / "task";
  for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream comm_file(task.path() / "comm");
    std::string comm;
    std::getline(comm_file, comm);
    double* group = comm == "rdk:mock"              ? &out.broker
                    : comm.starts_with("rdk:")      ? &out.clients
                    : comm.starts_with("rocksdb:")  ? &out.rocksdb
                                                    : nullptr;
    if (group == nullptr) continue;
    std::ifstream stat_file(task.path() / "stat");
    *group += StatCpuSeconds(std::string((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>()));
  }
  return out;
}

}  // namespace voc::bench
