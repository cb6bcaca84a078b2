// Language identification: a cheap English check on the scorer's tokens first, CLD2 for
// the rest. CLD2 stays inside language.cc.
#pragma once

#include <cstdint>
#include <string_view>

namespace voc::text {

struct LanguageGuess {
  const char* code = "un";  // ISO 639-1, "un" when unknown
  bool english_or_unknown = true;  // whether the English sentiment lexicon applies
};

// `words` and `stopwords` are the scorer's counts of word tokens and English function
// words in `text`: when function words are frequent the text is English and CLD2 is
// skipped. Stateless and thread-safe; accepts invalid UTF-8.
LanguageGuess DetectLanguage(std::string_view text, uint32_t words, uint32_t stopwords);

}  // namespace voc::text
