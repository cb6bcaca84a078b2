#include "services/enrich/simhash.h"

#include <array>

#include "common/core/hash.h"

namespace voc::enrich {
namespace {

// Word bytes: ASCII letters and digits, and every byte of a multi-byte character; each
// mapped to its lower case (ASCII only), 0 for a byte between words.
constexpr std::array<char, 256> kWordByte = [] {
  std::array<char, 256> t{};
  for (int c = 0; c < 256; ++c) {
    if (c >= 'A' && c <= 'Z') t[c] = static_cast<char>(c - 'A' + 'a');
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80) t[c] = static_cast<char>(c);
  }
  return t;
}();

}  // namespace

uint64_t SimHash(std::string_view text, int* words) {
  // How many features set each bit, bit-sliced: plane i holds bit i of all 64 counts, so
  // adding a feature is a short ripple carry instead of 64 separate votes.
  std::array<uint64_t, 32> planes{};
  size_t planes_used = 0;
  uint64_t previous = 0;
  char buf[64];
  *words = 0;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && kWordByte[static_cast<unsigned char>(text[i])] == 0) ++i;
    size_t len = 0;
    while (i < text.size()) {
      const char c = kWordByte[static_cast<unsigned char>(text[i])];
      if (c == 0) break;
      if (len < sizeof buf) buf[len++] = c;
      ++i;
    }
    if (len == 0) continue;
    const uint64_t h = Hash64(std::string_view(buf, len));
    // Shingles of two words keep some word order in the fingerprint.
    uint64_t carry = *words == 0 ? h : h ^ (previous * 0x9E3779B97F4A7C15ull);
    previous = h;
    ++*words;
    for (size_t p = 0; carry != 0; ++p) {
      const uint64_t next = planes[p] & carry;
      planes[p] ^= carry;
      carry = next;
      if (p >= planes_used) planes_used = p + 1;
    }
  }
  // A bit is set when more features set it than not: 2 * count > words.
  uint64_t out = 0;
  for (int b = 0; b < 64; ++b) {
    uint64_t count = 0;
    for (size_t p = 0; p < planes_used; ++p) count |= ((planes[p] >> b) & 1) << p;
    if (2 * count > static_cast<uint64_t>(*words)) out |= uint64_t{1} << b;
  }
  return out;
}

}  // namespace voc::enrich
