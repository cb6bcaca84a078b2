// Limits on ids that more than one stage relies on, in one place so that what voc-ingest
// accepts is exactly what the stages after it can store.
#pragma once

#include <cstddef>

namespace voc {

// voc-aggregate's account keys carry the customer id's length in two bytes, so a longer
// id could not be counted there; voc-ingest refuses it up front, with a reason.
inline constexpr size_t kMaxCustomerIdBytes = 0xffff;

// Candidate phrases of emerging topics on the overall theme mention: voc-enrich writes at
// most this many per feedback, each at most this long (common/text/phrases.h), and
// voc-aggregate sends a mention with more or longer ones to the dead letters.
inline constexpr size_t kMaxPhrasesPerFeedback = 24;
inline constexpr size_t kMaxPhraseBytes = 100;

// Themes a taxonomy may hold, and so the themes one feedback's overall mention may list:
// the taxonomy loader refuses a larger taxonomy, and voc-aggregate sends an overall
// mention listing more to the dead letters.
inline constexpr size_t kMaxThemesPerFeedback = 1024;

}  // namespace voc
