// A minimal JSON string escaper for writing JSON lines (analysis results, generated
// feedback, log lines) without a JSON library on the hot path.
#pragma once

#include <string>
#include <string_view>

namespace voc {

// Appends `s` as a quoted JSON string. Control characters are escaped and invalid UTF-8
// becomes U+FFFD, so the output is always valid JSON.
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace voc
