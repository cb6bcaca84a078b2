// Graceful shutdown: SIGTERM and SIGINT set a stop flag that the processing loops watch.
#pragma once

#include <atomic>
#include <thread>

namespace voc::runtime {

// Blocks SIGTERM/SIGINT in this thread (and so in every thread created after) and
// waits for them on a thread of its own. Create it first thing in main.
class StopSignal {
 public:
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  const std::atomic<bool>& flag() const { return stop_; }
  void Request() { stop_.store(true); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<bool> waiter_done_{false};  // the waiter has returned from sigwait
  std::thread waiter_;
};

}  // namespace voc::runtime
