// A progress bar on stderr for long vocctl commands; silent when disabled.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace voc::vocctl {

class Progress {
 public:
  Progress(std::string label, uint64_t total, bool enabled)
      : label_(std::move(label)), total_(total), enabled_(enabled), start_(std::chrono::steady_clock::now()) {}
  // done in the unit of total; records for the rate. Redraws at most 10 times a second.
  void Update(uint64_t done, uint64_t records);
  void Finish(uint64_t records);

 private:
  void Draw(uint64_t done, uint64_t records);
  std::string label_;
  uint64_t total_;
  bool enabled_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_{};
};

}  // namespace voc::vocctl
