#include "services/ingest/raw_decoder.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <simdjson.h>

#include <algorithm>
#include <unordered_map>
#include <vector>

#include "common/core/utf8.h"

namespace voc::ingest {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

bool IsTimestampField(const FieldDescriptor* f) {
  const std::string& n = f->name();
  return f->cpp_type() == FieldDescriptor::CPPTYPE_INT64 && n.size() > 6 && n.ends_with("_at_ms");
}

// The JSON names a field is read under: its proto name, its JSON (lowerCamelCase) name
// and, for "*_at_ms" timestamps, the name without "_ms" in either case ("created_at",
// "createdAt"), which takes RFC 3339 too. Each name once.
std::vector<std::string> JsonNames(const FieldDescriptor* f) {
  std::vector<std::string> names = {f->name(), f->json_name()};
  if (IsTimestampField(f)) {
    names.push_back(f->name().substr(0, f->name().size() - 3));
    names.push_back(f->json_name().substr(0, f->json_name().size() - 2));
  }
  std::vector<std::string> distinct;
  for (auto& n : names) {
    if (std::find(distinct.begin(), distinct.end(), n) == distinct.end()) distinct.push_back(std::move(n));
  }
  return distinct;
}

// A value quoted for a detail sentence, cut so that a hostile one cannot bloat the dead letter.
std::string Quote(std::string_view value) {
  constexpr size_t kMax = 64;
  const size_t keep = Utf8Prefix(value, kMax);
  std::string out = "'";
  out.append(value.substr(0, keep));
  out.append(keep < value.size() ? "...'" : "'");
  return out;
}

bool SetField(Message* msg, const FieldDescriptor* f, std::string_view key, simdjson::dom::element e,
              Rejection* why) {
  const auto* r = msg->GetReflection();
  auto invalid = [&](const char* expected) {
    why->reason = "INVALID_FIELD";
    why->detail = "field '" + f->name() + "' must be " + expected;
    return false;
  };
  if (e.is_null()) return true;  // null is absent
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string_view s;
      if (e.get(s) == simdjson::SUCCESS) {
        r->SetString(msg, f, std::string(s));
        return true;
      }
      int64_t n = 0;
      if (e.get(n) == simdjson::SUCCESS) {  // numeric ids are common: keep their digits
        r->SetString(msg, f, std::to_string(n));
        return true;
      }
      return invalid("a string");
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t n = 0;
      if (e.get(n) == simdjson::SUCCESS) {
        r->SetInt64(msg, f, n);
        return true;
      }
      std::string_view s;
      if (IsTimestampField(f) && e.get(s) == simdjson::SUCCESS) {
        int64_t ms = 0;
        std::string problem;
        if (!ParseRfc3339(s, &ms, &problem)) {
          why->reason = "INVALID_FIELD";
          why->detail = "field '" + std::string(key) + "' = " + Quote(s) + " is not a valid RFC 3339 time (" + problem +
                        "); give one such as 2026-11-20T10:00:00Z, or epoch milliseconds";
          return false;
        }
        r->SetInt64(msg, f, ms);
        return true;
      }
      return invalid(IsTimestampField(f) ? "an RFC 3339 time or epoch milliseconds" : "a whole number");
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int64_t n = 0;
      if (e.get(n) != simdjson::SUCCESS || n < INT32_MIN || n > INT32_MAX) return invalid("a whole number");
      r->SetInt32(msg, f, static_cast<int32_t>(n));
      return true;
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      int64_t n = 0;
      if (e.get(n) != simdjson::SUCCESS || n < 0 || n > UINT32_MAX) return invalid("a whole number from 0");
      r->SetUInt32(msg, f, static_cast<uint32_t>(n));
      return true;
    }
    default:
      return invalid("of a supported type");
  }
}

Message* MessageFor(RawRecord* out) {
  switch (out->channel) {
    case voc::v1::CHANNEL_TICKET: return &out->ticket;
    case voc::v1::CHANNEL_SURVEY: return &out->survey;
    case voc::v1::CHANNEL_REVIEW: return &out->review;
    default: return nullptr;
  }
}

bool NoChannel(Rejection* why) {
  why->reason = "UNKNOWN_CHANNEL";
  why->detail = "neither the topic nor the record says which channel (ticket, survey, review) it is";
  return false;
}

// Some exporters (Windows tools, spreadsheet software) start UTF-8 text with a byte-order
// mark. No protobuf starts with it (0xEF is field 29 with wire type 7, which does not exist).
constexpr std::string_view kUtf8Bom = "\xEF\xBB\xBF";

std::string_view WithoutBom(std::string_view payload) {
  return payload.starts_with(kUtf8Bom) ? payload.substr(kUtf8Bom.size()) : payload;
}

bool LooksLikeJson(std::string_view payload) {
  for (char c : WithoutBom(payload)) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    return c == '{' || c == '[';  // no raw protobuf starts with these (wire type 3)
  }
  return false;
}

}  // namespace

