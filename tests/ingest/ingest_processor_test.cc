// voc-ingest's logic without a broker: RawDecoder, Canonicalizer and IngestProcessor on
// real JSON and protobuf payloads, and the reason code of every kind of bad input.
#include "services/ingest/ingest_processor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <tuple>
#include <utility>

#include <google/protobuf/util/message_differencer.h>

#include "common/core/hash.h"
#include "common/core/limits.h"
#include "tests/runtime/processor_harness.h"
#include "tests/runtime/test_util.h"

namespace voc::ingest {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNowMs = 1748736000000;      // 2025-06-01T00:00:00Z, the clock of every test
constexpr int64_t kMay2Ms = 1746144000000;     // 2025-05-02T00:00:00Z
constexpr char kTickets[] = "voc.raw.tickets";
constexpr char kSurveys[] = "voc.raw.surveys";
constexpr char kReviews[] = "voc.raw.reviews";

// JSON fields as (name, raw JSON value), in order.
using Fields = std::vector<std::pair<std::string, std::string>>;

std::string Json(const Fields& fields) {
  std::string out = "{";
  for (const auto& [name, value] : fields) {
    if (out.size() > 1) out += ",";
    out += "\"" + name + "\":" + value;
  }
  return out + "}";
}

Fields Without(Fields fields, const std::string& name) {
  std::erase_if(fields, [&](const auto& f) { return f.first == name; });
  return fields;
}

Fields With(Fields fields, const std::string& name, const std::string& value) {
  fields = Without(std::move(fields), name);
  fields.emplace_back(name, value);
  return fields;
}

Fields Ticket() {
  return {{"source_system", R"("zendesk")"},     {"ticket_id", R"("T-100")"},
          {"customer_id", R"("C-1")"},          {"created_at", R"("2025-05-01T10:00:00.250+02:00")"},
          {"subject", R"("Checkout")"},         {"body", R"("It crashes when I pay")"},
          {"priority", R"("high")"},            {"status", R"("open")"},
          {"product", R"("web")"},              {"revision", "2"}};
}

Fields Survey() {
  return {{"sourceSystem", R"("qualtrics")"}, {"responseId", R"("R-7")"},      {"surveyId", R"("S-1")"},
          {"customerId", R"("C-2")"},        {"submittedAtMs", "1746144000000"}, {"nps", "3"},
          {"csat", "2"},                     {"comment", R"("Too slow")"}};
}

Fields Review() {
  return {{"source_system", R"("googleplay")"}, {"review_id", "98765"},          {"customer_id", "4242"},
          {"store", R"("googleplay")"},         {"app_id", R"("com.example")"},  {"app_version", R"("3.2.1")"},
          {"rating", "4"},                      {"title", R"("Nice")"},          {"body", R"("Works well")"},
          {"locale", R"("en-US")"},             {"reviewed_at", "1746144000000"}};
}

voc::v1::RawTicket TicketProto() {
  voc::v1::RawTicket t;
  t.set_source_system("zendesk");
  t.set_ticket_id("T-100");
  t.set_customer_id("C-1");
  t.set_created_at_ms(1746086400250);  // the same instant as Ticket()'s created_at
  t.set_revision(2);
  t.set_subject("Checkout");
  t.set_body("It crashes when I pay");
  t.set_priority("high");
  t.set_status("open");
  t.set_product("web");
  return t;
}

// What one record became: an output, or a dead letter.
struct Outcome {
  struct Output {
    std::string topic, key, value;
  };
  struct Letter {
    std::string reason, detail;
    int64_t offset;
  };
  std::vector<Output> outputs;
  std::vector<Letter> letters;
};

class IngestProcessorTest : public ::testing::Test {
 protected:
  // Runs one record through a fresh processor built from options_.
  Outcome Run(const std::string& topic, const std::string& payload, const std::string& content_type = "") {
    const TopicPartition tp{topic, PartitionId(3)};
    test::ProcessorHarness harness([this] { return std::make_unique<IngestProcessor>(options_); }, dir_.path(), {tp});
    Status started = harness.Start();
    EXPECT_TRUE(started.ok()) << started.ToString();
    harness.SetWallClock(kNowMs);
    harness.SetNextOffset(tp, 41);
    const test::Emitted emitted = harness.Batch({{topic, 3, "raw-key", payload, content_type, kNowMs - 5}});
    Outcome out;
    for (const auto& o : emitted.outputs) out.outputs.push_back({o.topic, o.key, o.value});
    for (const auto& d : emitted.dead_letters) out.letters.push_back({d.reason, d.detail, d.origin_offset});
    EXPECT_EQ(out.outputs.size() + out.letters.size(), 1u) << "every record gives one output or one dead letter";
    return out;
  }

  test::TempDir dir_;

  // The Feedback an accepted record becomes; fails the test when it is refused.
  voc::v1::Feedback Accept(const std::string& topic, const std::string& payload, const std::string& content_type = "") {
    auto out = Run(topic, payload, content_type);
    voc::v1::Feedback feedback;
    if (!out.letters.empty()) {
      ADD_FAILURE() << "refused: " << out.letters[0].reason << ": " << out.letters[0].detail;
      return feedback;
    }
    EXPECT_EQ(out.outputs[0].topic, "voc.feedback");
    EXPECT_TRUE(feedback.ParseFromString(out.outputs[0].value));
    EXPECT_EQ(out.outputs[0].key, feedback.customer_id()) << "output must be keyed by customer";
    return feedback;
  }

