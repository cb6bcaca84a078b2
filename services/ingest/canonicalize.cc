#include "services/ingest/canonicalize.h"

#include <utf8proc.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "common/core/hash.h"
#include "common/core/limits.h"
#include "common/core/utf8.h"

namespace voc::ingest {
namespace {

bool Reject(Rejection* why, const char* reason, std::string detail) {
  why->reason = reason;
  why->detail = std::move(detail);
  return false;
}

bool Missing(Rejection* why, const char* field) {
  return Reject(why, "MISSING_FIELD", std::string("required field '") + field + "' is missing or empty");
}

bool IsAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

bool ValidUtf8(std::string_view s) {
  const auto* p = reinterpret_cast<const utf8proc_uint8_t*>(s.data());
  utf8proc_ssize_t left = static_cast<utf8proc_ssize_t>(s.size());
  while (left > 0) {
    utf8proc_int32_t cp;
    utf8proc_ssize_t n = utf8proc_iterate(p, left, &cp);
    if (n < 0) return false;
    p += n;
    left -= n;
  }
  return true;
}

// The length of the white space code point at s[i], 0 when there is none there: ASCII
// white space and the other Unicode White_Space characters (no-break, en, em, ideographic
// spaces, line and paragraph separators...), which exports pad fields with too.
size_t SpaceAt(std::string_view s, size_t i) {
  const auto at = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  const unsigned c = at(0);
  if (c == ' ' || (c >= 0x09 && c <= 0x0D)) return 1;
  if (c == 0xC2) return at(1) == 0x85 || at(1) == 0xA0 ? 2 : 0;  // U+0085, U+00A0
  if (c == 0xE1) return at(1) == 0x9A && at(2) == 0x80 ? 3 : 0;  // U+1680
  if (c == 0xE3) return at(1) == 0x80 && at(2) == 0x80 ? 3 : 0;  // U+3000
  if (c != 0xE2) return 0;
  const unsigned c1 = at(1), c2 = at(2);
  if (c1 == 0x80) {  // U+2000-200A, U+2028, U+2029, U+202F
    return (c2 >= 0x80 && c2 <= 0x8A) || c2 == 0xA8 || c2 == 0xA9 || c2 == 0xAF ? 3 : 0;
  }
  return c1 == 0x81 && c2 == 0x9F ? 3 : 0;  // U+205F
}

// Whether s is empty or white space only.
bool IsBlank(std::string_view s) {
  for (size_t i = 0, n = 0; i < s.size(); i += n) {
    if ((n = SpaceAt(s, i)) == 0) return false;
  }
  return true;
}

// s without white space (as SpaceAt sees it) at either end; s is valid UTF-8.
std::string_view Trim(std::string_view s) {
  size_t b = 0;
  for (size_t n; b < s.size() && (n = SpaceAt(s, b)) > 0;) b += n;
  size_t e = s.size();
  while (e > b) {
    size_t n = 0;
    for (size_t len = 1; len <= 3 && len <= e - b && n == 0; ++len) {
      if (SpaceAt(s, e - len) == len) n = len;
    }
    if (n == 0) break;
    e -= n;
  }
  return s.substr(b, e - b);
}

constexpr size_t kMaxDimensionBytes = 64;

bool InvalidDimension(Rejection* why, const char* field, std::string_view value, const char* rule) {
  // Cut on a character boundary: the reason goes out in a dead letter's UTF-8 header.
  const size_t shown = Utf8Prefix(value, kMaxDimensionBytes);
  return Reject(why, "INVALID_FIELD",
                std::string("field '") + field + "' = \"" + std::string(value.substr(0, shown)) +
                    (shown < value.size() ? "...\"" : "\"") + " " + rule);
}

// A free-form label (app version, product): trimmed, at most 64 bytes, no control characters.
bool Label(std::string_view value, const char* field, std::string* out, Rejection* why) {
  value = Trim(value);
  if (value.size() > kMaxDimensionBytes) return InvalidDimension(why, field, value, "is longer than 64 bytes");
  for (unsigned char c : value) {
    if (c < 0x20 || c == 0x7f) return InvalidDimension(why, field, value, "holds a control character");
  }
  out->assign(value);
  return true;
}

// A token (platform): lower case letters, digits, '.', '_' and '-'.
bool Token(std::string_view value, const char* field, std::string* out, Rejection* why) {
  value = Trim(value);
  if (value.size() > kMaxDimensionBytes) return InvalidDimension(why, field, value, "is longer than 64 bytes");
  out->clear();
  for (char c : value) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!std::isalnum(static_cast<unsigned char>(lower)) && lower != '.' && lower != '_' && lower != '-') {
      return InvalidDimension(why, field, value, "may hold only letters, digits, '.', '_' and '-'");
    }
    out->push_back(lower);
  }
  return true;
}

