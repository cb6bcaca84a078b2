#include "common/core/hash.h"

#include <xxhash.h>

namespace voc {

uint64_t Hash64(std::string_view bytes) { return XXH3_64bits(bytes.data(), bytes.size()); }

std::string HashHex128(std::initializer_list<std::string_view> parts) {
  std::string joined;
  for (std::string_view part : parts) joined.append(part).push_back('\x1f');
  XXH128_hash_t h = XXH3_128bits(joined.data(), joined.size());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(32, '0');
  for (int i = 0; i < 16; ++i) {
    uint64_t word = i < 8 ? h.high64 : h.low64;
    int shift = (7 - (i % 8)) * 8;
    auto byte = static_cast<uint8_t>(word >> shift);
    out[2 * i] = kHex[byte >> 4];
    out[2 * i + 1] = kHex[byte & 0xf];
  }
  return out;
}

}  // namespace voc
