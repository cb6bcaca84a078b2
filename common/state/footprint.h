// What a decoded value holds on the heap beyond its own object: what the typed stores'
// caches count against their byte budget (Codec<V>::Footprint). Decoded values are
// several times their encoded size (string and vector headers, spare capacity, derived
// fields), so counting encoded bytes lets a cache hold several times its budget.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace voc::state {

// A string's heap block; none while it fits the small-string buffer.
inline size_t HeapBytes(const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; }

// A vector's heap block (its elements' own heap blocks are the caller's to add).
template <typename T>
size_t HeapBytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}

// A vector of strings, with each string's heap block.
inline size_t HeapBytes(const std::vector<std::string>& v) {
  size_t bytes = v.capacity() * sizeof(std::string);
  for (const auto& s : v) bytes += HeapBytes(s);
  return bytes;
}

}  // namespace voc::state
