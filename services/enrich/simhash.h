// SimHash of a text's words, for near-duplicate detection: texts that differ in a few
// words have fingerprints a few bits apart.
#pragma once

#include <bit>
#include <cstdint>
#include <string_view>

namespace voc::enrich {

// 64-bit SimHash over lower-cased word 2-shingles; `words` gets the word count.
uint64_t SimHash(std::string_view text, int* words);

inline int HammingDistance(uint64_t a, uint64_t b) { return std::popcount(a ^ b); }

}  // namespace voc::enrich
