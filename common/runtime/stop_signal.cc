#include "common/runtime/stop_signal.h"

#include <pthread.h>
#include <signal.h>

namespace voc::runtime {

StopSignal::StopSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGUSR1);  // used only to wake the waiter at destruction
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  waiter_ = std::thread([this, set] {
    int sig = 0;
    sigwait(&set, &sig);
    stop_.store(true);
    waiter_done_.store(true);
  });
}

StopSignal::~StopSignal() {
  if (!waiter_done_.load()) pthread_kill(waiter_.native_handle(), SIGUSR1);
  waiter_.join();
}

}  // namespace voc::runtime
