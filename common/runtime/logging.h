// Logging for every vocstream program: to stderr, so stdout stays for data (vocctl tail
// and score print JSON there), with one line format.
#pragma once

#include <string>

namespace voc::runtime {

// level: trace, debug, info, warn, error.
void InitLogging(const std::string& level);

}  // namespace voc::runtime
