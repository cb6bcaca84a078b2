// What was built: the project's version (CMake's PROJECT_VERSION) and the source
// revision (`git describe` when CMake configured the build; "unknown" without git).
// Published as voc_build_info.
#pragma once

#include <string_view>

namespace voc::metrics {

std::string_view BuildVersion();
std::string_view BuildRevision();

}  // namespace voc::metrics