  // The dead letter of a refused record; fails the test when it is accepted.
  Outcome::Letter Refuse(const std::string& topic, const std::string& payload,
                                   const std::string& content_type = "") {
    auto out = Run(topic, payload, content_type);
    if (out.letters.empty()) {
      ADD_FAILURE() << "accepted: " << payload.substr(0, 200);
      return {};
    }
    EXPECT_EQ(out.letters[0].offset, 41);
    return out.letters[0];
  }

  IngestOptions options_;
};

TEST_F(IngestProcessorTest, AcceptsTicketJsonWithSnakeCaseNamesAndRfc3339Time) {
  auto f = Accept(kTickets, Json(Ticket()));
  EXPECT_EQ(f.schema_version(), 1u);
  EXPECT_EQ(f.channel(), voc::v1::CHANNEL_TICKET);
  EXPECT_EQ(f.source_system(), "zendesk");
  EXPECT_EQ(f.external_id(), "T-100");
  EXPECT_EQ(f.customer_id(), "C-1");
  EXPECT_EQ(f.event_time_ms(), 1746086400250);  // 08:00:00.250Z
  EXPECT_EQ(f.source_revision(), 2u);
  EXPECT_EQ(f.text(), "Checkout\n\nIt crashes when I pay");
  EXPECT_FALSE(f.text_truncated());
  EXPECT_EQ(f.ticket().priority(), "high");
  EXPECT_EQ(f.ticket().status(), "open");
  EXPECT_EQ(f.ticket().product(), "web");
  EXPECT_EQ(f.meta().service(), "voc-ingest");
  EXPECT_EQ(f.meta().origin_topic(), kTickets);
  EXPECT_EQ(f.meta().origin_partition(), 3);
  EXPECT_EQ(f.meta().origin_offset(), 41);
  EXPECT_EQ(f.meta().processed_at_ms(), kNowMs);
  EXPECT_EQ(f.meta().source_timestamp_ms(), kNowMs - 5);
}

TEST_F(IngestProcessorTest, AcceptsSurveyJsonWithLowerCamelCaseNamesAndEpochMillis) {
  auto f = Accept(kSurveys, Json(Survey()));
  EXPECT_EQ(f.channel(), voc::v1::CHANNEL_SURVEY);
  EXPECT_EQ(f.source_system(), "qualtrics");
  EXPECT_EQ(f.external_id(), "R-7");
  EXPECT_EQ(f.customer_id(), "C-2");
  EXPECT_EQ(f.event_time_ms(), kMay2Ms);
  EXPECT_EQ(f.source_revision(), 1u);  // absent revision means 1
  EXPECT_EQ(f.text(), "Too slow");
  EXPECT_EQ(f.survey().survey_id(), "S-1");
  EXPECT_TRUE(f.survey().has_nps());
  EXPECT_EQ(f.survey().nps(), 3);
  EXPECT_EQ(f.survey().csat(), 2);
}

TEST_F(IngestProcessorTest, AcceptsLowerCamelCaseTimeNamesWithoutMsSuffix) {
  auto ticket = Accept(kTickets, Json(With(Without(Ticket(), "created_at"), "createdAt", R"("2025-05-02T00:00:00Z")")));
  EXPECT_EQ(ticket.event_time_ms(), kMay2Ms);
  auto survey = Accept(kSurveys, Json(With(Without(Survey(), "submittedAtMs"), "submittedAt", "1746144000000")));
  EXPECT_EQ(survey.event_time_ms(), kMay2Ms);
  auto review = Accept(kReviews, Json(With(Without(Review(), "reviewed_at"), "reviewedAtMs", "1746144000000")));
  EXPECT_EQ(review.event_time_ms(), kMay2Ms);
}

TEST_F(IngestProcessorTest, AcceptsReviewJsonWithNumericIds) {
  auto f = Accept(kReviews, Json(Review()));
  EXPECT_EQ(f.channel(), voc::v1::CHANNEL_REVIEW);
  EXPECT_EQ(f.external_id(), "98765");
  EXPECT_EQ(f.customer_id(), "4242");
  EXPECT_EQ(f.event_time_ms(), kMay2Ms);
  EXPECT_EQ(f.text(), "Nice\n\nWorks well");
  EXPECT_EQ(f.review().rating(), 4);
  EXPECT_EQ(f.review().store(), "googleplay");
  EXPECT_EQ(f.review().app_version(), "3.2.1");
  EXPECT_EQ(f.review().locale(), "en-US");

  // App stores rarely know the customer: the author stands in, per store.
  auto anonymous = Accept(kReviews, Json(With(Without(Review(), "customer_id"), "author_id", R"("a-9")")));
  EXPECT_EQ(anonymous.customer_id(), "anon:googleplay:a-9");
}

TEST_F(IngestProcessorTest, AcceptsProtobufOfEachChannel) {
  auto ticket = Accept(kTickets, TicketProto().SerializeAsString());
  EXPECT_EQ(ticket.channel(), voc::v1::CHANNEL_TICKET);
  EXPECT_EQ(ticket.external_id(), "T-100");
  EXPECT_EQ(ticket.text(), "Checkout\n\nIt crashes when I pay");

  voc::v1::RawSurveyResponse s;
  s.set_response_id("R-8");
  s.set_customer_id("C-3");
  s.set_submitted_at_ms(kMay2Ms);
  s.set_nps(0);  // a score without a comment is feedback too; 0 is a real score
  auto survey = Accept(kSurveys, s.SerializeAsString());
  EXPECT_EQ(survey.channel(), voc::v1::CHANNEL_SURVEY);
  EXPECT_EQ(survey.source_system(), "unspecified");
  EXPECT_TRUE(survey.survey().has_nps());
  EXPECT_EQ(survey.survey().nps(), 0);
  EXPECT_FALSE(survey.survey().has_csat());
  EXPECT_EQ(survey.text(), "");

  voc::v1::RawAppReview r;
  r.set_source_system("appstore");
  r.set_review_id("rv-1");
  r.set_store("appstore");
  r.set_author_id("u-5");
  r.set_rating(1);
  r.set_body("Crashes at launch");
  r.set_reviewed_at_ms(kMay2Ms);
  r.set_channel("review");
  auto review = Accept(kReviews, r.SerializeAsString());
  EXPECT_EQ(review.channel(), voc::v1::CHANNEL_REVIEW);
  EXPECT_EQ(review.customer_id(), "anon:appstore:u-5");
  EXPECT_EQ(review.review().rating(), 1);
  EXPECT_EQ(review.text(), "Crashes at launch");
}

TEST_F(IngestProcessorTest, FeedbackIdIsStableAcrossFormatsAndRevisions) {
  const std::string from_json = Accept(kTickets, Json(Ticket())).feedback_id();
  // Pinned: ids name feedback in state stores and downstream topics, so they never change.
  EXPECT_EQ(from_json, HashHex128({"zendesk", "ticket", "T-100"}));
  EXPECT_EQ(from_json, "748ac6db96d448220c2fad8876b93e6b");
  EXPECT_EQ(Accept(kTickets, TicketProto().SerializeAsString()).feedback_id(), from_json);
  Fields reordered = Ticket();
  std::reverse(reordered.begin(), reordered.end());
  EXPECT_EQ(Accept(kTickets, Json(reordered)).feedback_id(), from_json);
  // A new revision with new text is the same feedback.
  auto revised = Accept(kTickets, Json(With(With(Ticket(), "revision", "3"), "body", R"("Fixed now")")));
  EXPECT_EQ(revised.feedback_id(), from_json);
  EXPECT_EQ(revised.source_revision(), 3u);
}

TEST_F(IngestProcessorTest, FeedbackIdDiffersBySourceChannelAndExternalId) {
  const std::string base = Accept(kTickets, Json(Ticket())).feedback_id();
  EXPECT_NE(Accept(kTickets, Json(With(Ticket(), "source_system", R"("freshdesk")"))).feedback_id(), base);
  EXPECT_NE(Accept(kTickets, Json(With(Ticket(), "ticket_id", R"("T-101")"))).feedback_id(), base);
  // A survey answer from the same system with the same external id is other feedback.
  Fields survey = {{"source_system", R"("zendesk")"}, {"response_id", R"("T-100")"}, {"customer_id", R"("C-1")"},
                   {"submitted_at", R"("2025-05-02T00:00:00Z")"}, {"comment", R"("It crashes when I pay")"}};
  EXPECT_NE(Accept(kSurveys, Json(survey)).feedback_id(), base);
  // The customer and the text are not part of the identity.
  EXPECT_EQ(Accept(kTickets, Json(With(Ticket(), "customer_id", R"("C-9")"))).feedback_id(), base);
}

TEST_F(IngestProcessorTest, ContentTypeHeaderWinsOverTopicFormat) {
  options_.inputs = {{kTickets, voc::v1::CHANNEL_TICKET, Format::kJson},
                     {kReviews, voc::v1::CHANNEL_REVIEW, Format::kProtobuf}};
  const std::string proto = TicketProto().SerializeAsString();
  EXPECT_EQ(Refuse(kTickets, proto).reason, "MALFORMED_JSON");  // the topic says JSON
  EXPECT_EQ(Accept(kTickets, proto, "application/x-protobuf").external_id(), "T-100");
  EXPECT_EQ(Accept(kTickets, proto, "application/protobuf; proto=voc.v1.RawTicket").external_id(), "T-100");

  const std::string json = Json(Review());
  EXPECT_EQ(Refuse(kReviews, json).reason, "MALFORMED_PROTOBUF");  // the topic says protobuf
  EXPECT_EQ(Accept(kReviews, json, "application/json").external_id(), "98765");
  // A header naming neither leaves the topic's format in charge.
  EXPECT_EQ(Refuse(kReviews, json, "text/plain").reason, "MALFORMED_PROTOBUF");

  // Auto tells them apart by the payload, leading whitespace and all.
  options_ = IngestOptions();
  EXPECT_EQ(Accept(kTickets, " \n\t" + Json(Ticket())).external_id(), "T-100");
  EXPECT_EQ(Accept(kTickets, proto).external_id(), "T-100");
}

TEST_F(IngestProcessorTest, TruncatedProtobufIsMalformedProtobuf) {
  const std::string proto = TicketProto().SerializeAsString();
  auto letter = Refuse(kTickets, proto.substr(0, proto.size() - 2));  // cut inside the last string field
  EXPECT_EQ(letter.reason, "MALFORMED_PROTOBUF");
  EXPECT_THAT(letter.detail, HasSubstr("RawTicket"));
  EXPECT_EQ(Refuse(kTickets, std::string("\x0a\xff\xff\xff\xff\x0f", 6)).reason, "MALFORMED_PROTOBUF");
}

TEST_F(IngestProcessorTest, MalformedJsonIsMalformedJson) {
  for (const std::string& bad : {std::string(R"({"ticket_id": "T-1", )"), std::string(R"({"ticket_id": T-1})"),
                                 std::string(R"({"ticket_id": "T-1"} trailing)"), std::string("{")}) {
    EXPECT_EQ(Refuse(kTickets, bad).reason, "MALFORMED_JSON") << bad;
  }
}

TEST_F(IngestProcessorTest, JsonArrayInsteadOfObjectIsMalformedJson) {
  auto letter = Refuse(kTickets, std::string("[").append(Json(Ticket())).append("]"));
  EXPECT_EQ(letter.reason, "MALFORMED_JSON");
  EXPECT_THAT(letter.detail, HasSubstr("object"));
  options_.inputs = {{kTickets, voc::v1::CHANNEL_TICKET, Format::kJson}};
  EXPECT_EQ(Refuse(kTickets, R"("just a string")").reason, "MALFORMED_JSON");
}

TEST_F(IngestProcessorTest, MissingRequiredFieldIsNamed) {
  struct Case {
    const char* topic;
    Fields fields;
    const char* field;
  };
  const std::vector<Case> cases = {
      {kTickets, Without(Ticket(), "ticket_id"), "ticket_id"},
      {kTickets, With(Ticket(), "ticket_id", R"("")"), "ticket_id"},
      {kTickets, With(Ticket(), "ticket_id", "null"), "ticket_id"},
      {kTickets, Without(Ticket(), "customer_id"), "customer_id"},
      {kTickets, Without(Without(Ticket(), "subject"), "body"), "body"},
      {kTickets, Without(Ticket(), "created_at"), "created_at"},
      {kTickets, With(Without(Ticket(), "subject"), "body", R"(" \n\t ")"), "text"},
      {kSurveys, Without(Survey(), "responseId"), "response_id"},
      {kSurveys, Without(Survey(), "customerId"), "customer_id"},
      {kSurveys, Without(Without(Without(Survey(), "comment"), "nps"), "csat"), "comment"},
      {kSurveys, Without(Survey(), "submittedAtMs"), "submitted_at"},
      {kReviews, Without(Review(), "review_id"), "review_id"},
      {kReviews, Without(Without(Review(), "title"), "body"), "body"},
      {kReviews, Without(Review(), "reviewed_at"), "reviewed_at"},
  };
  for (const auto& c : cases) {
    auto letter = Refuse(c.topic, Json(c.fields));
    EXPECT_EQ(letter.reason, "MISSING_FIELD") << Json(c.fields);
    EXPECT_THAT(letter.detail, HasSubstr(std::string("'") + c.field + "'")) << Json(c.fields);
  }
}

TEST_F(IngestProcessorTest, InvalidUtf8IsInvalidUtf8) {
  auto letter = Refuse(kTickets, Json(With(Ticket(), "body", "\"bad \xff\xfe bytes\"")));
  EXPECT_EQ(letter.reason, "INVALID_UTF8");
  // An overlong encoding and a lone continuation byte too.
  EXPECT_EQ(Refuse(kTickets, Json(With(Ticket(), "body", "\"\xc0\xaf\""))).reason, "INVALID_UTF8");
  EXPECT_EQ(Refuse(kTickets, Json(With(Ticket(), "subject", "\"x\x80y\""))).reason, "INVALID_UTF8");
}

TEST_F(IngestProcessorTest, InvalidUtf8InProtobufStringIsMalformedProtobuf) {
  voc::v1::RawTicket t = TicketProto();
  std::string bytes = t.SerializeAsString();
  const size_t at = bytes.find("crashes");
  ASSERT_NE(at, std::string::npos);
  bytes[at] = '\xff';  // same length, no longer UTF-8
  auto letter = Refuse(kTickets, bytes);
  EXPECT_EQ(letter.reason, "MALFORMED_PROTOBUF");
  EXPECT_THAT(letter.detail, HasSubstr("UTF-8"));
}

TEST_F(IngestProcessorTest, TenMegabyteRecordIsRecordTooLarge) {
  const std::string huge = Json(With(Ticket(), "body", "\"" + std::string(10 << 20, 'a') + "\""));
  auto letter = Refuse(kTickets, huge);
  EXPECT_EQ(letter.reason, "RECORD_TOO_LARGE");
  EXPECT_THAT(letter.detail, HasSubstr(std::to_string(huge.size())));
  EXPECT_THAT(letter.detail, HasSubstr("ingest.max_record_bytes"));

  // Raising the limit lets it through, with its text capped and flagged.
  options_.max_record_bytes = 16 << 20;
  auto f = Accept(kTickets, huge);
  EXPECT_TRUE(f.text_truncated());
  EXPECT_EQ(f.text().size(), options_.canonical.max_text_bytes);
}

TEST_F(IngestProcessorTest, AbsurdTimestampsAreOutOfRange) {
  for (const std::string& when : {std::string(R"("3000-01-01T00:00:00Z")"), std::string(R"("1970-01-02T00:00:00Z")"),
                                  std::string("32503680000000"), std::string("86400000"),
                                  std::string(R"("1999-12-31T23:59:59Z")"), std::string("-86400000"),
                                  std::string(R"("2025-06-02T00:00:01Z")")}) {  // a day and a second ahead
    auto letter = Refuse(kTickets, Json(With(Ticket(), "created_at", when)));
    EXPECT_EQ(letter.reason, "TIMESTAMP_OUT_OF_RANGE") << when;
    EXPECT_THAT(letter.detail, HasSubstr("created_at")) << when;
  }
  voc::v1::RawTicket t = TicketProto();
  t.set_created_at_ms(32503680000000);
  EXPECT_EQ(Refuse(kTickets, t.SerializeAsString()).reason, "TIMESTAMP_OUT_OF_RANGE");
  // The edges of the window are accepted.
  EXPECT_EQ(Accept(kTickets, Json(With(Ticket(), "created_at", R"("2000-01-01T00:00:00Z")"))).event_time_ms(),
            946684800000);
  EXPECT_EQ(Accept(kTickets, Json(With(Ticket(), "created_at", R"("2025-06-01T23:00:00Z")"))).event_time_ms(),
            kNowMs + 23 * 3600 * 1000);
}

TEST_F(IngestProcessorTest, UnparseableTimeIsInvalidField) {
  for (const std::string& when : {std::string(R"("yesterday")"), std::string(R"("2025-13-01T00:00:00Z")"),
                                  std::string(R"("2025-05-01T10:00:00")"), std::string("true")}) {
    auto letter = Refuse(kTickets, Json(With(Ticket(), "created_at", when)));
    EXPECT_EQ(letter.reason, "INVALID_FIELD") << when;
    EXPECT_THAT(letter.detail, HasSubstr("created_at")) << when;
  }
}

TEST_F(IngestProcessorTest, UnknownChannelIsRefused) {
  EXPECT_EQ(Refuse(kTickets, Json(With(Ticket(), "channel", R"("fax")"))).reason, "UNKNOWN_CHANNEL");
  EXPECT_EQ(Refuse("voc.raw.carrier-pigeons", Json(Ticket())).reason, "UNKNOWN_CHANNEL");

  voc::v1::RawTicket t = TicketProto();
  t.set_channel("fax");
  EXPECT_EQ(Refuse(kTickets, t.SerializeAsString()).reason, "UNKNOWN_CHANNEL");
  t.set_channel("survey");  // a RawTicket cannot be a survey answer
  EXPECT_EQ(Refuse(kTickets, t.SerializeAsString()).reason, "INVALID_FIELD");
  t.set_channel("ticket");
  EXPECT_EQ(Accept(kTickets, t.SerializeAsString()).channel(), voc::v1::CHANNEL_TICKET);

  // A topic that carries every channel: the record must say which.
  options_.inputs = {{"voc.raw.mixed", voc::v1::CHANNEL_UNSPECIFIED, Format::kAuto}};
  EXPECT_EQ(Refuse("voc.raw.mixed", Json(Ticket())).reason, "UNKNOWN_CHANNEL");
  EXPECT_EQ(Refuse("voc.raw.mixed", TicketProto().SerializeAsString()).reason, "UNKNOWN_CHANNEL");
  EXPECT_EQ(Accept("voc.raw.mixed", Json(With(Ticket(), "channel", R"("ticket")"))).channel(),
            voc::v1::CHANNEL_TICKET);
}

TEST_F(IngestProcessorTest, OutOfRangeScoresAreInvalidField) {
  const std::vector<std::tuple<const char*, Fields, const char*>> cases = {
      {kSurveys, With(Survey(), "nps", "11"), "nps"},     {kSurveys, With(Survey(), "nps", "-1"), "nps"},
      {kSurveys, With(Survey(), "nps", R"("ten")"), "nps"}, {kSurveys, With(Survey(), "csat", "0"), "csat"},
      {kSurveys, With(Survey(), "csat", "6"), "csat"},    {kReviews, With(Review(), "rating", "0"), "rating"},
      {kReviews, With(Review(), "rating", "6"), "rating"},
      {kTickets, With(Ticket(), "revision", "-1"), "revision"},
  };
  for (const auto& [topic, fields, field] : cases) {
    auto letter = Refuse(topic, Json(fields));
    EXPECT_EQ(letter.reason, "INVALID_FIELD") << Json(fields);
    EXPECT_THAT(letter.detail, HasSubstr(std::string("'") + field + "'")) << Json(fields);
  }
  for (const char* nps : {"0", "10"}) EXPECT_TRUE(Accept(kSurveys, Json(With(Survey(), "nps", nps))).survey().has_nps());
}

TEST_F(IngestProcessorTest, NormalisesTextToNfc) {
  // "e" + COMBINING ACUTE ACCENT, once as a JSON escape and once as raw UTF-8.
  auto escaped = Accept(kTickets, Json(With(Without(Ticket(), "subject"), "body", R"("Cafe\u0301 closed")")));
  EXPECT_EQ(escaped.text(), "Caf\xc3\xa9 closed");
  auto raw = Accept(kTickets, Json(With(Without(Ticket(), "subject"), "body", "\"Cafe\xcc\x81 closed\"")));
  EXPECT_EQ(raw.text(), "Caf\xc3\xa9 closed");
  // Already composed text is unchanged; protobuf text is normalised the same way.
  voc::v1::RawTicket t = TicketProto();
  t.clear_subject();
  t.set_body("A\xcc\x8a and \xc3\x85");  // A + COMBINING RING ABOVE, and U+00C5
  EXPECT_EQ(Accept(kTickets, t.SerializeAsString()).text(), "\xc3\x85 and \xc3\x85");
}

TEST_F(IngestProcessorTest, TrimsSurroundingWhitespace) {
  auto f = Accept(kTickets, Json(With(Without(Ticket(), "subject"), "body", R"("  \n\t It crashes \r\n ")")));
  EXPECT_EQ(f.text(), "It crashes");
  EXPECT_FALSE(f.text_truncated());
}

TEST_F(IngestProcessorTest, TruncatesTextOnUtf8BoundaryAndFlagsIt) {
  options_.canonical.max_text_bytes = 10;
  auto body = [](const std::string& text) { return Json(With(Without(Ticket(), "subject"), "body", "\"" + text + "\"")); };

  auto cut = Accept(kTickets, body("123456789\xc3\xa9"));  // 11 bytes; byte 10 is inside the é
  EXPECT_EQ(cut.text(), "123456789");
  EXPECT_TRUE(cut.text_truncated());

  auto euros = Accept(kTickets, body("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"));  // 4 x 3 bytes
  EXPECT_EQ(euros.text(), "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac");
  EXPECT_TRUE(euros.text_truncated());

  auto exact = Accept(kTickets, body("12345678\xc3\xa9"));  // exactly 10 bytes
  EXPECT_EQ(exact.text(), "12345678\xc3\xa9");
  EXPECT_FALSE(exact.text_truncated());

  // The cap applies to the normalised text: 9 composed bytes fit, 11 decomposed would not.
  auto composed = Accept(kTickets, body("1234567e\xcc\x81"));
  EXPECT_EQ(composed.text(), "1234567\xc3\xa9");
  EXPECT_FALSE(composed.text_truncated());
}

TEST(RawDecoder, ParsesRfc3339WithOffsetsAndFractions) {
  int64_t ms = 0;
  ASSERT_TRUE(ParseRfc3339("2025-05-01T10:00:00.250+02:00", &ms));
  EXPECT_EQ(ms, 1746086400250);
  ASSERT_TRUE(ParseRfc3339("2025-05-01T08:00:00.25Z", &ms));
  EXPECT_EQ(ms, 1746086400250);
  ASSERT_TRUE(ParseRfc3339("2025-05-01T03:30:00.250123-04:30", &ms));
  EXPECT_EQ(ms, 1746086400250);
  ASSERT_TRUE(ParseRfc3339("2024-02-29T00:00:00Z", &ms));
  EXPECT_EQ(ms, 1709164800000);
  for (const char* bad : {"2025-05-01", "2025-05-01T10:00:00", "2025-05-01T10:00:00+0200", "2025-05-01T25:00:00Z",
                          "2025-05-01T10:00:00.Z", "2025-05-01T10:00:00Zjunk", "not a time at all!!"}) {
    EXPECT_FALSE(ParseRfc3339(bad, &ms)) << bad;
  }
}

// Held-out hostile records (issue 11, item 9): each edge below once slipped through.

TEST_F(IngestProcessorTest, ImpossibleDatesAndOffsetsBeyondFourteenHoursAreInvalidFieldNotRolledOver) {
  // Each would otherwise roll into a real instant (2025-02-29 into March 1st, an hour 24
  // into the next day, +15:00 into the day before), several of them inside the window.
  for (const std::string& when :
       {std::string("2026-02-31T10:00:00Z"), std::string("2026-02-30T10:00:00Z"), std::string("2025-02-29T10:00:00Z"),
        std::string("2025-04-31T10:00:00Z"), std::string("2100-02-29T10:00:00Z"), std::string("2025-05-00T10:00:00Z"),
        std::string("2025-05-01T24:00:00Z"), std::string("2025-05-01T10:60:00Z"), std::string("2025-05-01T10:00:60Z"),
        std::string("2025-05-01T-1:00:00Z"), std::string("2025-05-01T10:00:00+14:01"),
        std::string("2025-05-01T10:00:00-14:30"), std::string("2025-05-01T10:00:00+15:00"),
        std::string("2025-05-01T10:00:00+02:60"), std::string("2025-05-01T10:00:00+99:00")}) {
    auto letter = Refuse(kTickets, Json(With(Ticket(), "created_at", "\"" + when + "\"")));
    EXPECT_EQ(letter.reason, "INVALID_FIELD") << when;
    EXPECT_THAT(letter.detail, HasSubstr("'created_at' = '" + when + "'")) << "names the field and the value";
  }
  auto feb = Refuse(kTickets, Json(With(Without(Ticket(), "created_at"), "createdAt", R"("2025-02-29T10:00:00Z")")));
  EXPECT_THAT(feb.detail, HasSubstr("'createdAt'")) << "the key as the record spells it";
  EXPECT_THAT(feb.detail, HasSubstr("day 29 does not exist in 2025-02"));
  EXPECT_THAT(Refuse(kTickets, Json(With(Ticket(), "created_at", R"("2025-05-01T10:00:00+15:00")"))).detail,
              HasSubstr("-14:00 to +14:00"));
  // The real edges are accepted: leap days, the widest offsets in use, the last second.
  EXPECT_EQ(Accept(kTickets, Json(With(Ticket(), "created_at", R"("2024-02-29T12:00:00Z")"))).event_time_ms(),
            1709208000000);
  EXPECT_EQ(Accept(kTickets, Json(With(Ticket(), "created_at", R"("2025-05-02T14:00:00+14:00")"))).event_time_ms(),
            kMay2Ms);
  EXPECT_EQ(Accept(kTickets, Json(With(Ticket(), "created_at", R"("2025-05-01T10:00:00-14:00")"))).event_time_ms(),
            kMay2Ms);
  EXPECT_EQ(Accept(kTickets, Json(With(Ticket(), "created_at", R"("2025-05-01T23:59:59.999Z")"))).event_time_ms(),
            kMay2Ms - 1);
}

TEST(RawDecoder, ParseRfc3339SaysWhichPartNamesNoInstant) {
  int64_t ms = 7;
  std::string error;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"2026-02-31T00:00:00Z", "day 31 does not exist in 2026-02, which has 28 days"},
      {"2024-02-30T00:00:00Z", "day 30 does not exist in 2024-02, which has 29 days"},
      {"2000-02-30T00:00:00Z", "day 30 does not exist in 2000-02, which has 29 days"},
      {"2025-00-10T00:00:00Z", "month 00 does not exist"},
      {"2025-05-01T23:59:60Z", "second 60"},
      {"2025-05-01T00:00:00-14:01", "UTC offset -14:01 is outside -14:00 to +14:00"},
      {"+025-05-01T00:00:00Z", "not of the form"},
      {"2025-05-01T00:00:00+1:00", "+HH:MM"},
  };
  for (const auto& [text, why] : cases) {
    error.clear();
    EXPECT_FALSE(ParseRfc3339(text, &ms)) << text;
    EXPECT_FALSE(ParseRfc3339(text, &ms, &error)) << text;
    EXPECT_THAT(error, HasSubstr(why)) << text;
  }
  EXPECT_EQ(ms, 7) << "a refusal leaves the output alone";
  ASSERT_TRUE(ParseRfc3339("2000-02-29T00:00:00+14:00", &ms, &error));
  EXPECT_EQ(ms, 951782400000 - 14 * 3600 * 1000);
  ASSERT_TRUE(ParseRfc3339("1999-12-31T23:59:59-00:00", &ms));
  EXPECT_EQ(ms, 946684799000);
}