// A BCP 47 language tag as sources send it ("en-US", "en_us", "zh-Hant-TW"): the
// language in lower case, a script in title case, a region in upper case.
bool Locale(std::string_view value, std::string* out, std::string* region, Rejection* why) {
  value = Trim(value);
  out->clear();
  region->clear();
  if (value.empty()) return true;
  if (value.size() > kMaxDimensionBytes) return InvalidDimension(why, "locale", value, "is longer than 64 bytes");
  size_t index = 0;
  for (size_t begin = 0; begin <= value.size(); ++index) {
    size_t end = value.find_first_of("-_", begin);
    if (end == std::string_view::npos) end = value.size();
    std::string part(value.substr(begin, end - begin));
    const bool alpha = std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isalpha(c); });
    const bool alnum = std::all_of(part.begin(), part.end(), [](unsigned char c) { return std::isalnum(c); });
    if (part.empty() || !alnum || part.size() > 8 || (index == 0 && (!alpha || part.size() < 2 || part.size() > 3))) {
      return InvalidDimension(why, "locale", value, "is not a language tag such as \"en-US\"");
    }
    for (auto& c : part) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (index > 0 && part.size() == 4 && alpha) part[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(part[0])));
    if (index > 0 && (part.size() == 2 && alpha)) {
      for (auto& c : part) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (region->empty()) *region = part;
    }
    if (index > 0) *out += '-';
    *out += part;
    begin = end + 1;
  }
  return true;
}

bool Country(std::string_view value, std::string* out, Rejection* why) {
  value = Trim(value);
  out->clear();
  if (value.empty()) return true;
  if (value.size() != 2 || !std::isalpha(static_cast<unsigned char>(value[0])) ||
      !std::isalpha(static_cast<unsigned char>(value[1]))) {
    return InvalidDimension(why, "country", value, "is not an ISO 3166-1 alpha-2 code such as \"US\"");
  }
  for (char c : value) out->push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  return true;
}

// The platform an app store implies when the review does not say.
std::string_view StorePlatform(std::string_view store) {
  if (store == "appstore" || store == "app_store" || store == "apple") return "ios";
  if (store == "googleplay" || store == "google_play" || store == "play") return "android";
  return {};
}

}  // namespace

bool Canonicalizer::Dimensions(const RawDimensions& raw, voc::v1::Feedback* out, Rejection* why) {
  auto* d = out->mutable_dimensions();
  std::string region;
  if (!Label(raw.app_version, "app_version", d->mutable_app_version(), why) ||
      !Label(raw.product, "product", d->mutable_product(), why) ||
      !Token(raw.platform, "platform", d->mutable_platform(), why) ||
      !Locale(raw.locale, d->mutable_locale(), &region, why) || !Country(raw.country, d->mutable_country(), why)) {
    return false;
  }
  if (d->platform().empty()) d->set_platform(std::string(StorePlatform(raw.store)));
  if (d->country().empty()) d->set_country(region);
  if (d->ByteSizeLong() == 0) out->clear_dimensions();
  return true;
}

bool Canonicalizer::NormalizeText(std::string_view text, voc::v1::Feedback* out, Rejection* why) {
  if (!IsAscii(text)) {
    if (!ValidUtf8(text)) return Reject(why, "INVALID_UTF8", "the text is not valid UTF-8");
    // NFC so that the same words always hash, match and count the same.
    utf8proc_uint8_t* nfc = nullptr;
    utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                      static_cast<utf8proc_ssize_t>(text.size()), &nfc,
                                      static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
    if (n < 0) return Reject(why, "INVALID_UTF8", "the text cannot be normalised to NFC");
    normalized_.assign(reinterpret_cast<const char*>(nfc), static_cast<size_t>(n));
    std::free(nfc);
    text = normalized_;
  }
  text = Trim(text);
  if (text.empty()) return Missing(why, "text");
  size_t keep = Utf8Prefix(text, options_.max_text_bytes);
  out->set_text(text.data(), keep);
  out->set_text_truncated(keep < text.size());
  return true;
}

bool Canonicalizer::CheckEventTime(int64_t t, const char* field, int64_t now_ms, Rejection* why) const {
  if (t == 0) return Missing(why, field);
  if (t < options_.min_event_time_ms || t > now_ms + options_.max_future_skew_ms) {
    return Reject(why, "TIMESTAMP_OUT_OF_RANGE",
                  std::string("field '") + field + "' = " + std::to_string(t) +
                      " ms is before 2000-01-01 or too far in the future");
  }
  return true;
}

