// A temporary folder for a test. It lives with the processor harness in a library that
// needs no broker (voc_processor_harness), which the fuzz targets link; test_util.h
// includes it for every other test.
#pragma once

#include <string>

namespace voc::test {

// A fresh folder under parent (by default $TMPDIR, or /tmp), removed with everything in
// it on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& parent = "");
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace voc::test