struct RawDecoder::JsonState {
  simdjson::dom::parser parser;
  std::unordered_map<const google::protobuf::Descriptor*, std::vector<std::vector<std::string>>> names;  // per field
  std::vector<std::string_view> keys;  // the record's keys, sorted; point into parser's buffer

  const std::vector<std::vector<std::string>>& NamesOf(const google::protobuf::Descriptor* desc) {
    auto [it, added] = names.try_emplace(desc);
    if (added) {
      for (int i = 0; i < desc->field_count(); ++i) it->second.push_back(JsonNames(desc->field(i)));
    }
    return it->second;
  }
};

RawDecoder::RawDecoder() : json_(std::make_unique<JsonState>()) {}
RawDecoder::~RawDecoder() = default;

const Message& RawRecord::message() const {
  switch (channel) {
    case voc::v1::CHANNEL_SURVEY: return survey;
    case voc::v1::CHANNEL_REVIEW: return review;
    default: return ticket;
  }
}

const char* ChannelName(voc::v1::Channel channel) {
  switch (channel) {
    case voc::v1::CHANNEL_TICKET: return "ticket";
    case voc::v1::CHANNEL_SURVEY: return "survey";
    case voc::v1::CHANNEL_REVIEW: return "review";
    default: return "all";
  }
}

voc::v1::Channel ParseChannel(std::string_view name) {
  if (name == "ticket") return voc::v1::CHANNEL_TICKET;
  if (name == "survey") return voc::v1::CHANNEL_SURVEY;
  if (name == "review") return voc::v1::CHANNEL_REVIEW;
  return voc::v1::CHANNEL_UNSPECIFIED;
}

bool ParseRfc3339(std::string_view s, int64_t* epoch_ms, std::string* error) {
  auto fail = [&](std::string why) {
    if (error != nullptr) *error = std::move(why);
    return false;
  };
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM], every number a run of ASCII digits (no
  // sign, no space: from_chars alone would take "-1" as an hour).
  auto num = [&](size_t pos, size_t len, int* out) {
    if (pos + len > s.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) {
      if (s[i] < '0' || s[i] > '9') return false;
      v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
  };
  const auto two = [](int v) { return std::string{static_cast<char>('0' + v / 10), static_cast<char>('0' + v % 10)}; };
  int y, mo, d, h, mi, sec;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':' || !num(0, 4, &y) || !num(5, 2, &mo) || !num(8, 2, &d) || !num(11, 2, &h) ||
      !num(14, 2, &mi) || !num(17, 2, &sec)) {
    return fail("not of the form YYYY-MM-DDTHH:MM:SS with a Z or a +HH:MM offset");
  }
  // Each part in its own range, the day within its month: 2026-02-31 is not March 3rd.
  if (mo < 1 || mo > 12) return fail("month " + two(mo) + " does not exist");
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const int month_days = kDays[mo - 1] + (mo == 2 && leap ? 1 : 0);
  if (d < 1 || d > month_days) {
    return fail("day " + two(d) + " does not exist in " + std::string(s.substr(0, 7)) + ", which has " +
                std::to_string(month_days) + " days");
  }
  if (h > 23) return fail("hour " + two(h) + " is not from 00 to 23");
  if (mi > 59) return fail("minute " + two(mi) + " is not from 00 to 59");
  // Leap seconds (:60) are refused, as the protobuf JSON mapping of Timestamp does.
  if (sec > 59) return fail("second " + two(sec) + " is not from 00 to 59");
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) millis = millis * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return fail("a '.' with no fraction digits after it");
    for (int i = digits; i < 3; ++i) millis *= 10;
  }
  int64_t offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (pos + 6 != s.size() || s[pos + 3] != ':' || !num(pos + 1, 2, &oh) || !num(pos + 4, 2, &om)) {
      return fail("the UTC offset is not of the form +HH:MM or -HH:MM");
    }
    // Real offsets run from -12:00 to +14:00; nothing beyond 14 hours either way is a time zone.
    if (om > 59 || oh * 60 + om > 14 * 60) {
      return fail("UTC offset " + std::string(s.substr(pos, 6)) + " is outside -14:00 to +14:00");
    }
    offset_min = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return fail("no Z or +HH:MM offset after the time");
  }
  if (pos != s.size()) return fail("text after the time");
  // Days from civil (Howard Hinnant's algorithm): no locale, no timezone database.
  y -= mo <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  const int64_t days = era * 146097 + doe - 719468;
  *epoch_ms = ((days * 24 + h) * 60 + mi) * 60'000 + sec * 1000 + millis - offset_min * 60'000;
  return true;
}

