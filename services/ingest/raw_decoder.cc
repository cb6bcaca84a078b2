#include "services/ingest/raw_decoder.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <simdjson.h>

#include <charconv>
#include <ctime>

namespace voc::ingest {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

bool IsTimestampField(const FieldDescriptor* f) {
  const std::string& n = f->name();
  return f->cpp_type() == FieldDescriptor::CPPTYPE_INT64 && n.size() > 6 && n.ends_with("_at_ms");
}

// Looks a field up under its proto name, its JSON (lowerCamelCase) name and, for
// "*_at_ms" timestamps, the name without "_ms" in either case ("created_at", "createdAt"),
// which takes RFC 3339 too.
simdjson::dom::element FindField(simdjson::dom::object obj, const FieldDescriptor* f, bool* found) {
  *found = true;
  for (const std::string& name : {f->name(), f->json_name()}) {
    simdjson::dom::element e;
    if (obj[name].get(e) == simdjson::SUCCESS) return e;
  }
  if (IsTimestampField(f)) {
    for (const std::string& base : {f->name().substr(0, f->name().size() - 3),
                                    f->json_name().substr(0, f->json_name().size() - 2)}) {
      simdjson::dom::element e;
      if (obj[base].get(e) == simdjson::SUCCESS) return e;
    }
  }
  *found = false;
  return {};
}

bool SetField(Message* msg, const FieldDescriptor* f, simdjson::dom::element e, Rejection* why) {
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
        if (!ParseRfc3339(s, &ms)) return invalid("an RFC 3339 time such as 2026-11-20T10:00:00Z, or epoch milliseconds");
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

bool LooksLikeJson(std::string_view payload) {
  for (char c : payload) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    return c == '{' || c == '[';  // no raw protobuf starts with these (wire type 3)
  }
  return false;
}

}  // namespace

struct RawDecoder::JsonState {
  simdjson::dom::parser parser;
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

bool ParseRfc3339(std::string_view s, int64_t* epoch_ms) {
  // YYYY-MM-DDTHH:MM:SS[.fff][Z|+HH:MM|-HH:MM]
  auto num = [&](size_t pos, size_t len, int* out) {
    if (pos + len > s.size()) return false;
    auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, *out);
    return ec == std::errc() && p == s.data() + pos + len;
  };
  int y, mo, d, h, mi, sec;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      s[13] != ':' || s[16] != ':') {
    return false;
  }
  if (!num(0, 4, &y) || !num(5, 2, &mo) || !num(8, 2, &d) || !num(11, 2, &h) || !num(14, 2, &mi) ||
      !num(17, 2, &sec)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return false;
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
    if (digits == 0) return false;
    for (int i = digits; i < 3; ++i) millis *= 10;
  }
  int64_t offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (pos + 6 != s.size() || s[pos + 3] != ':' || !num(pos + 1, 2, &oh) || !num(pos + 4, 2, &om)) return false;
    offset_min = (s[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return false;
  }
  if (pos != s.size()) return false;
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
      why->detail = "field 'channel' = '" + named + "' but the record is a " + msg->GetDescriptor()->name();
      return false;
    }
    return true;
  }

  if (!LooksLikeJson(payload)) {  // binary data on a JSON topic is not a UTF-8 problem
    why->reason = "MALFORMED_JSON";
    why->detail = "not a JSON object: the payload does not start with '{'";
    return false;
  }
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
  std::string_view channel_name;
  if (obj["channel"].get(channel_name) == simdjson::SUCCESS) {
    out->channel = ParseChannel(channel_name);
    if (out->channel == voc::v1::CHANNEL_UNSPECIFIED) {
      why->reason = "UNKNOWN_CHANNEL";
      why->detail = "channel '" + std::string(channel_name) + "' is not one of ticket, survey, review";
      return false;
    }
  }
  Message* msg = MessageFor(out);
  if (msg == nullptr) return NoChannel(why);  // a topic without a channel, and none in the record
  const auto* desc = msg->GetDescriptor();
  for (int i = 0; i < desc->field_count(); ++i) {
    const FieldDescriptor* f = desc->field(i);
    bool found = false;
    simdjson::dom::element e = FindField(obj, f, &found);
    if (found && !SetField(msg, f, e, why)) return false;
  }
  return true;
}

}  // namespace voc::ingest
