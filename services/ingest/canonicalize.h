// Turns a decoded raw record into the canonical Feedback: required fields checked,
// ranges validated, text normalised (valid UTF-8, NFC, trimmed, capped with a flag),
// and the stable feedback_id computed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "services/ingest/raw_decoder.h"
#include "voc/v1/feedback.pb.h"

namespace voc::ingest {

struct CanonicalOptions {
  size_t max_text_bytes = 16 << 10;             // longer texts are cut, with text_truncated set
  int64_t min_event_time_ms = 946'684'800'000;  // 2000-01-01T00:00:00Z
  int64_t max_future_skew_ms = 86'400'000;      // event times beyond now + this are refused
};

// NOT thread-safe: keeps scratch buffers. One per processing thread.
// The dimensions a raw shape carries, before they are made canonical.
struct RawDimensions {
  std::string_view app_version, platform, locale, country, product;
  std::string_view store;  // a review's app store: the platform when none is given
};

class Canonicalizer {
 public:
  explicit Canonicalizer(CanonicalOptions options) : options_(options) {}
  bool Canonicalize(const RawRecord& raw, int64_t now_ms, voc::v1::Feedback* out, Rejection* why);

 private:
  bool NormalizeText(std::string_view text, voc::v1::Feedback* out, Rejection* why);
  bool Dimensions(const RawDimensions& raw, voc::v1::Feedback* out, Rejection* why);
  bool CheckEventTime(int64_t event_time_ms, const char* field, int64_t now_ms, Rejection* why) const;

  CanonicalOptions options_;
  std::string joined_;      // title and body together
  std::string normalized_;  // joined_ in NFC, when it was not ASCII
};

}  // namespace voc::ingest
