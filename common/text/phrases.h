// Candidate phrases of a feedback text for emerging-topic detection: the distinct
// normalised phrases of one to three words, in the order they first occur. voc-enrich puts
// them on the overall ("*") theme mention; voc-aggregate counts them per window.
//
// Normalisation: Unicode lower case (utf8proc), typographic apostrophes as "'", words of
// letters and marks (an apostrophe or hyphen between two letters stays inside a word).
// Whitespace separates words; any other character (punctuation, symbols, emoji, bytes that
// are not UTF-8) ends the run of words a phrase may span. Words holding a digit, PII
// placeholders such as [EMAIL], and words over kMaxPhraseWordBytes end a run too, and are
// never part of a phrase. Stop words (English, Spanish, French, German, Portuguese
// function words) and one-letter words may sit inside a phrase ("sign in page") but never
// start or end one, so "the", "in the" and "of the app" are no phrases, "app" is.
//
// Stateless and allocation-light: the caller's vector and its strings are reused.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/core/limits.h"

namespace voc::text {

// At most this many bytes in one word of a phrase (longer: a URL, a hash, a run of keys).
inline constexpr size_t kMaxPhraseWordBytes = 32;
static_assert(3 * kMaxPhraseWordBytes + 2 <= kMaxPhraseBytes, "a three-word phrase fits the shared phrase limit");

// Writes the text's phrases to *out (its first `size()` strings reused; resized to the
// count), at most `max_phrases` (kMaxPhrasesPerFeedback at most), the earliest first: a
// phrase counts where its first word starts, and at each word the one-word phrase
// comes before the two- and three-word ones. Any bytes are accepted.
void ExtractPhrases(std::string_view text, std::vector<std::string>* out,
                    size_t max_phrases = kMaxPhrasesPerFeedback);

// Whether the (lower-case) word is on the stop-word list. Exposed for tests.
bool IsPhraseStopWord(std::string_view word);

}  // namespace voc::text