bool Canonicalizer::Canonicalize(const RawRecord& raw, int64_t now_ms, voc::v1::Feedback* out, Rejection* why) {
  out->Clear();
  out->set_schema_version(1);
  out->set_channel(raw.channel);
  std::string_view source, external_id, customer;
  uint32_t revision = 0;
  int64_t event_time = 0;
  const char* time_field = "";
  RawDimensions dimensions;
  joined_.clear();
  switch (raw.channel) {
    case voc::v1::CHANNEL_TICKET: {
      const auto& t = raw.ticket;
      if (t.ticket_id().empty()) return Missing(why, "ticket_id");
      if (t.customer_id().empty()) return Missing(why, "customer_id");
      if (t.subject().empty() && t.body().empty()) return Missing(why, "body");
      source = t.source_system();
      external_id = t.ticket_id();
      customer = t.customer_id();
      revision = t.revision();
      event_time = t.created_at_ms();
      time_field = "created_at";
      joined_ = t.subject();
      if (!t.subject().empty() && !t.body().empty()) joined_ += "\n\n";
      joined_ += t.body();
      auto* d = out->mutable_ticket();
      d->set_priority(t.priority());
      d->set_status(t.status());
      d->set_product(t.product());
      dimensions = {t.app_version(), t.platform(), t.locale(), t.country(), t.product(), {}};
      break;
    }
    case voc::v1::CHANNEL_SURVEY: {
      const auto& s = raw.survey;
      if (s.response_id().empty()) return Missing(why, "response_id");
      if (s.customer_id().empty()) return Missing(why, "customer_id");
      // A comment of white space only says nothing: the answer reads as one without a comment.
      const bool has_comment = !IsBlank(s.comment());
      if (!has_comment && !s.has_nps() && !s.has_csat()) return Missing(why, "comment");
      if (s.has_nps() && (s.nps() < 0 || s.nps() > 10)) {
        return Reject(why, "INVALID_FIELD", "field 'nps' = " + std::to_string(s.nps()) + " must be from 0 to 10");
      }
      if (s.has_csat() && (s.csat() < 1 || s.csat() > 5)) {
        return Reject(why, "INVALID_FIELD", "field 'csat' = " + std::to_string(s.csat()) + " must be from 1 to 5");
      }
      source = s.source_system();
      external_id = s.response_id();
      customer = s.customer_id();
      revision = s.revision();
      event_time = s.submitted_at_ms();
      time_field = "submitted_at";
      if (has_comment) joined_ = s.comment();
      auto* d = out->mutable_survey();
      d->set_survey_id(s.survey_id());
      if (s.has_nps()) d->set_nps(s.nps());
      if (s.has_csat()) d->set_csat(s.csat());
      dimensions = {s.app_version(), s.platform(), s.locale(), s.country(), s.product(), {}};
      break;
    }
    case voc::v1::CHANNEL_REVIEW: {
      const auto& r = raw.review;
      if (r.review_id().empty()) return Missing(why, "review_id");
      if (r.title().empty() && r.body().empty()) return Missing(why, "body");
      if (r.rating() < 1 || r.rating() > 5) {
        return Reject(why, "INVALID_FIELD", "field 'rating' = " + std::to_string(r.rating()) + " must be from 1 to 5");
      }
      source = r.source_system();
      external_id = r.review_id();
      customer = r.customer_id();
      revision = r.revision();
      event_time = r.reviewed_at_ms();
      time_field = "reviewed_at";
      joined_ = r.title();
      if (!r.title().empty() && !r.body().empty()) joined_ += "\n\n";
      joined_ += r.body();
      auto* d = out->mutable_review();
      d->set_store(r.store());
      d->set_app_id(r.app_id());
      d->set_app_version(r.app_version());
      d->set_rating(r.rating());
      d->set_locale(r.locale());
      dimensions = {r.app_version(), r.platform(), r.locale(), r.country(), r.app_id(), r.store()};
      break;
    }
    default:
      return Reject(why, "UNKNOWN_CHANNEL", "the record's channel is not one of ticket, survey, review");
  }
  if (!CheckEventTime(event_time, time_field, now_ms, why)) return false;
  if (!Dimensions(dimensions, out, why)) return false;
  if (source.empty()) source = "unspecified";
  out->set_source_system(source.data(), source.size());
  out->set_external_id(external_id.data(), external_id.size());
  if (customer.empty()) {
    // App stores rarely know the customer; the author is the best stable key there is.
    const auto& r = raw.review;
    out->set_customer_id("anon:" + r.store() + ":" + (r.author_id().empty() ? r.review_id() : r.author_id()));
  } else {
    out->set_customer_id(customer.data(), customer.size());
  }
  if (out->customer_id().size() > kMaxCustomerIdBytes) {
    const char* what = customer.empty() ? "the customer id made of 'store' and 'author_id' (or 'review_id')"
                                        : "field 'customer_id'";
    return Reject(why, "INVALID_FIELD",
                  std::string(what) + " is " + std::to_string(out->customer_id().size()) +
                      " bytes, over the limit of " + std::to_string(kMaxCustomerIdBytes) +
                      " that voc-aggregate's keys can hold");
  }
  out->set_source_revision(revision == 0 ? 1 : revision);
  out->set_event_time_ms(event_time);
  out->set_feedback_id(HashHex128({out->source_system(), ChannelName(raw.channel), out->external_id()}));
  if (joined_.empty()) {
    out->set_text("");  // a survey with a score and no comment
    return true;
  }
  return NormalizeText(joined_, out, why);
}

}  // namespace voc::ingest
