#include "common/metrics/build_info.h"

// Set for this file alone by common/metrics/CMakeLists.txt, so a new revision recompiles
// nothing else.
#ifndef VOC_VERSION
#define VOC_VERSION "unknown"
#endif
#ifndef VOC_REVISION
#define VOC_REVISION "unknown"
#endif

namespace voc::metrics {

std::string_view BuildVersion() { return VOC_VERSION; }
std::string_view BuildRevision() { return VOC_REVISION; }

}  // namespace voc::metrics
