// Target ingest_raw: one raw channel record through voc-ingest's IngestProcessor, driven as
// the runner drives it (test::ProcessorHarness). Input: [selector byte][payload]; the selector picks the topic (tickets,
// surveys, reviews, or a topic that carries every channel), the topic's format (auto,
// json, protobuf), the content-type header (none, JSON, protobuf, another) and the limits
// (defaults, or the smallest the configuration allows, so truncation and RECORD_TOO_LARGE
// are in reach).
//
// Contract: exactly one of {one voc.v1.Feedback on voc.feedback, one dead letter with a
// known reason and a UTF-8 detail}. An accepted Feedback parses, is keyed by its customer,
// names a channel (the topic's, where the topic has one), has a 32-hex-digit feedback_id,
// an event time inside the accepted range, text in UTF-8 NFC, trimmed, within the cap.
// The same record processed again gives the same bytes. And the two wire formats agree:
// an accepted record re-encoded in the other format (protobuf <-> JSON) gives the same
// Feedback.
#include <utf8proc.h>

#include <array>
#include <memory>

#include "common/core/json.h"
#include "services/ingest/ingest_processor.h"
#include "tests/fuzz/processor.h"

namespace voc::fuzz {
namespace {

constexpr int64_t kMinEventMs = 946'684'800'000;  // 2000-01-01T00:00:00Z
constexpr char kMixedTopic[] = "voc.raw.mixed";
constexpr std::array<const char*, 4> kTopics = {"voc.raw.tickets", "voc.raw.surveys", "voc.raw.reviews", kMixedTopic};
constexpr std::array<voc::v1::Channel, 4> kTopicChannels = {voc::v1::CHANNEL_TICKET, voc::v1::CHANNEL_SURVEY,
                                                            voc::v1::CHANNEL_REVIEW, voc::v1::CHANNEL_UNSPECIFIED};
constexpr std::array<ingest::Format, 4> kFormats = {ingest::Format::kAuto, ingest::Format::kJson,
                                                    ingest::Format::kProtobuf, ingest::Format::kAuto};
constexpr std::array<const char*, 4> kContentTypes = {"", "application/json", "application/x-protobuf",
                                                      "text/plain; charset=utf-8"};
const std::vector<std::string> kReasons = {"MALFORMED_JSON", "MALFORMED_PROTOBUF", "MISSING_FIELD",
                                           "INVALID_FIELD",  "INVALID_UTF8",       "RECORD_TOO_LARGE",
                                           "TIMESTAMP_OUT_OF_RANGE", "UNKNOWN_CHANNEL"};

ingest::IngestOptions Options(ingest::Format format, bool small_limits) {
  ingest::IngestOptions o;
  o.inputs.clear();
  for (size_t i = 0; i < kTopics.size(); ++i) o.inputs.push_back({kTopics[i], kTopicChannels[i], format});
  if (small_limits) {  // the least ingest.max_record_bytes and ingest.max_text_bytes accept
    o.max_record_bytes = 1024;
    o.canonical.max_text_bytes = 256;
  }
  return o;
}

// One processor per (format, limits), started on first use and kept: the runner keeps one
// per service too, so state left behind by one record would show in the next.
test::ProcessorHarness& Processor(ingest::Format format, bool small_limits) {
  static std::array<std::unique_ptr<test::ProcessorHarness>, 6> processors;
  auto& p = processors[static_cast<size_t>(format) * 2 + (small_limits ? 1 : 0)];
  if (!p) {
    std::vector<TopicPartition> assigned;
    for (const char* topic : kTopics) assigned.push_back({topic, PartitionId(2)});
    p = std::make_unique<test::ProcessorHarness>(
        [=] { return std::make_unique<ingest::IngestProcessor>(Options(format, small_limits)); }, "", assigned);
    Start(*p);
    p->SetWallClock(kNowMs);
  }
  return *p;
}

struct Outcome {
  test::Emitted out;
  voc::v1::Feedback feedback;  // when accepted
  bool accepted() const { return !out.outputs.empty(); }
};

// The record at offset 7 of partition 2 of topic, as a batch of its own.
Outcome Run(test::ProcessorHarness& processor, std::string_view topic, std::string_view payload,
            std::string_view content_type) {
  Outcome r;
  const TopicPartition tp{std::string(topic), PartitionId(2)};
  processor.SetNextOffset(tp, 7);
  r.out = processor.Batch({{.topic = tp.topic, .partition = 2, .key = "raw-key", .value = std::string(payload),
                            .content_type = std::string(content_type), .timestamp_ms = kNowMs - 1000}});
  VOC_FUZZ_EXPECT(r.out.outputs.size() + r.out.dead_letters.size() == 1,
                  "a raw record gave " + std::to_string(r.out.outputs.size()) + " outputs and " +
                      std::to_string(r.out.dead_letters.size()) + " dead letters, not exactly one of them");
  if (!r.out.dead_letters.empty()) {
    ExpectKnownDeadLetter(r.out.dead_letters[0], kReasons);
    VOC_FUZZ_EXPECT(r.out.dead_letters[0].origin_offset == 7, "the dead letter names another record");
    return r;
  }
  const auto& o = r.out.outputs[0];
  VOC_FUZZ_EXPECT(o.topic == "voc.feedback", "output on " + o.topic);
  VOC_FUZZ_EXPECT(r.feedback.ParseFromString(o.value), "the output is not a voc.v1.Feedback");
  VOC_FUZZ_EXPECT(o.key == r.feedback.customer_id(), "the output is not keyed by its customer");
  return r;
}

bool IsNfc(const std::string& text) {
  utf8proc_uint8_t* nfc = nullptr;
  const utf8proc_ssize_t n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(text.data()),
                                          static_cast<utf8proc_ssize_t>(text.size()), &nfc,
                                          static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  const bool same = n >= 0 && std::string_view(reinterpret_cast<const char*>(nfc), static_cast<size_t>(n)) == text;
  std::free(nfc);
  return same;
}

bool IsAsciiSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// Which wire format the decoder reads a payload as (raw_decoder.h): a content-type naming
// JSON or protobuf wins, then the topic's format, and auto looks at the first byte after a
// byte-order mark and white space.
bool DecodesAsJson(std::string_view payload, std::string_view content_type, ingest::Format format) {
  if (content_type.find("json") != std::string_view::npos) return true;
  if (content_type.find("protobuf") != std::string_view::npos) return false;
  if (format != ingest::Format::kAuto) return format == ingest::Format::kJson;
  if (payload.starts_with("\xEF\xBB\xBF")) payload.remove_prefix(3);
  const size_t first = payload.find_first_not_of(" \t\r\n");
  return first != std::string_view::npos && (payload[first] == '{' || payload[first] == '[');
}

// named_by_json: the record was read as JSON, whose "channel" key picks the shape (README,
// Raw input), also on a topic of another channel; a protobuf's must match its topic's.
void ExpectCanonical(const voc::v1::Feedback& f, voc::v1::Channel topic_channel, bool named_by_json,
                     const ingest::IngestOptions& options) {
  VOC_FUZZ_EXPECT(f.channel() >= voc::v1::CHANNEL_TICKET && f.channel() <= voc::v1::CHANNEL_REVIEW,
                  "Feedback without a channel");
  VOC_FUZZ_EXPECT(topic_channel == voc::v1::CHANNEL_UNSPECIFIED || f.channel() == topic_channel || named_by_json,
                  "a protobuf Feedback of another channel than its topic's");
  VOC_FUZZ_EXPECT(f.feedback_id().size() == 32 &&
                      f.feedback_id().find_first_not_of("0123456789abcdef") == std::string::npos,
                  "feedback_id " + Excerpt(f.feedback_id()) + " is not 32 hex digits");
  VOC_FUZZ_EXPECT(!f.external_id().empty() && !f.source_system().empty(), "Feedback without its source ids");
  VOC_FUZZ_EXPECT(!f.customer_id().empty() && f.customer_id().size() <= 65535,
                  "customer_id of " + std::to_string(f.customer_id().size()) + " bytes");
  VOC_FUZZ_EXPECT(f.source_revision() >= 1, "source_revision 0");
  VOC_FUZZ_EXPECT(f.event_time_ms() >= kMinEventMs && f.event_time_ms() <= kNowMs + options.canonical.max_future_skew_ms,
                  "event time " + std::to_string(f.event_time_ms()) + " outside the accepted range");
  const std::string& text = f.text();
  VOC_FUZZ_EXPECT(text.size() <= options.canonical.max_text_bytes, "text over the cap");
  VOC_FUZZ_EXPECT(!f.text_truncated() || text.size() + 3 >= options.canonical.max_text_bytes,
                  "text_truncated on a text cut well under the cap");
  for (const std::string* s : {&f.feedback_id(), &f.source_system(), &f.external_id(), &f.customer_id(), &text}) {
    VOC_FUZZ_EXPECT(IsValidUtf8(*s), "a Feedback string is not UTF-8: " + Excerpt(*s));
  }
  VOC_FUZZ_EXPECT(IsNfc(text), "text is not NFC: " + Excerpt(text));
  if (text.empty()) {
    VOC_FUZZ_EXPECT(f.has_survey() && (f.survey().has_nps() || f.survey().has_csat()),
                    "empty text on a record that is not a scored survey answer");
  } else {
    VOC_FUZZ_EXPECT(!IsAsciiSpace(text.front()), "text starts with white space: " + Excerpt(text));
    VOC_FUZZ_EXPECT(f.text_truncated() || !IsAsciiSpace(text.back()), "text ends with white space: " + Excerpt(text));
  }
  switch (f.channel()) {
    case voc::v1::CHANNEL_TICKET: VOC_FUZZ_EXPECT(f.has_ticket(), "a ticket without ticket details"); break;
    case voc::v1::CHANNEL_SURVEY:
      VOC_FUZZ_EXPECT(f.has_survey(), "a survey answer without survey details");
      VOC_FUZZ_EXPECT(!f.survey().has_nps() || (f.survey().nps() >= 0 && f.survey().nps() <= 10), "NPS out of range");
      VOC_FUZZ_EXPECT(!f.survey().has_csat() || (f.survey().csat() >= 1 && f.survey().csat() <= 5),
                      "CSAT out of range");
      break;
    default:
      VOC_FUZZ_EXPECT(f.has_review(), "a review without review details");
      VOC_FUZZ_EXPECT(f.review().rating() >= 1 && f.review().rating() <= 5, "rating out of range");
  }
}

// The raw message as a JSON object with its proto field names: what a JSON producer of
// the same record would send.
std::string ToJson(const google::protobuf::Message& m) {
  using google::protobuf::FieldDescriptor;
  std::vector<const FieldDescriptor*> fields;
  m.GetReflection()->ListFields(m, &fields);
  const auto* r = m.GetReflection();
  std::string out = "{";
  for (const FieldDescriptor* f : fields) {
    if (out.size() > 1) out += ',';
    AppendJsonString(f->name(), &out);
    out += ':';
    switch (f->cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING: AppendJsonString(r->GetString(m, f), &out); break;
      case FieldDescriptor::CPPTYPE_INT64: out += std::to_string(r->GetInt64(m, f)); break;
      case FieldDescriptor::CPPTYPE_INT32: out += std::to_string(r->GetInt32(m, f)); break;
      case FieldDescriptor::CPPTYPE_UINT32: out += std::to_string(r->GetUInt32(m, f)); break;
      default: Fail(__FILE__, __LINE__, "a raw message has a field of an unexpected type: " + f->name());
    }
  }
  return out + "}";
}

std::string WithoutMeta(voc::v1::Feedback f) {
  f.clear_meta();
  return f.SerializeAsString();
}

// The other wire format must give the same Feedback: JSON and protobuf share one
// validation path.
void ExpectFormatsAgree(std::string_view payload, std::string_view content_type, ingest::Format format,
                        size_t topic_index, bool small_limits, const voc::v1::Feedback& accepted) {
  static ingest::RawDecoder decoder;
  ingest::RawRecord raw;
  ingest::Rejection why;
  VOC_FUZZ_EXPECT(decoder.Decode(payload, content_type, format, kTopicChannels[topic_index], &raw, &why),
                  "the decoder refuses (" + why.reason + ") a record the processor accepted");
  std::string other;
  ingest::Format other_format;
  const bool was_json = DecodesAsJson(payload, content_type, format);
  if (was_json) {
    other = raw.message().SerializeAsString();
    other_format = ingest::Format::kProtobuf;
  } else {
    other = ToJson(raw.message());
    other_format = ingest::Format::kJson;
  }
  // A protobuf cannot say its channel on a topic that carries every channel: the channel's own topic.
  const size_t other_topic = static_cast<size_t>(raw.channel) - 1;
  Outcome again = Run(Processor(other_format, small_limits), kTopics[other_topic], other, "");
  // The size limit is on the record's bytes, and the same content takes more bytes in one
  // format than in the other (JSON escapes control characters six bytes each): only that
  // refusal may differ (found by the long run: a 1,040-byte JSON of a 700-byte protobuf).
  if (!again.accepted() && other.size() > payload.size() && !again.out.dead_letters.empty() &&
      again.out.dead_letters[0].reason == "RECORD_TOO_LARGE") {
    return;
  }
  VOC_FUZZ_EXPECT(again.accepted(), std::string("accepted as ") + (was_json ? "JSON" : "protobuf") +
                                        " but refused in the other format (" +
                                        (again.out.dead_letters.empty() ? "" : again.out.dead_letters[0].reason + ": " +
                                                                                   again.out.dead_letters[0].detail) +
                                        "); re-encoded: " + Excerpt(other, 400));
  VOC_FUZZ_EXPECT(WithoutMeta(again.feedback) == WithoutMeta(accepted),
                  std::string("JSON and protobuf give different Feedback for the same record: ") +
                      accepted.ShortDebugString().substr(0, 300) + " vs " +
                      again.feedback.ShortDebugString().substr(0, 300));
}

}  // namespace
}  // namespace voc::fuzz

