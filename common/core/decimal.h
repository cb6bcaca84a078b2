// Decimal integers appended to a string in place: no temporary string per number on the
// hot paths that build keys and content from numbers.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>

namespace voc {

inline void AppendDecimal(std::string* out, int64_t v) {
  char buf[24];
  out->append(buf, std::to_chars(buf, buf + sizeof buf, v).ptr);
}

}  // namespace voc
