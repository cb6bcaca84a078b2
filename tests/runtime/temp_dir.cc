#include "tests/runtime/temp_dir.h"

#include <cstdlib>
#include <filesystem>
#include <stdexcept>

namespace voc::test {

TempDir::TempDir(const std::string& parent) {
  const char* base = std::getenv("TMPDIR");
  std::string pattern =
      (!parent.empty() ? parent : std::string(base != nullptr && *base != '\0' ? base : "/tmp")) + "/voc-test-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

}  // namespace voc::test
