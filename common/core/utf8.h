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

// Whether s is UTF-8 as a proto3 string must be (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF): bytes read back from state are checked with it
// before they go into a topic's string field, which no consumer could parse otherwise.
inline bool IsValidUtf8(std::string_view s) {
  const auto at = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const auto cont = [&](size_t k) { return (at(k) & 0xC0) == 0x80; };
  for (size_t i = 0; i < s.size();) {
    const unsigned c = at(i);
    if (c < 0x80) {
      i += 1;
    } else if (c >= 0xC2 && c <= 0xDF && cont(i + 1)) {
      i += 2;
    } else if (c >= 0xE0 && c <= 0xEF && cont(i + 1) && cont(i + 2) && (c != 0xE0 || at(i + 1) >= 0xA0) &&
               (c != 0xED || at(i + 1) < 0xA0)) {
      i += 3;
    } else if (c >= 0xF0 && c <= 0xF4 && cont(i + 1) && cont(i + 2) && cont(i + 3) && (c != 0xF0 || at(i + 1) >= 0x90) &&
               (c != 0xF4 || at(i + 1) < 0x90)) {
      i += 4;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace voc
