// UTF-8 helpers shared by every stage that cuts text.
#pragma once

#include <cstddef>
#include <string_view>

namespace voc {

// The length of the longest prefix of s of at most max bytes that ends on a code point
// boundary, so a cut never leaves half a character (and an invalid protobuf string).
inline size_t Utf8Prefix(std::string_view s, size_t max) {
  if (s.size() <= max) return s.size();
  size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return n;
}

}  // namespace voc
