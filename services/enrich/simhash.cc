#include "services/enrich/simhash.h"

#include <array>
#include <cctype>
#include <string>

#include "common/core/hash.h"

namespace voc::enrich {

uint64_t SimHash(std::string_view text, int* words) {
  std::array<int32_t, 64> votes{};
  uint64_t previous = 0;
  char buf[64];
  *words = 0;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !std::isalnum(static_cast<unsigned char>(text[i])) &&
           static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
    }
    size_t len = 0;
    while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) ||
                               static_cast<unsigned char>(text[i]) >= 0x80)) {
      if (len < sizeof buf) buf[len++] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[i])));
      ++i;
    }
    if (len == 0) continue;
    uint64_t h = Hash64(std::string_view(buf, len));
    // Shingles of two words keep some word order in the fingerprint.
    uint64_t feature = *words == 0 ? h : h ^ (previous * 0x9E3779B97F4A7C15ull);
    previous = h;
    ++*words;
    for (int b = 0; b < 64; ++b) votes[b] += (feature >> b) & 1 ? 1 : -1;
  }
  uint64_t out = 0;
  for (int b = 0; b < 64; ++b) {
    if (votes[b] > 0) out |= uint64_t{1} << b;
  }
  return out;
}

}  // namespace voc::enrich
