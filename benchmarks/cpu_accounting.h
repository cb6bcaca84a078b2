// CPU accounting for the benchmarks that run the fused pipeline (pipeline_bench,
// soak_bench): the whole process's CPU time, and its threads' by what started them.
// CPU time, unlike wall time, is little disturbed by whatever else the machine runs.
#pragma once

#include <chrono>
#include <string>

namespace voc::bench {

// CPU time of every thread of this process so far.
std::chrono::nanoseconds ProcessCpuTime();

// CPU seconds so far of a process's threads by name, from /proc (10 ms ticks):
// librdkafka's client threads (rdk:broker*, rdk:main, ...), the embedded broker's
// (rdk:mock) and RocksDB's background flushes and compactions (rocksdb:*), which the
// stages' own thread CPU times leave out. Of this process, or of another one (pid).
// Threads that have ended are counted nowhere.
struct ThreadGroupsCpu {
  double clients = 0, broker = 0, rocksdb = 0;
};
ThreadGroupsCpu ReadThreadGroupsCpu(int pid = 0);

// CPU seconds (user and system) a /proc/.../stat line reports; 0 when it cannot be read.
double StatCpuSeconds(const std::string& stat);

}  // namespace voc::bench
