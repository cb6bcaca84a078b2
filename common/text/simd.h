// SSE2 helpers for the module's byte scans (PII, tokenizer, theme normalisation). Every
// caller keeps a scalar path for other targets and for the last bytes of a text.
#pragma once

#include <cstdint>

#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace voc::text {

#ifdef __SSE2__
// 0xFF in each byte of v within [lo, hi] (unsigned), 0 elsewhere.
inline __m128i ByteInRange(__m128i v, uint8_t lo, uint8_t hi) {
  const __m128i d = _mm_sub_epi8(v, _mm_set1_epi8(static_cast<char>(lo)));
  return _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(static_cast<char>(hi - lo))), d);
}

inline __m128i ByteIs(__m128i v, char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); }
#endif

}  // namespace voc::text
