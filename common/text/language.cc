#include "common/text/language.h"

// CLD2's header uses FILE without including <cstdio>.
#include <cstdio>

#include <cld2/public/compact_lang_det.h>

#include <climits>
#include <string_view>

namespace voc::text {

LanguageGuess DetectLanguage(std::string_view text, const EnglishEvidence& evidence) {
  LanguageGuess guess;
  const uint32_t words = evidence.words;
  const uint32_t stopwords = evidence.stopwords;
  if (words == 0) return guess;  // emoji, numbers, punctuation: unknown but scoreable
  // The second look: another language's function words outnumber English ones. CLD2
  // decides when it is sure of a language other than English; else the function words do.
  static constexpr const char* kForeign[4] = {"es", "fr", "de", "pt"};
  size_t best = 0;
  for (size_t k = 1; k < 4; ++k) {
    if (evidence.foreign_stopwords[k] > evidence.foreign_stopwords[best]) best = k;
  }
  const uint16_t foreign = evidence.foreign_stopwords[best];
  // Short texts share "no", "me", "a" with English: three of the other language's words
  // that outnumber English ones are enough ("La app no me deja entrar").
  if ((foreign >= 2 && foreign >= 2 * stopwords) || (foreign >= 3 && foreign > stopwords) ||
      (foreign == 1 && stopwords == 0)) {
    bool reliable = false;
    int valid_prefix = 0;
    const int len = text.size() > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(text.size());
    const CLD2::Language lang = CLD2::DetectLanguageCheckUTF8(text.data(), len, true, &reliable, &valid_prefix);
    const char* code = lang == CLD2::UNKNOWN_LANGUAGE ? "un" : CLD2::LanguageCode(lang);
    const bool ours = std::string_view(code) == kForeign[0] || std::string_view(code) == kForeign[1] ||
                      std::string_view(code) == kForeign[2] || std::string_view(code) == kForeign[3];
    // One function word is a hint only: CLD2 must name one of the four languages.
    if (foreign >= 2 || ours) {
      guess.english_or_unknown = false;
      guess.code = reliable && lang != CLD2::UNKNOWN_LANGUAGE && lang != CLD2::ENGLISH ? code : kForeign[best];
      return guess;
    }
  }
  // At least 30% English function words (and a few of them) is English in practice; it
  // spares CLD2 on most feedback.
  if (words >= 4 && stopwords >= 2 && stopwords * 10 >= words * 3) {
    guess.code = "en";
    return guess;
  }
  // With some function words and a fifth of the words English (function or lexicon
  // words), every verdict below is "en" whatever CLD2 says: spare the call.
  if (stopwords > 0 && (stopwords + evidence.lexicon_words) * 5 >= words) {
    guess.code = "en";
    return guess;
  }
  bool reliable = false;
  int valid_prefix = 0;
  const int len = text.size() > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(text.size());
  CLD2::Language lang = CLD2::DetectLanguageCheckUTF8(text.data(), len, true, &reliable, &valid_prefix);
  if (valid_prefix < len && valid_prefix > 0) {
    // Invalid UTF-8 further on: judge the valid prefix.
    lang = CLD2::DetectLanguageCheckUTF8(text.data(), valid_prefix, true, &reliable, &valid_prefix);
  }
  if (lang == CLD2::UNKNOWN_LANGUAGE || lang == CLD2::ENGLISH || !reliable) {
    // Short English texts often come back unreliable: score them rather than drop them.
    guess.code = lang == CLD2::UNKNOWN_LANGUAGE && stopwords == 0 ? "un" : "en";
    return guess;
  }
  if ((stopwords + evidence.lexicon_words) * 5 >= words) {
    guess.code = "en";
    return guess;
  }
  guess.code = CLD2::LanguageCode(lang);
  guess.english_or_unknown = false;
  return guess;
}

}  // namespace voc::text
