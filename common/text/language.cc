#include "common/text/language.h"

// CLD2's header uses FILE without including <cstdio>.
#include <cstdio>

#include <cld2/public/compact_lang_det.h>

#include <climits>

namespace voc::text {

LanguageGuess DetectLanguage(std::string_view text, const EnglishEvidence& evidence) {
  LanguageGuess guess;
  const uint32_t words = evidence.words;
  const uint32_t stopwords = evidence.stopwords;
  if (words == 0) return guess;  // emoji, numbers, punctuation: unknown but scoreable
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