VOC_FUZZ_TARGET(ingest_raw) {
  using namespace voc::fuzz;
  if (size < 1) return 0;
  const uint8_t selector = data[0];
  const size_t topic_index = selector & 3;
  const auto format = kFormats[(selector >> 2) & 3];
  const char* content_type = kContentTypes[(selector >> 4) & 3];
  const bool small_limits = (selector & 0x40) != 0;
  const std::string_view payload(reinterpret_cast<const char*>(data + 1), size - 1);

  auto& processor = Processor(format, small_limits);
  Outcome first = Run(processor, kTopics[topic_index], payload, content_type);
  Outcome second = Run(processor, kTopics[topic_index], payload, content_type);
  VOC_FUZZ_EXPECT(first.accepted() == second.accepted() &&
                      (first.accepted() ? first.out.outputs[0].value == second.out.outputs[0].value
                                        : first.out.dead_letters[0].reason == second.out.dead_letters[0].reason &&
                                              first.out.dead_letters[0].detail == second.out.dead_letters[0].detail),
                  "the same record processed twice gave different results");
  if (!first.accepted()) return 0;
  ExpectCanonical(first.feedback, kTopicChannels[topic_index], DecodesAsJson(payload, content_type, format),
                  Options(format, small_limits));
  const auto& meta = first.feedback.meta();
  VOC_FUZZ_EXPECT(meta.service() == "voc-ingest" && meta.origin_topic() == kTopics[topic_index] &&
                      meta.origin_partition() == 2 && meta.origin_offset() == 7,
                  "Feedback meta does not name its origin");
  ExpectFormatsAgree(payload, content_type, format, topic_index, small_limits, first.feedback);
  return 0;
}
