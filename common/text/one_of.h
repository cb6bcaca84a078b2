// Whether a word is one of a few listed ones: the context rules of the text modules
// ("order #123", "would be nice", "until the update") compare a word with short lists.
#pragma once

#include <initializer_list>
#include <string_view>

namespace voc::text {

constexpr bool IsOneOf(std::string_view word, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (w == word) return true;
  }
  return false;
}

}  // namespace voc::text
