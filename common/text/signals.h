// Feedback type (bug report, feature request, praise, question, complaint) and urgency
// (outage, data loss, security, legal threat, churn threat) from cue phrases. The cues
// are compiled into the theme matcher's Hyperscan database, so one scan finds both.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/text/analyzer.h"

namespace voc::text {

enum class Signal : uint8_t {
  kBug,
  kFeatureRequest,
  kQuestion,
  kPraise,
  kComplaint,
  kOutage,
  kDataLoss,
  kSecurity,
  kLegalThreat,
  kChurnThreat,
  kAdvice,  // advice to the reader ("you can", "make sure", "try ..."): no report of its own
  kAttempt,  // a fix the writer tried ("I tried", "your solution didn't work"): no new bug
  kMoneyBack,  // "I want my money back": a demand, not a feature wanted back
  kCount,
};

struct SignalCue {
  Signal signal;
  const char* expression;  // phrase syntax of taxonomy.h, or a regex when is_regex
  bool is_regex;
  // A phrase with alternatives, "(?:isn't|is not) (?:loading|opening)", and '?' after a
  // word or group: expanded to plain phrases when compiled, so it takes Hyperscan's cheap
  // literal path instead of the regex database.
  bool alternatives = false;
  uint8_t language = 0;  // kPhraseLanguages index (taxonomy.h); other languages' cues are phrases
  // A verified cue: `expression` (with `alternatives`) names anchor words that every match
  // holds, and verify(text, end) checks the whole construction around an anchor that ends
  // at byte `end` of the text, with the regex semantics it documents. For constructions
  // whose regex would keep Hyperscan's engines running after every occurrence of a common
  // word ("not"): the anchors take the literal path, and the check runs only where one
  // occurs.
  bool (*verify)(std::string_view text, size_t end) = nullptr;
};

// The phrases an `alternatives` expression stands for, spaces collapsed; empty when it
// uses anything but (?:a|b), '?' and spaces.
std::vector<std::string> ExpandAlternatives(std::string_view expression);

// The built-in cues (English).
std::span<const SignalCue> SignalCues();

// Exposed for tests: whether a negated-verb bug construction ("won't open", "VLC cannot
// find") holds around the negation that ends at `end` of the text, exactly where the two
// regexes it replaced matched. The cue also leaves out warnings to other customers at a
// sentence's start ("Don't download").
bool BugAfterNegation(std::string_view text, size_t end);

struct SignalCounts {
  // 1 when any cue of the signal occurs, else 0 (a signal's cues once shared one
  // single-match Hyperscan id; the type rules were tuned on that).
  uint16_t count[static_cast<size_t>(Signal::kCount)] = {};
  uint16_t& operator[](Signal s) { return count[static_cast<size_t>(s)]; }
  uint16_t operator[](Signal s) const { return count[static_cast<size_t>(s)]; }
};

// What the type decision needs of the text besides its cues; the tokenizer counted it.
struct TextFacts {
  bool question_mark = false;
  uint32_t words = 0;          // tokens with a letter
  bool first_person = false;   // "I", "me", "my", "we", "our"
  bool second_person = false;  // "you", "your"
};

// Decides the type from cue counts, the overall sentiment and facts of the text.
FeedbackType ClassifyFeedback(const SignalCounts& cues, double compound, bool sentiment_scored, const TextFacts& facts);
uint32_t UrgencyFlags(const SignalCounts& cues);

}  // namespace voc::text