TEST_F(IngestProcessorTest, JsonStartingWithAByteOrderMarkIsJson) {
  const std::string bom = "\xEF\xBB\xBF";
  EXPECT_EQ(Accept(kTickets, bom + Json(Ticket())).external_id(), "T-100");  // auto
  EXPECT_EQ(Accept(kTickets, bom + "\r\n " + Json(Ticket())).external_id(), "T-100");
  EXPECT_EQ(Accept(kSurveys, bom + Json(Survey())).external_id(), "R-7");
  options_.inputs = {{kTickets, voc::v1::CHANNEL_TICKET, Format::kJson},
                     {kReviews, voc::v1::CHANNEL_REVIEW, Format::kProtobuf}};
  EXPECT_EQ(Accept(kTickets, bom + Json(Ticket())).external_id(), "T-100");  // a JSON topic
  EXPECT_EQ(Accept(kReviews, bom + Json(Review()), "application/json").external_id(), "98765");  // the header says so
  // Only a whole mark at the very start is one: anything else stays what it was.
  EXPECT_EQ(Refuse(kTickets, "\xEF\xBB" + Json(Ticket())).reason, "MALFORMED_JSON");
  EXPECT_EQ(Refuse(kTickets, " " + bom + Json(Ticket())).reason, "MALFORMED_JSON");
}

