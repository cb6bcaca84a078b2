// A service started as a real child process, for the crash and state-move tests (kill -9
// means kill -9) and soak_bench --services. Needs VOC_BINARY_DIR, the build folder.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

extern char** environ;

namespace voc::test {

// The path of a service's executable in this build ("voc-enrich" -> .../services/enrich/voc-enrich).
inline std::string ServiceBinary(const std::string& name) {
  return std::string(VOC_BINARY_DIR) + "/services/" + name.substr(4) + "/" + name;
}

class ChildProcess {
 public:
  ChildProcess(std::string binary, std::vector<std::string> args, std::string log_path)
      : binary_(std::move(binary)), args_(std::move(args)), log_path_(std::move(log_path)) {}
  ~ChildProcess() { Kill(); }

  bool Start() {
    std::vector<char*> argv;
    argv.push_back(binary_.data());
    for (auto& a : args_) argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    // The test blocks SIGTERM/SIGINT in its own threads; the child must not inherit that.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    int rc = posix_spawn(&pid_, binary_.c_str(), &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    return rc == 0;
  }

  // SIGKILL: no flush, no checkpoint, no goodbye to the group.
  pid_t pid() const { return pid_; }  // -1 when not running

  void Kill() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  // Whether the process has exited on its own; then *exit_code is its exit code (-1 when
  // a signal ended it).
  bool Exited(int* exit_code) {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) != pid_) return false;
    pid_ = -1;
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return true;
  }

  // SIGTERM and wait; the exit code, or -1 when it died of a signal.
  int Terminate() {
    if (pid_ <= 0) return -1;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

 private:
  std::string binary_;
  std::vector<std::string> args_;
  std::string log_path_;
  pid_t pid_ = -1;
};

}  // namespace voc::test
