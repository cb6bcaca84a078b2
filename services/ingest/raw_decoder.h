// Decodes a raw channel record (JSON or protobuf) into its channel's raw message.
// JSON is read with simdjson and filled into the same protobuf message the binary form
// decodes to, so validation has one path whatever the wire format. JSON may start with a
// UTF-8 byte-order mark; a key given twice, or a field under two of its names, is refused.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "voc/v1/common.pb.h"
#include "voc/v1/raw.pb.h"

namespace voc::ingest {

enum class Format { kAuto, kJson, kProtobuf };

// Why a record was refused: a stable reason code and a sentence for the operator.
struct Rejection {
  std::string reason;
  std::string detail;
};

// One decoded record: exactly one of the three is set, matching channel.
struct RawRecord {
  voc::v1::Channel channel = voc::v1::CHANNEL_UNSPECIFIED;
  voc::v1::RawTicket ticket;
  voc::v1::RawSurveyResponse survey;
  voc::v1::RawAppReview review;
  const google::protobuf::Message& message() const;
};

// NOT thread-safe: owns a reusable JSON parser. One per processing thread.
class RawDecoder {
 public:
  RawDecoder();
  ~RawDecoder();

  // The topic's channel and format; content_type (a record header, possibly empty)
  // wins over format when it names JSON or protobuf. false and *why on refusal.
  bool Decode(std::string_view payload, std::string_view content_type, Format format,
              voc::v1::Channel topic_channel, RawRecord* out, Rejection* why);

 private:
  struct JsonState;
  std::unique_ptr<JsonState> json_;
};

const char* ChannelName(voc::v1::Channel channel);
// "ticket", "survey", "review" -> the channel; CHANNEL_UNSPECIFIED otherwise.
voc::v1::Channel ParseChannel(std::string_view name);

// Parses RFC 3339 ("2026-11-20T10:00:00Z", "...T10:00:00.250+02:00") to epoch ms. Refuses
// what names no instant rather than rolling it over: a day its month does not have
// (2026-02-30), hours, minutes or seconds out of range (leap seconds too), a UTC offset
// beyond ±14:00. On refusal *error (when given) says which part is wrong.
bool ParseRfc3339(std::string_view text, int64_t* epoch_ms, std::string* error = nullptr);

}  // namespace voc::ingest