TEST_F(IngestProcessorTest, CustomerIdTooLongForAggregateKeysIsRefusedAtIngest) {
  const std::string longest(kMaxCustomerIdBytes, 'c');
  EXPECT_EQ(Accept(kTickets, Json(With(Ticket(), "customer_id", "\"" + longest + "\""))).customer_id(), longest);
  auto letter = Refuse(kTickets, Json(With(Ticket(), "customer_id", "\"" + longest + "c\"")));
  EXPECT_EQ(letter.reason, "INVALID_FIELD");
  EXPECT_THAT(letter.detail, HasSubstr("'customer_id'"));
  EXPECT_THAT(letter.detail, HasSubstr(std::to_string(kMaxCustomerIdBytes + 1) + " bytes"));
  EXPECT_THAT(letter.detail, HasSubstr(std::to_string(kMaxCustomerIdBytes)));
  EXPECT_LT(letter.detail.size(), 200u) << "the detail does not copy the id";

  voc::v1::RawSurveyResponse s;
  s.set_response_id("R-1");
  s.set_customer_id(longest + "c");
  s.set_submitted_at_ms(kMay2Ms);
  s.set_nps(5);
  EXPECT_EQ(Refuse(kSurveys, s.SerializeAsString()).reason, "INVALID_FIELD");
  // A review without a customer stands for its author, and that id is held to the limit too.
  auto anonymous = Refuse(kReviews, Json(With(Without(Review(), "customer_id"), "author_id", "\"" + longest + "\"")));
  EXPECT_EQ(anonymous.reason, "INVALID_FIELD");
  EXPECT_THAT(anonymous.detail, HasSubstr("author_id"));
}

