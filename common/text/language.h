// Language identification: a cheap English check on the scorer's tokens first, CLD2 for
// the rest. CLD2 stays inside language.cc.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace voc::text {

struct LanguageGuess {
  const char* code = "un";  // ISO 639-1, "un" when unknown
  bool english_or_unknown = true;  // whether the English sentiment lexicon applies
};

// What the sentiment tokenizer already counted in the text.
struct EnglishEvidence {
  uint32_t words = 0;          // tokens with a letter
  uint32_t stopwords = 0;      // English function words
  uint32_t lexicon_words = 0;  // words in the English sentiment lexicon
  std::array<uint16_t, 4> foreign_stopwords{};  // Spanish, French, German, Portuguese function words
};

// When function words are frequent the text is English and CLD2 is skipped; CLD2's
// verdict for another language stands only when it is reliable and the text has little
// English in it (CLD2 misreads short English chat: "glad u dig fam!" as Danish). A text
// with at least two Spanish, French, German or Portuguese function words, twice as many
// as English ones, gets a second look before it is taken for English: "La app no
// funciona" is Spanish, however few its words.
// Stateless and thread-safe; accepts invalid UTF-8.
LanguageGuess DetectLanguage(std::string_view text, const EnglishEvidence& evidence);

}  // namespace voc::text
