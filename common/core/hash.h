// Stable content hashes (XXH3). Stable across runs, machines and versions: they name
// feedback (feedback_id) and fingerprint its content, so they must never change.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

namespace voc {

// 64-bit hash of one byte string.
uint64_t Hash64(std::string_view bytes);
// 128-bit hash of the parts joined with a separator no part can contain (0x1f), as 32
// lower-case hex digits.
std::string HashHex128(std::initializer_list<std::string_view> parts);

}  // namespace voc
