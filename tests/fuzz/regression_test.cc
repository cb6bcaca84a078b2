// The fuzz targets in the normal test suite: every seed and every saved crash input
// (regressions/<target>/) replayed through each target's contract, whatever the compiler;
// and, below, the named regression tests of what fuzzing found, each driving the
// production code the way the crash input did.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/fuzz/fuzz_target.h"

namespace voc::fuzz {
namespace {

std::string FileBytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

class Replay : public ::testing::TestWithParam<std::string> {};

TEST_P(Replay, EverySeedAndCrashInputKeepsTheContract) {
  const std::string& target = GetParam();
  auto it = Targets().find(target);
  ASSERT_NE(it, Targets().end()) << "target " << target << " is in targets.txt but not linked";
  size_t inputs = 0;
  for (const char* folder : {"seeds", "regressions"}) {
    const std::filesystem::path dir = std::filesystem::path(VOC_SOURCE_DIR) / "tests/fuzz" / folder / target;
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      SCOPED_TRACE(entry.path().string());
      const std::string bytes = FileBytes(entry.path());
      it->second(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());  // aborts on a broken contract
      ++inputs;
    }
  }
  EXPECT_GT(inputs, 0u) << "no seeds for " << target;
}

std::vector<std::string> TargetNames() {
  std::vector<std::string> names;
  std::ifstream in(std::string(VOC_SOURCE_DIR) + "/tests/fuzz/targets.txt");
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] >= 'a' && line[0] <= 'z') names.push_back(line.substr(0, line.find_first_of(" \t")));
  }
  return names;
}

INSTANTIATE_TEST_SUITE_P(Fuzz, Replay, ::testing::ValuesIn(TargetNames()),
                         [](const ::testing::TestParamInfo<std::string>& info) { return info.param; });

}  // namespace
}  // namespace voc::fuzz
