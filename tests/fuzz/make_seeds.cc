// Writes the seed corpus of every fuzz target into tests/fuzz/seeds/<target>/ (committed;
// run again after changing it): real feedback from data/samples, every channel's documented
// JSON shape, serialized protobufs of each message, stored state of each kind, and the
// bad-input cases the unit tests already have. Usage: voc_fuzz_make_seeds SEEDS_DIR
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "common/core/json.h"
#include "services/aggregate/aggregate_processor.h"
#include "tests/fuzz/processor.h"
#include "tests/runtime/test_util.h"
#include "voc/state/v1/state.pb.h"
#include "voc/v1/customer.pb.h"
#include "voc/v1/enriched.pb.h"
#include "voc/v1/feedback.pb.h"
#include "voc/v1/raw.pb.h"
#include "voc/v1/theme.pb.h"

namespace {

namespace fs = std::filesystem;
using voc::fuzz::kRecordSeparator;
using voc::test::Numbered;

constexpr int64_t kT0 = voc::fuzz::state_seed::kT0;

class Seeds {
 public:
  Seeds(const fs::path& root, const std::string& target) : dir_(root / target) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void Add(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
    ++count_;
  }
  size_t count() const { return count_; }

 private:
  fs::path dir_;
  size_t count_ = 0;
};

std::vector<std::string> SampleLines(const std::string& file, size_t n) {
  std::ifstream in(std::string(VOC_SOURCE_DIR) + "/data/samples/" + file);
  std::vector<std::string> lines;
  for (std::string line; lines.size() < n && std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

std::string FileText(const std::string& path) {
  std::ifstream in(std::string(VOC_SOURCE_DIR) + "/" + path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string Quoted(const std::string& s) {
  std::string out;
  voc::AppendJsonString(s, &out);
  return out;
}

std::string Joined(const std::vector<std::string>& records) {
  std::string out;
  for (const auto& r : records) {
    if (!out.empty()) out += kRecordSeparator;
    out += r;
  }
  return out;
}

// ingest_raw's selector byte: topic (0 tickets, 1 surveys, 2 reviews, 3 every channel),
// format (0 auto, 1 json, 2 protobuf), content type (0 none, 1 JSON, 2 protobuf, 3 other),
// small limits.
std::string Sel(int topic, int format = 0, int content_type = 0, bool small = false) {
  return std::string(1, static_cast<char>(topic | (format << 2) | (content_type << 4) | (small ? 0x40 : 0)));
}

void IngestSeeds(const fs::path& root) {
  Seeds s(root, "ingest_raw");
  // The documented shapes (README, the ingest tests), snake_case and lowerCamelCase.
  const std::string ticket =
      R"({"source_system":"zendesk","ticket_id":"T-1001","customer_id":"cust-0042","created_at":"2026-11-20T10:00:00Z",)"
      R"("revision":1,"subject":"App crashes","body":"It crashes when I open settings","priority":"high"})";
  const std::string ticket_all =
      R"({"source_system":"zendesk","ticket_id":"T-100","customer_id":"C-1","created_at":"2025-05-01T10:00:00.250+02:00",)"
      R"("updated_at_ms":1746086400250,"subject":"Checkout","body":"It crashes when I pay","priority":"high",)"
      R"("status":"open","product":"web","revision":2,"channel":"ticket"})";
  const std::string survey =
      R"({"sourceSystem":"qualtrics","responseId":"R-7","surveyId":"S-1","customerId":"C-2","submittedAtMs":1746144000000,)"
      R"("nps":3,"csat":2,"comment":"Too slow","revision":1})";
  const std::string survey_scores = R"({"response_id":"R-8","customer_id":"C-3","submitted_at":"2026-11-01T08:30:00Z","nps":10})";
  const std::string review =
      R"({"source_system":"googleplay","review_id":98765,"customer_id":4242,"author_id":"a-1","store":"googleplay",)"
      R"("app_id":"com.example","app_version":"3.2.1","rating":4,"title":"Nice","body":"Works well","locale":"en-US",)"
      R"("reviewed_at":1746144000000,"revision":1})";
  const std::string review_anon =
      R"({"reviewId":"rv-1","authorId":"u-9","store":"appstore","appVersion":"4.0","rating":1,"body":"Crashes on start",)"
      R"("reviewedAt":"2026-11-02T23:59:59.999-05:00","channel":"review"})";
  s.Add("ticket-json", Sel(0) + ticket);
  s.Add("ticket-all-fields-json", Sel(0, 1) + ticket_all);
  s.Add("ticket-json-content-type", Sel(0, 2, 1) + ticket);
  s.Add("ticket-json-bom", Sel(0) + "\xEF\xBB\xBF  \n" + ticket);
  s.Add("ticket-mixed-topic", Sel(3) + ticket_all);
  s.Add("survey-json", Sel(1) + survey);
  s.Add("survey-scores-only", Sel(1, 1) + survey_scores);
  s.Add("survey-blank-comment", Sel(1) + R"({"response_id":"R-9","customer_id":"C-4","submitted_at_ms":1746144000000,"csat":5,"comment":" \u00a0\u3000 "})");
  s.Add("review-json", Sel(2) + review);
  s.Add("review-anonymous", Sel(2, 0, 3) + review_anon);
  s.Add("review-mixed-topic", Sel(3, 1) + review_anon);
  s.Add("ticket-small-limits", Sel(0, 0, 0, true) + ticket);
  s.Add("nfc", Sel(0) + R"({"ticket_id":"T-2","customer_id":"C","created_at_ms":1746144000000,"body":"Cafe\u0301 \u00c5 A\u030a \ud83d\ude00"})");
  s.Add("unicode-spaces", Sel(0) + "{\"ticket_id\":\"T-3\",\"customer_id\":\"C\",\"createdAtMs\":1746144000000,\"body\":\"\u2003 It crashes \u3000\"}");
  s.Add("escaped-keys", Sel(0) + R"({"ticket\u005fid":"T-4","customer_id":"C","created_at":"2026-02-28T23:59:59+14:00","body":"x"})");
  // Protobufs of each channel.
  voc::v1::RawTicket t;
  t.set_source_system("zendesk");
  t.set_ticket_id("T-100");
  t.set_customer_id("C-1");
  t.set_created_at_ms(1746086400250);
  t.set_revision(2);
  t.set_subject("Checkout");
  t.set_body("It crashes when I pay");
  t.set_priority("high");
  t.set_status("open");
  t.set_product("web");
  s.Add("ticket-proto", Sel(0) + t.SerializeAsString());
  s.Add("ticket-proto-forced", Sel(0, 2, 2) + t.SerializeAsString());
  t.set_channel("ticket");
  s.Add("ticket-proto-channel", Sel(0, 0, 2) + t.SerializeAsString());
  voc::v1::RawSurveyResponse sv;
  sv.set_source_system("qualtrics");
  sv.set_response_id("R-7");
  sv.set_survey_id("S-1");
  sv.set_customer_id("C-2");
  sv.set_submitted_at_ms(1746144000000);
  sv.set_nps(0);
  sv.set_csat(5);
  sv.set_comment("Too slow to load");
  s.Add("survey-proto", Sel(1) + sv.SerializeAsString());
  voc::v1::RawAppReview rv;
  rv.set_source_system("appstore");
  rv.set_review_id("98765");
  rv.set_author_id("a-1");
  rv.set_store("appstore");
  rv.set_app_id("com.example");
  rv.set_app_version("3.2.1");
  rv.set_rating(5);
  rv.set_title("Love it");
  rv.set_body("Best app");
  rv.set_locale("en-US");
  rv.set_reviewed_at_ms(1746144000000);
  rv.set_revision(3);
  s.Add("review-proto", Sel(2, 2) + rv.SerializeAsString());
  // Real feedback: each sample text as each channel would carry it.
  int n = 0;
  for (const auto& line : SampleLines("app-reviews.txt", 20)) {
    rv.set_body(line);
    rv.set_review_id(Numbered("s-", n));
    s.Add(Numbered("sample-review-proto-", n), Sel(2) + rv.SerializeAsString());
    s.Add(Numbered("sample-review-json-", n),
          Sel(2, 1) + Numbered(R"({"review_id":"s-)", n) + R"(","store":"googleplay","rating":2,"body":)" +
              Quoted(line) + R"(,"reviewed_at":"2026-11-20T10:00:00Z"})");
    ++n;
  }
  for (const auto& line : SampleLines("forum-sentences.txt", 20)) {
    s.Add(Numbered("sample-ticket-json-", n), Sel(0) + Numbered(R"({"ticket_id":"f-)", n) +
                                                         R"(","customer_id":"cust-7","created_at_ms":1795600000000,"body":)" +
                                                         Quoted(line) + "}");
    sv.set_comment(line);
    s.Add(Numbered("sample-survey-proto-", n), Sel(1, 2) + sv.SerializeAsString());
    ++n;
  }
  // The bad inputs of the ingest tests.
  const std::string proto = t.SerializeAsString();
  s.Add("bad-truncated-proto", Sel(0) + proto.substr(0, proto.size() - 2));
  s.Add("bad-varint", Sel(0) + std::string("\x0a\xff\xff\xff\xff\x0f", 6));
  s.Add("bad-json-unclosed", Sel(0) + R"({"ticket_id": "T-1", )");
  s.Add("bad-json-bare-word", Sel(0, 1) + R"({"ticket_id": T-1})");
  s.Add("bad-json-trailing", Sel(0) + R"({"ticket_id": "T-1"} trailing)");
  s.Add("bad-json-array", Sel(0) + "[" + ticket + "]");
  s.Add("bad-json-string", Sel(0, 1) + R"("just a string")");
  s.Add("bad-duplicate-key", Sel(0) + R"({"ticket_id":"T-1","ticket_id":"T-2","customer_id":"C","created_at_ms":1746144000000,"body":"x"})");
  s.Add("bad-two-names", Sel(1) + R"({"response_id":"R","customer_id":"C","customerId":"D","submitted_at_ms":1746144000000,"nps":1})");
  s.Add("bad-utf8", Sel(0) + "{\"ticket_id\":\"T\",\"customer_id\":\"C\",\"created_at_ms\":1746144000000,\"body\":\"bad \xff\xfe \xc0\xaf\"}");
  std::string bad_utf8_proto = proto;
  bad_utf8_proto[bad_utf8_proto.find("crashes")] = '\xff';
  s.Add("bad-utf8-proto", Sel(0) + bad_utf8_proto);
  s.Add("bad-too-large", Sel(0, 0, 0, true) + R"({"ticket_id":"T","customer_id":"C","created_at_ms":1746144000000,"body":")" +
                             std::string(1100, 'a') + "\"}");
  s.Add("bad-time-future", Sel(0) + R"({"ticket_id":"T","customer_id":"C","created_at":"3000-01-01T00:00:00Z","body":"x"})");
  s.Add("bad-time-1999", Sel(0) + R"({"ticket_id":"T","customer_id":"C","created_at":"1999-12-31T23:59:59Z","body":"x"})");
  s.Add("bad-time-feb30", Sel(0) + R"({"ticket_id":"T","customer_id":"C","created_at":"2026-02-30T10:00:00Z","body":"x"})");
  s.Add("bad-time-offset", Sel(0) + R"({"ticket_id":"T","customer_id":"C","created_at":"2026-01-01T10:00:00+14:01","body":"x"})");
  s.Add("bad-time-word", Sel(0) + R"({"ticket_id":"T","customer_id":"C","created_at":"yesterday","body":"x"})");
  s.Add("bad-channel", Sel(0) + R"({"channel":"fax","ticket_id":"T","customer_id":"C","created_at_ms":1746144000000,"body":"x"})");
  s.Add("bad-no-channel", Sel(3) + ticket);
  s.Add("bad-nps", Sel(1) + R"({"response_id":"R","customer_id":"C","submitted_at_ms":1746144000000,"nps":11})");
  s.Add("bad-rating", Sel(2) + R"({"review_id":"R","rating":6,"body":"x","reviewed_at_ms":1746144000000})");
  s.Add("bad-revision", Sel(0) + R"({"ticket_id":"T","customer_id":"C","created_at_ms":1746144000000,"body":"x","revision":-1})");
  s.Add("bad-missing-body", Sel(0) + R"({"ticket_id":"T","customer_id":"C","created_at_ms":1746144000000,"body":" \n\t "})");
  s.Add("bad-null-id", Sel(0) + R"({"ticket_id":null,"customer_id":"C","created_at_ms":1746144000000,"body":"x"})");
  t.set_channel("survey");
  s.Add("bad-proto-channel", Sel(0) + t.SerializeAsString());
  std::cout << "ingest_raw: " << s.count() << "\n";
}

voc::v1::Feedback Feedback(const std::string& id, uint32_t revision, const std::string& text,
                           const std::string& customer = "cust-1", int64_t t = kT0) {
  voc::v1::Feedback f;
  f.set_schema_version(1);
  f.set_feedback_id(id);
  f.set_source_revision(revision);
  f.set_channel(voc::v1::CHANNEL_TICKET);
  f.set_source_system("zendesk");
  f.set_external_id("T-" + id);
  f.set_customer_id(customer);
  f.set_event_time_ms(t);
  f.set_text(text);
  f.mutable_ticket()->set_priority("normal");
  f.mutable_meta()->set_service("voc-ingest");
  f.mutable_meta()->set_source_timestamp_ms(t + 5);
  return f;
}

void EnrichSeeds(const fs::path& root) {
  Seeds s(root, "enrich_feedback");
  const std::string crash_battery = "The app crashes every time I open it and the battery drains in an hour.";
  const std::string long_text =
      "The quarterly export to the spreadsheet keeps failing halfway through and I have to start it again each week.";
  s.Add("ticket", Feedback("a1", 1, crash_battery).SerializeAsString());
  auto survey = Feedback("a2", 1, "Support never answered and I will cancel my subscription and sue you.", "cust-2");
  survey.set_channel(voc::v1::CHANNEL_SURVEY);
  survey.mutable_survey()->set_survey_id("S-1");
  survey.mutable_survey()->set_nps(2);
  survey.mutable_survey()->set_csat(1);
  s.Add("survey-urgent", survey.SerializeAsString());
  auto scores = survey;
  scores.set_text("");
  s.Add("survey-scores-only", scores.SerializeAsString());
  auto review = Feedback("a3", 1, "Love the new design, so fast!", "anon:appstore:u1");
  review.set_channel(voc::v1::CHANNEL_REVIEW);
  review.mutable_review()->set_rating(5);
  review.mutable_review()->set_app_version("3.2.1");
  s.Add("review", review.SerializeAsString());
  s.Add("pii", Feedback("a4", 1, "Call me on +44 20 7946 0958 or a@b.co, card 4111 1111 1111 1111, IBAN DE89 3704 "
                                 "0044 0532 0130 00, from 10.0.0.12")
                   .SerializeAsString());
  // Revisions: an update that drops a theme, then the stale first revision again.
  s.Add("revisions", Joined({Feedback("b1", 1, crash_battery).SerializeAsString(),
                             Feedback("b1", 2, "The app crashes every time I open it.").SerializeAsString(),
                             Feedback("b1", 1, crash_battery).SerializeAsString()}));
  s.Add("exact-duplicate", Joined({Feedback("b2", 1, crash_battery).SerializeAsString(),
                                   Feedback("b2", 1, crash_battery).SerializeAsString()}));
  s.Add("same-revision-new-text", Joined({Feedback("b3", 1, crash_battery).SerializeAsString(),
                                          Feedback("b3", 1, "Nothing works.").SerializeAsString()}));
  s.Add("customer-moved", Joined({Feedback("b4", 1, crash_battery, "cust-1").SerializeAsString(),
                                  Feedback("b4", 2, crash_battery, "cust-2").SerializeAsString()}));
  s.Add("near-duplicate", Joined({Feedback("c1", 1, long_text).SerializeAsString(),
                                  Feedback("c2", 1, long_text + "!!").SerializeAsString(),
                                  Feedback("c3", 1, long_text, "cust-9").SerializeAsString(),
                                  Feedback("c4", 1, long_text, "cust-1", kT0 + 8 * 86'400'000LL).SerializeAsString()}));
  // An earlier text that arrives late becomes the original of the ones emitted before it,
  // which go out again with their new role; then a revision that frees them.
  s.Add("late-original", Joined({Feedback("e2", 1, long_text, "cust-1", kT0 + 2000).SerializeAsString(),
                                 Feedback("e3", 1, long_text + "!!", "cust-1", kT0 + 3000).SerializeAsString(),
                                 Feedback("e1", 1, long_text, "cust-1", kT0 + 1000).SerializeAsString(),
                                 Feedback("e1", 2, crash_battery, "cust-1", kT0 + 1000).SerializeAsString()}));
  int n = 0;
  for (const auto& line : SampleLines("app-reviews.txt", 15)) {
    s.Add(Numbered("sample-", n), Feedback(Numbered("s", n), 1, line, Numbered("cust-", n % 3))
                                             .SerializeAsString());
    ++n;
  }
  s.Add("bad-malformed", "\x0a\xff\xff\xff\xff\x0f");
  s.Add("bad-missing-id", Feedback("", 1, "x").SerializeAsString());
  s.Add("bad-missing-time", Feedback("d1", 1, "x", "cust-1", 0).SerializeAsString());
  std::string bad_utf8 = Feedback("d2", 1, "crashes").SerializeAsString();
  bad_utf8[bad_utf8.find("crashes")] = '\xff';
  s.Add("bad-utf8", bad_utf8);
  std::cout << "enrich_feedback: " << s.count() << "\n";
}

voc::v1::ThemeMention Mention(const std::string& id, uint32_t revision, int64_t t, const std::string& theme = "ux.design",
                              const std::string& customer = "c1", int64_t arr = 1000,
                              voc::v1::Channel channel = voc::v1::CHANNEL_SURVEY) {
  voc::v1::ThemeMention m;
  m.set_schema_version(1);
  m.set_theme_id(theme);
  m.set_theme_path("UX > Design");
  m.set_feedback_id(id);
  m.set_revision(revision);
  m.set_channel(channel);
  m.set_customer_id(customer);
  m.set_event_time_ms(t);
  m.set_sentiment_scored(true);
  m.set_sentiment(-0.5);
  m.set_nps(3);
  m.set_csat(2);
  m.set_arr(arr);
  m.set_segment("enterprise");
  m.mutable_meta()->set_source_timestamp_ms(t + 100);
  return m;
}

void AggregateSeeds(const fs::path& root) {
  Seeds s(root, "aggregate_mentions");
  constexpr int64_t kHour = 3'600'000;
  s.Add("one", Mention("a", 1, kT0 + 10).SerializeAsString());
  auto plain = Mention("b", 1, kT0 + 20, "reliability.crashes", "c2", 0, voc::v1::CHANNEL_TICKET);
  plain.clear_nps();
  plain.clear_csat();
  plain.set_sentiment_scored(false);
  plain.set_near_duplicate(true);
  s.Add("ticket-unscored", plain.SerializeAsString());
  s.Add("two-customers", Joined({Mention("a", 1, kT0 + 10).SerializeAsString(),
                                 Mention("b", 1, kT0 + 20, "ux.design", "c2", 500).SerializeAsString(),
                                 Mention("c", 1, kT0 + 30, "ux.design", "c1", 3000).SerializeAsString()}));
  s.Add("new-revision-moves", Joined({Mention("a", 1, kT0 + 10).SerializeAsString(),
                                      Mention("a", 2, kT0 + kHour + 10).SerializeAsString(),
                                      Mention("a", 1, kT0 + 10).SerializeAsString()}));
  auto retract = Mention("a", 2, kT0 + 10);
  retract.set_retracted(true);
  s.Add("retraction", Joined({Mention("a", 1, kT0 + 10).SerializeAsString(),
                              Mention("b", 1, kT0 + 20).SerializeAsString(), retract.SerializeAsString()}));
  s.Add("retraction-first", retract.SerializeAsString());
  s.Add("closes-and-corrects", Joined({Mention("a", 1, kT0 + 10).SerializeAsString(),
                                       Mention("b", 1, kT0 + 3 * kHour).SerializeAsString(),
                                       Mention("c", 1, kT0 + 20).SerializeAsString()}));
  s.Add("too-late", Joined({Mention("a", 1, kT0 + 40LL * 24 * kHour).SerializeAsString(),
                            Mention("b", 1, kT0).SerializeAsString()}));
  auto promoter = Mention("p", 1, kT0 + 50, "ux.design", "c3", 10, voc::v1::CHANNEL_REVIEW);
  promoter.set_nps(9);
  promoter.set_sentiment(0.9);
  s.Add("many-examples", Joined({Mention("e5", 1, kT0).SerializeAsString(), Mention("e4", 1, kT0).SerializeAsString(),
                                 Mention("e3", 1, kT0).SerializeAsString(), Mention("e2", 1, kT0).SerializeAsString(),
                                 Mention("e1", 1, kT0).SerializeAsString(), promoter.SerializeAsString()}));
  s.Add("bad-malformed", "\x0a\xff\xff\xff\xff\x0f");
  s.Add("bad-missing", Mention("", 1, kT0).SerializeAsString());
  s.Add("bad-revision-0", Mention("a", 0, kT0).SerializeAsString());
  s.Add("bad-channel", Mention("a", 1, kT0, "ux.design", "c1", 1, voc::v1::CHANNEL_UNSPECIFIED).SerializeAsString());
  s.Add("bad-theme-too-long", Mention("a", 1, kT0, std::string(300, 't')).SerializeAsString());
  std::cout << "aggregate_mentions: " << s.count() << "\n";
}

void StateSeeds(const fs::path& root) {
  namespace ss = voc::fuzz::state_seed;
  Seeds s(root, "state_values");
  const auto sel = [](uint8_t slot, uint8_t variant = 0) {
    return std::string(1, static_cast<char>(slot + ss::kSlots * variant));
  };
  voc::state::v1::DedupeEntry dedupe;
  dedupe.set_source_revision(1);
  dedupe.set_fingerprint(0x1234567890abcdefULL);
  dedupe.set_revision(1);
  dedupe.add_theme_ids("performance.speed");
  dedupe.add_theme_ids("data.export");
  dedupe.set_event_time_ms(kT0 + 10);
  dedupe.set_customer_id(ss::kCustomer);
  s.Add("dedupe", sel(ss::kEnrichDedupe) + dedupe.SerializeAsString());
  dedupe.set_customer_id("cust-0");
  dedupe.set_source_revision(5);
  s.Add("dedupe-newer-other-customer", sel(ss::kEnrichDedupe) + dedupe.SerializeAsString());
  voc::state::v1::NearDuplicateIndex index;  // by (event time, feedback id)
  for (int i = 2; i >= 0; --i) {
    index.add_simhash(0x0f0f0f0f0f0f0f0fULL + static_cast<uint64_t>(i));
    index.add_event_time_ms(kT0 + 10 - i * 1000);
    index.add_feedback_id(i == 0 ? ss::kFeedbackId : Numbered("other-", i));
    index.add_duplicate_of(i == 0 ? "other-2" : "");
  }
  s.Add("neardup", sel(ss::kEnrichNearDuplicates) + index.SerializeAsString());
  // A latest entry whose earlier entry is gone (its TTL ran out first), one text forgotten.
  index.set_has_earlier(true);
  index.set_earlier_forgotten(1);
  s.Add("neardup-earlier-gone", sel(ss::kEnrichNearDuplicates) + index.SerializeAsString());
  index.clear_has_earlier();
  index.clear_earlier_forgotten();
  index.add_simhash(1);  // arrays of different lengths
  s.Add("neardup-ragged", sel(ss::kEnrichNearDuplicates) + index.SerializeAsString());
  voc::v1::CustomerProfile profile;
  profile.set_schema_version(1);
  profile.set_customer_id(ss::kCustomer);
  profile.set_segment("enterprise");
  profile.set_plan("enterprise");
  profile.set_arr(250'000);
  s.Add("customer", sel(ss::kEnrichCustomer) + profile.SerializeAsString());
  voc::state::v1::Contribution c;  // revision 1 of the feedback the fixed mention revises
  c.set_feedback_id(ss::kFeedbackId);
  c.set_revision(1);
  c.set_event_time_ms(kT0 + 10);
  c.set_channel(voc::v1::CHANNEL_SURVEY);
  c.set_sentiment_scored(true);
  c.set_sentiment_micros(-600'000);
  c.set_nps(3);
  c.set_csat(0);
  c.set_arr(250'000);
  c.set_applied_offset(1);
  s.Add("contribution", sel(ss::kAggregateContribution) + c.SerializeAsString());
  c.set_retracted(true);
  s.Add("contribution-retracted", sel(ss::kAggregateContribution) + c.SerializeAsString());
  voc::state::v1::Span span;  // the customer in the contribution's hour and day, with one more
  for (int64_t count : {2, 0, 2, 0}) span.add_counts(count);
  auto* rollup = span.add_rollups();
  rollup->set_rollup(1);
  rollup->set_value("enterprise");
  rollup->set_count(2);
  for (int64_t offset : {1, 2}) {
    span.add_credit_offsets(offset);
    span.add_credit_arrs(250'000 * offset);
  }
  voc::state::v1::SpanGroup spans;  // the customer's spans within the day
  for (int64_t size : {int64_t{3'600'000}, int64_t{86'400'000}}) {
    auto* sized = spans.add_spans();
    sized->set_size_ms(size);
    sized->set_start_ms(kT0);
    *sized->mutable_span() = span;
  }
  s.Add("span", sel(ss::kAggregateSpan) + spans.SerializeAsString());
  voc::state::v1::SpanGroup day;  // only the day's: the hour's is missing
  *day.add_spans() = spans.spans(1);
  s.Add("span-day", sel(ss::kAggregateSpan) + day.SerializeAsString());
  spans.mutable_spans(0)->mutable_span()->add_credit_offsets(3);  // ragged
  s.Add("span-ragged", sel(ss::kAggregateSpan) + spans.SerializeAsString());
  voc::state::v1::WindowState window;
  window.set_theme_id(ss::kTheme);
  window.set_theme_path("Performance > Speed");
  window.set_channel(0);
  window.set_window_start_ms(kT0);
  window.set_window_size_ms(3'600'000);
  window.set_volume(2);
  window.set_unique_volume(2);
  window.set_unique_customers(1);
  window.set_sentiment_count(2);
  window.set_sentiment_sum_micros(-1'200'000);
  window.set_negative(2);
  window.set_nps_responses(2);
  window.set_detractors(2);
  window.set_arr_affected(250'000);
  window.add_examples(ss::kFeedbackId);
  s.Add("window", sel(ss::kAggregateWindow) + window.SerializeAsString());
  window.clear_examples();
  window.set_closed(true);
  s.Add("window-closed-no-examples", sel(ss::kAggregateWindow, 0) + window.SerializeAsString());
  window.set_channel(voc::v1::CHANNEL_SURVEY);
  window.set_window_size_ms(86'400'000);
  s.Add("window-day-survey", sel(ss::kAggregateWindow, 3) + window.SerializeAsString());
  voc::state::v1::PartitionMeta meta;
  meta.set_watermark_ms(kT0 + 5);
  meta.add_dirty(voc::aggregate::WindowKey(3'600'000, kT0, ss::kTheme, "all"));
  meta.add_dirty("not a window key");
  meta.add_open_end_ms(kT0 + 3'600'000);
  meta.add_open_key(voc::aggregate::WindowKey(3'600'000, kT0, ss::kTheme, "all"));
  meta.add_open_end_ms(kT0 - 3'600'000);
  meta.add_open_key(voc::aggregate::WindowKey(3'600'000, kT0 - 7'200'000, ss::kTheme, "all"));
  s.Add("meta", sel(ss::kAggregateMeta) + meta.SerializeAsString());
  meta.set_watermark_ms(kT0 + 90LL * 86'400'000);
  s.Add("meta-watermark-ahead", sel(ss::kAggregateMeta) + meta.SerializeAsString());
  meta.add_open_end_ms(kT0);  // arrays of different lengths
  s.Add("meta-ragged", sel(ss::kAggregateMeta) + meta.SerializeAsString());
  for (uint8_t slot = 0; slot < ss::kSlots; ++slot) {
    s.Add(Numbered("garbage-", slot), sel(slot) + "\x0a\xff\xff\xff\xff\x0f");
    s.Add(Numbered("empty-", slot), sel(slot));
  }
  std::cout << "state_values: " << s.count() << "\n";
}

void TaxonomySeeds(const fs::path& root) {
  Seeds s(root, "taxonomy_yaml");
  const std::string software = FileText("data/taxonomy/software.yaml");
  s.Add("software-head", software.substr(0, software.find("\n  - id: performance")));
  s.Add("two-levels", "name: software\nversion: \"1.0.0\"\nthemes:\n  - id: reliability\n    name: Reliability\n"
                      "    description: When it breaks\n    themes:\n      - id: reliability.crashes\n        name: Crashes\n"
                      "        phrases: [\"crash*\", \"force clos*\", \"keeps closing\", \"won't open\"]\n"
                      "        patterns: ['shuts? (itself )?down']\n  - id: pricing\n    name: Pricing\n"
                      "    phrases:\n      - too expensive\n      - price-hike\n");
  s.Add("flow", "{name: x, version: 1, themes: [{id: a, name: A, phrases: [x]}, {id: b, name: B, patterns: ['b+c']}]}");
  s.Add("anchors", "name: &n x\nversion: *n\nthemes:\n  - &t {id: a, name: A, phrases: [x]}\n");
  s.Add("err-no-name", "version: 1\nthemes: []\n");
  s.Add("err-no-version", "name: x\nthemes:\n  - {id: a, name: A, phrases: [x]}\n");
  s.Add("err-no-themes", "name: x\nversion: 1\n");
  s.Add("err-theme-no-name", "name: x\nversion: 1\nthemes:\n  - {id: perf, phrases: [slow]}\n");
  s.Add("err-typo", "name: x\nversion: 1\nthemes:\n  - {id: perf, name: P, phrase: [slow]}\n");
  s.Add("err-child-id", "name: x\nversion: 1\nthemes:\n  - id: perf\n    name: P\n    themes:\n"
                        "      - {id: speed, name: S, phrases: [slow]}\n");
  s.Add("err-duplicate", "name: x\nversion: 1\nthemes:\n  - {id: a, name: A, phrases: [x]}\n  - {id: a, name: B, phrases: [y]}\n");
  s.Add("err-phrases-scalar", "name: x\nversion: 1\nthemes:\n  - {id: a, name: A, phrases: slow}\n");
  s.Add("err-yaml", "name: [unclosed\n");
  s.Add("err-leaf", "name: x\nversion: 1\nthemes:\n  - {id: a, name: A}\n");
  s.Add("err-key-map", "name: x\nversion: 1\nthemes:\n  - {id: a, name: A, phrases: [x], [k]: v}\n");
  std::cout << "taxonomy_yaml: " << s.count() << "\n";
}

// A configuration file without its comments: the keys reach deep paths, the prose does not.
std::string WithoutComments(const std::string& yaml) {
  std::istringstream in(yaml);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    const size_t hash = line.find('#');
    if (hash != std::string::npos) line.erase(hash);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    if (!line.empty()) out += line + "\n";
  }
  return out;
}

void ConfigSeeds(const fs::path& root) {
  Seeds s(root, "service_config");
  for (const char* file : {"vocstream", "voc-ingest", "voc-enrich", "voc-aggregate"}) {
    s.Add(file, WithoutComments(FileText(std::string("config/") + file + ".yaml")));
  }
  s.Add("empty", "");
  s.Add("durations", "batch:\n  max_wait: 250ms\n  commit_interval: 5m\n  flush_timeout: 1h\naggregate:\n  windows: [1s, 1h, 7d]\n"
                     "  retention: 30d\n  allowed_lateness: 0\nenrich:\n  dedupe_ttl: 7d\n  near_duplicate_horizon: 1d\n");
  s.Add("inputs", "ingest:\n  inputs: [a:ticket:json, b:survey:protobuf, c:review:auto]\n  max_text_bytes: 256\n");
  s.Add("err-unknown-key", "kafka:\n  bootstrap_server: x\n");
  s.Add("err-reserved", "kafka:\n  consumer:\n    group.id: mine\n");
  s.Add("err-not-a-map", "- a\n- b\n");
  s.Add("err-int", "batch:\n  max_records: lots\n");
  s.Add("err-duration", "batch:\n  max_wait: 5 minutes\n");
  s.Add("err-input", "ingest:\n  inputs: [voc.raw.tickets:fax:auto]\n");
  s.Add("err-window", "aggregate:\n  windows: [10ms]\n");
  s.Add("err-list-of-maps", "ingest:\n  inputs:\n    - {topic: a}\n");
  s.Add("err-yaml", "kafka: [unclosed\n");
  std::cout << "service_config: " << s.count() << "\n";
}

void VocctlSeeds(const fs::path& root) {
  Seeds s(root, "vocctl_input");
  // Selector: bit 0 CSV, bit 1 customer profiles, bit 2 key field "id".
  s.Add("csv-surveys", std::string("\x01") + "\xEF\xBB\xBF" "response_id,customer_id,comment,nps\r\n"
                       "R-1,cust-1,\"Checkout is slow.\r\nAlso, the \"\"pay\"\" button hides.\",4\r\n"
                       "R-2,cust-2,Fine,9\r\n\r\n");
  s.Add("csv-tickets", std::string("\x05") + "id,customer_id,created_at,body,revision\n"
                       "T-1,c1,2026-11-20T10:00:00Z,\"It crashes, often\",2\nT-2,c2,1746144000000,5\" screen,-1\n");
  s.Add("csv-customers", std::string("\x03") + "customer_id,name,segment,plan,arr\ncust-1,Acme,enterprise,enterprise,250000\n"
                         "cust-2,\"Globex, Inc.\",smb,pro,12000\n");
  s.Add("csv-unclosed", std::string("\x01") + "customer_id,comment\ncust-1,ok\ncust-2,\"never closed\ncust-3,x\n");
  s.Add("csv-ragged", std::string("\x01") + "customer_id,comment\ncust-1,ok\ncust-2,slow, and broken\n");
  s.Add("csv-after-quote", std::string("\x01") + "a,b\n1,\"x\"y\n");
  s.Add("jsonl", std::string("\x00", 1) + "{\"customer_id\":\"c1\",\"body\":\"hello\"}\n\r\n\n{\"customer_id\":7}\nnot json\r\n");
  s.Add("jsonl-key-id", std::string("\x04") + "{\"id\":\"k\",\"customer_id\":\"c\"}\n{\"id\":null}\n");
  s.Add("jsonl-customers", std::string("\x02") + "{\"customer_id\":\"cust-1\",\"name\":\"Acme\",\"arr\":250000,\"extra\":1}\n"
                           "{\"customerId\":\"cust-2\",\"segment\":\"smb\"}\n");
  s.Add("jsonl-customer-missing", std::string("\x02") + "{\"name\":\"nobody\"}\n");
  std::cout << "vocctl_input: " << s.count() << "\n";
}

void TextSeeds(const fs::path& root) {
  Seeds s(root, "analyzer_text");
  int n = 0;
  for (const auto& line : SampleLines("app-reviews.txt", 40)) s.Add(Numbered("review-", n++), line);
  for (const auto& line : SampleLines("forum-sentences.txt", 40)) s.Add(Numbered("forum-", n++), line);
  s.Add("pii", "call +44 20 7946 0958, card 4111 1111 1111 1111, DE89 3704 0044 0532 0130 00, a@b.co, ::1, 10.0.0.12");
  s.Add("emoji", "I LOVE it!!! \xF0\x9F\x98\x8D but the sync is NOT working :( and it crashes... not bad, not great");
  s.Add("languages", "La app no funciona y se cierra. L'application plante. Die App st\xC3\xBCrzt ab.");
  s.Add("invalid-utf8", "crash \xff\xfe\xc0\xaf battery \xe2\x82");
  std::cout << "analyzer_text: " << s.count() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: voc_fuzz_make_seeds SEEDS_DIR (tests/fuzz/seeds)\n";
    return 2;
  }
  const fs::path root = argv[1];
  IngestSeeds(root);
  EnrichSeeds(root);
  AggregateSeeds(root);
  StateSeeds(root);
  TaxonomySeeds(root);
  ConfigSeeds(root);
  VocctlSeeds(root);
  TextSeeds(root);
  return 0;
}