TEST_F(IngestProcessorTest, DuplicateKeysAreMalformedJsonInEveryShape) {
  struct Case {
    const char* topic;
    Fields fields;
    std::string named, also_named = "";
  };
  auto twice = [](Fields fields, const std::string& name, const std::string& value) {
    fields.emplace_back(name, value);
    return fields;
  };
  const std::vector<Case> cases = {
      // The same key twice, with another value or the same one.
      {kTickets, twice(Ticket(), "customer_id", R"("C-evil")"), "'customer_id'"},
      {kTickets, twice(Ticket(), "body", R"("It crashes when I pay")"), "'body'"},
      {kSurveys, twice(Survey(), "nps", "10"), "'nps'"},
      {kReviews, twice(Review(), "rating", "5"), "'rating'"},
      // Keys compare as JSON reads them: an escape is the same key.
      {kReviews, twice(Review(), "review\\u005fid", R"("other")"), "'review_id'"},
      // Keys that name no field and the channel follow the same rule.
      {kTickets, twice(twice(Ticket(), "x_note", "1"), "x_note", "2"), "'x_note'"},
      {kSurveys, twice(twice(Survey(), "channel", R"("survey")"), "channel", R"("ticket")"), "'channel'"},
      // One field under two of its names.
      {kTickets, twice(Ticket(), "customerId", R"("C-evil")"), "'customer_id'", "'customerId'"},
      {kSurveys, twice(Survey(), "submitted_at", R"("2025-05-02T00:00:00Z")"), "'submitted_at'", "'submittedAtMs'"},
      {kTickets, twice(Ticket(), "created_at_ms", "1746144000000"), "'created_at'", "'created_at_ms'"},
  };
  for (const auto& c : cases) {
    auto letter = Refuse(c.topic, Json(c.fields));
    EXPECT_EQ(letter.reason, "MALFORMED_JSON") << Json(c.fields);
    EXPECT_THAT(letter.detail, HasSubstr(c.named)) << Json(c.fields);
    EXPECT_THAT(letter.detail, HasSubstr(c.also_named)) << Json(c.fields);
  }
  // A hostile key is named, not copied whole.
  const std::string huge(100'000, 'k');
  auto letter = Refuse(kTickets, Json(twice(twice(Ticket(), huge, "1"), huge, "2")));
  EXPECT_EQ(letter.reason, "MALFORMED_JSON");
  EXPECT_LT(letter.detail.size(), 200u);
}

TEST_F(IngestProcessorTest, WhitespaceOnlySurveyCommentIsTheSameAsNoComment) {
  using google::protobuf::util::MessageDifferencer;
  for (const std::string& blank : {std::string(R"("")"), std::string(R"(" ")"), std::string(R"(" \n\t\r ")"),
                                   std::string(R"("\u00a0\u3000\u2003\u2028")")}) {
    const auto none = Accept(kSurveys, Json(Without(Survey(), "comment")));
    const auto white = Accept(kSurveys, Json(With(Survey(), "comment", blank)));
    EXPECT_TRUE(MessageDifferencer::Equals(none, white)) << blank << ":\n" << none.DebugString() << "vs\n"
                                                          << white.DebugString();
    EXPECT_EQ(white.text(), "");
    // Without a score, neither says anything: both are the same missing comment.
    const auto no_score = Without(Without(Survey(), "nps"), "csat");
    const auto missing = Refuse(kSurveys, Json(Without(no_score, "comment")));
    const auto blank_letter = Refuse(kSurveys, Json(With(no_score, "comment", blank)));
    EXPECT_EQ(missing.reason, "MISSING_FIELD");
    EXPECT_EQ(blank_letter.reason, missing.reason) << blank;
    EXPECT_EQ(blank_letter.detail, missing.detail) << blank;
  }
  voc::v1::RawSurveyResponse s;
  s.set_response_id("R-8");
  s.set_customer_id("C-3");
  s.set_submitted_at_ms(kMay2Ms);
  s.set_csat(4);
  const auto none = Accept(kSurveys, s.SerializeAsString());
  s.set_comment("\t \xe3\x80\x80\n");  // a tab, an ideographic space, a newline
  EXPECT_TRUE(MessageDifferencer::Equals(none, Accept(kSurveys, s.SerializeAsString())));
}

TEST_F(IngestProcessorTest, TrimsUnicodeWhiteSpaceAsWellAsAscii) {
  auto f = Accept(kSurveys, Json(With(Survey(), "comment", R"("\u00a0\u3000 Too slow\u2003\u202f\n")")));
  EXPECT_EQ(f.text(), "Too slow");
  // Inside the text it stays, and other characters at the ends stay too.
  auto inner = Accept(kSurveys, Json(With(Survey(), "comment", R"("Too\u00a0slow \u00e2")")));
  EXPECT_EQ(inner.text(), "Too\xc2\xa0slow \xc3\xa2");
}

}  // namespace
}  // namespace voc::ingest
