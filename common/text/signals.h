// Feedback type (bug report, feature request, praise, question, complaint) and urgency
// (outage, data loss, security, legal threat, churn threat) from cue phrases. The cues
// are compiled into the theme matcher's Hyperscan database, so one scan finds both.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

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
  kCount,
};

struct SignalCue {
  Signal signal;
  const char* expression;  // phrase syntax of taxonomy.h, or a regex when is_regex
  bool is_regex;
};

// The built-in cues (English).
std::span<const SignalCue> SignalCues();

struct SignalCounts {
  // 1 when any cue of the signal occurs, else 0 (a signal's cues once shared one
  // single-match Hyperscan id; the type rules were tuned on that).
  uint16_t count[static_cast<size_t>(Signal::kCount)] = {};
  uint16_t& operator[](Signal s) { return count[static_cast<size_t>(s)]; }
  uint16_t operator[](Signal s) const { return count[static_cast<size_t>(s)]; }
};

// Decides the type from cue counts, the overall sentiment and the text's punctuation.
FeedbackType ClassifyFeedback(const SignalCounts& cues, double compound, bool sentiment_scored, std::string_view text);
uint32_t UrgencyFlags(const SignalCounts& cues);

}  // namespace voc::text