bool RawDecoder::Decode(std::string_view payload, std::string_view content_type, Format format,
                        voc::v1::Channel topic_channel, RawRecord* out, Rejection* why) {
  out->ticket.Clear();
  out->survey.Clear();
  out->review.Clear();
  out->channel = topic_channel;
  if (content_type.find("json") != std::string_view::npos) {
    format = Format::kJson;
  } else if (content_type.find("protobuf") != std::string_view::npos) {
    format = Format::kProtobuf;
  } else if (format == Format::kAuto) {
    format = LooksLikeJson(payload) ? Format::kJson : Format::kProtobuf;
  }

  if (format == Format::kProtobuf) {
    Message* msg = MessageFor(out);
    if (msg == nullptr) return NoChannel(why);
    if (!msg->ParseFromArray(payload.data(), static_cast<int>(payload.size()))) {
      why->reason = "MALFORMED_PROTOBUF";
      why->detail = "not a valid " + msg->GetDescriptor()->name() +
                    " protobuf (truncated, another message type, or invalid UTF-8 in a string field)";
      return false;
    }
    // The optional channel field, when present, must name this message's channel.
    const FieldDescriptor* f = msg->GetDescriptor()->FindFieldByName("channel");
    const std::string named = f != nullptr ? msg->GetReflection()->GetString(*msg, f) : std::string();
    if (!named.empty() && ParseChannel(named) != out->channel) {
      why->reason = ParseChannel(named) == voc::v1::CHANNEL_UNSPECIFIED ? "UNKNOWN_CHANNEL" : "INVALID_FIELD";
      why->detail = "field 'channel' = " + Quote(named) + " but the record is a " + msg->GetDescriptor()->name();
      return false;
    }
    return true;
  }

  if (!LooksLikeJson(payload)) {  // binary data on a JSON topic is not a UTF-8 problem
    why->reason = "MALFORMED_JSON";
    why->detail = "not a JSON object: the payload does not start with '{'";
    return false;
  }
  payload = WithoutBom(payload);  // simdjson leaves the byte-order mark to its caller
  simdjson::dom::element root;
  auto error = json_->parser.parse(payload.data(), payload.size(), /*realloc_if_needed=*/true).get(root);
  if (error == simdjson::UTF8_ERROR) {
    why->reason = "INVALID_UTF8";
    why->detail = "the JSON holds bytes that are not valid UTF-8";
    return false;
  }
  if (error != simdjson::SUCCESS) {
    why->reason = "MALFORMED_JSON";
    why->detail = std::string("not valid JSON: ") + simdjson::error_message(error);
    return false;
  }
  simdjson::dom::object obj;
  if (root.get(obj) != simdjson::SUCCESS) {
    why->reason = "MALFORMED_JSON";
    why->detail = "the JSON must be an object";
    return false;
  }
  // Duplicate keys: parsers disagree on which one counts (simdjson the first, most others
  // the last), so a record that a producer validated with one value could be read here with
  // the other. A record gives each field once, under one of its names; anything else is
  // refused whole rather than guessed at. Keys compare unescaped ("a\u0062" is "ab").
  auto& keys = json_->keys;
  keys.clear();
  for (auto field : obj) keys.push_back(field.key);
  std::sort(keys.begin(), keys.end());
  if (auto dup = std::adjacent_find(keys.begin(), keys.end()); dup != keys.end()) {
    why->reason = "MALFORMED_JSON";
    why->detail = "key " + Quote(*dup) + " appears more than once; each field must be given once";
    return false;
  }
  // A number is read by its digits, as a numeric id is (found by fuzzing: "channel": 4242
  // was ignored, where the same record as a protobuf is UNKNOWN_CHANNEL); other types are
  // INVALID_FIELD below, null is absent.
  simdjson::dom::element channel;
  std::string_view channel_name;
  std::string channel_digits;
  int64_t channel_number = 0;
  bool named = false;
  if (obj["channel"].get(channel) == simdjson::SUCCESS) {
    named = channel.get(channel_name) == simdjson::SUCCESS;
    if (!named && channel.get(channel_number) == simdjson::SUCCESS) {
      channel_digits = std::to_string(channel_number);
      channel_name = channel_digits;
      named = true;
    }
  }
  if (named) {
    out->channel = ParseChannel(channel_name);
    if (out->channel == voc::v1::CHANNEL_UNSPECIFIED) {
      why->reason = "UNKNOWN_CHANNEL";
      why->detail = "channel " + Quote(channel_name) + " is not one of ticket, survey, review";
      return false;
    }
  }
  Message* msg = MessageFor(out);
  if (msg == nullptr) return NoChannel(why);  // a topic without a channel, and none in the record
  const auto* desc = msg->GetDescriptor();
  const auto& names = json_->NamesOf(desc);
  for (int i = 0; i < desc->field_count(); ++i) {
    const FieldDescriptor* f = desc->field(i);
    std::string_view key;
    simdjson::dom::element e;
    for (const std::string& name : names[i]) {
      simdjson::dom::element found;
      if (obj[name].get(found) != simdjson::SUCCESS) continue;
      if (!key.empty()) {
        why->reason = "MALFORMED_JSON";
        why->detail = "field '" + f->name() + "' is given twice, as '" + std::string(key) + "' and as '" + name +
                      "'; each field must be given once, under one of its names";
        return false;
      }
      key = name;
      e = found;
    }
    if (!key.empty() && !SetField(msg, f, key, e, why)) return false;
  }
  return true;
}

}  // namespace voc::ingest
