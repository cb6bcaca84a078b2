#include "tools/vocctl/progress.h"

#include <cstdio>

namespace voc::vocctl {

void Progress::Update(uint64_t done, uint64_t records) {
  auto now = std::chrono::steady_clock::now();
  if (!enabled_ || now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw(done, records);
}

void Progress::Draw(uint64_t done, uint64_t records) {
  const double fraction = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  const int width = 30;
  const int filled = static_cast<int>(fraction * width);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  std::fprintf(stderr, "\r%s [%.*s%*s] %3.0f%%  %llu records  %.0f/s ", label_.c_str(), filled,
               "##############################", width - filled, "", fraction * 100,
               static_cast<unsigned long long>(records), secs > 0 ? static_cast<double>(records) / secs : 0.0);
  std::fflush(stderr);
}

void Progress::Finish(uint64_t records) {
  if (enabled_) {
    Draw(total_, records);
    std::fprintf(stderr, "\n");
  }
  std::fprintf(stderr, "%s: %llu records acknowledged by the broker\n", label_.c_str(),
               static_cast<unsigned long long>(records));
}

}  // namespace voc::vocctl
