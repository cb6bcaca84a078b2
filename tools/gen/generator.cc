#include <algorithm>
#include "tools/gen/generator.h"

#include <array>
#include <cstdio>

#include "common/core/json.h"
#include "voc/v1/raw.pb.h"

namespace voc::gen {
namespace {

// Sentences of customer feedback, by polarity. Written for this generator; themes come
// from the words, as they do in real feedback.
constexpr std::array kNegative = {
    "The app crashes every time I open the settings page.",
    "Since the last update it keeps freezing on the loading screen.",
    "Battery drains really fast when the app runs in the background.",
    "I was charged twice this month and still have not received a refund.",
    "The login page rejects my password even after a reset.",
    "Sync between my phone and laptop lost a whole week of notes.",
    "Too many ads, there is a popup after every screen.",
    "Support took nine days to answer and the answer did not help.",
    "The new design is confusing and the menu is hard to find.",
    "It is way too expensive for what it does compared to others.",
    "Notifications arrive hours late or not at all.",
    "Pages load so slowly that the app is barely usable.",
    "It does not work on my tablet since the Android update.",
    "I cancelled my subscription but I am still being billed.",
    "The app takes too much storage and memory on my phone.",
};
constexpr std::array kPositive = {
    "I love the new design, it looks clean and modern.",
    "Support was fantastic and solved my problem within an hour.",
    "The app is fast and smooth, great job on performance.",
    "Onboarding was simple and the tutorial was really helpful.",
    "Sync works perfectly between all my devices.",
    "Great value for the price, totally worth the subscription.",
    "Very easy to use, my whole team picked it up in a day.",
    "The notifications are useful and arrive right on time.",
};
constexpr std::array kNeutral = {
    "Is there a way to export my data to a spreadsheet?",
    "Please add a dark mode option.",
    "How do I change the email address on my account?",
    "It would be nice to have an offline mode for travel.",
};
constexpr std::array kTitles = {"Feedback", "About the app", "My experience", "Question", "Issue report", "Thoughts"};
constexpr std::array kSegments = {"enterprise", "mid-market", "smb", "consumer"};
constexpr std::array kPlans = {"free", "pro", "business", "enterprise"};
constexpr std::array kSources = {"zendesk", "qualtrics", "appstore"};
constexpr std::array kChannels = {"ticket", "survey", "review"};

size_t ChannelIndex(const std::string& channel) {
  return static_cast<size_t>(std::find(kChannels.begin(), kChannels.end(), channel) - kChannels.begin());
}

std::string Rfc3339(int64_t ms) {
  int64_t days = ms / 86'400'000;
  int64_t rem = ms % 86'400'000;
  if (rem < 0) {
    rem += 86'400'000;
    --days;
  }
  // Civil from days (Howard Hinnant).
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%03lldZ", static_cast<long long>(y),
                static_cast<long long>(m), static_cast<long long>(d), static_cast<long long>(rem / 3'600'000),
                static_cast<long long>(rem / 60'000 % 60), static_cast<long long>(rem / 1000 % 60),
                static_cast<long long>(rem % 1000));
  return buf;
}

void Field(std::string* out, const char* name, std::string_view value) {
  if (out->size() > 1) out->push_back(',');
  AppendJsonString(name, out);
  out->push_back(':');
  AppendJsonString(value, out);
}

void Field(std::string* out, const char* name, int64_t value) {
  if (out->size() > 1) out->push_back(',');
  AppendJsonString(name, out);
  out->push_back(':');
  out->append(std::to_string(value));
}

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string CustomerJson(const voc::v1::CustomerProfile& c) {
  std::string out = "{";
  Field(&out, "customer_id", c.customer_id());
  Field(&out, "name", c.name());
  Field(&out, "segment", c.segment());
  Field(&out, "plan", c.plan());
  Field(&out, "arr", c.arr());
  out += "}";
  return out;
}

std::string GroundTruth::ToJson() const {
  std::string out = "{";
  Field(&out, "records", static_cast<int64_t>(records));
  Field(&out, "originals", static_cast<int64_t>(originals));
  Field(&out, "revisions", static_cast<int64_t>(revisions));
  Field(&out, "exact_duplicates", static_cast<int64_t>(exact_duplicates));
  Field(&out, "stale", static_cast<int64_t>(stale));
  Field(&out, "malformed", static_cast<int64_t>(malformed));
  Field(&out, "expected_enriched", static_cast<int64_t>(expected_enriched()));
  out += ",\"dead_letters_by_reason\":{";
  bool first = true;
  for (const auto& [reason, n] : dead_letters_by_reason) {
    if (!first) out += ",";
    first = false;
    AppendJsonString(reason, &out);
    out.push_back(':');
    out.append(std::to_string(n));
  }
  out += "}}";
  return out;
}

Generator::Generator(GenOptions options) : options_(std::move(options)), rng_(options_.seed) {
  for (size_t i = 0; i < options_.customers; ++i) {
    voc::v1::CustomerProfile c;
    char id[32];
    std::snprintf(id, sizeof id, "cust-%04zu", i + 1);
    c.set_schema_version(1);
    c.set_customer_id(id);
    c.set_name(std::string("Customer ") + std::to_string(i + 1));
    const size_t tier = Pick(kSegments.size());
    c.set_segment(kSegments[tier]);
    c.set_plan(kPlans[tier == 3 ? 0 : 3 - tier]);
    static constexpr std::array<int64_t, 4> kArr = {250'000, 60'000, 12'000, 0};
    c.set_arr(kArr[tier] + static_cast<int64_t>(Pick(1000)) * (kArr[tier] / 1000));
    customers_.push_back(c);
  }
}

std::string Generator::TopicFor(const std::string& channel) const {
  if (channel == "ticket") return options_.topics.raw_tickets;
  if (channel == "survey") return options_.topics.raw_surveys;
  return options_.topics.raw_reviews;
}

int64_t Generator::EventTime() {
  int64_t t = options_.live ? WallMs() - static_cast<int64_t>(Pick(60'000))
                            : options_.start_ms + static_cast<int64_t>(index_) * options_.span_ms /
                                                      static_cast<int64_t>(std::max<size_t>(1, options_.planned_count));
  if (Uniform() < options_.out_of_order_share) t -= static_cast<int64_t>(Pick(3 * 3'600'000));
  return t;
}

std::string Generator::Text(const std::string& channel, int polarity, std::string* title) {
  std::string body = polarity < 0   ? kNegative[Pick(kNegative.size())]
                     : polarity > 0 ? kPositive[Pick(kPositive.size())]
                                    : kNeutral[Pick(kNeutral.size())];
  // Details that are not PII and must survive redaction untouched.
  switch (Pick(3)) {
    case 0: body += " Order " + std::to_string(100000 + Pick(900000)) + "."; break;
    case 1: body += " Version 3." + std::to_string(Pick(10)) + "." + std::to_string(Pick(20)) + "."; break;
    default: break;
  }
  if (Uniform() < options_.pii_share) {
    body += Pick(2) == 0 ? " Contact me at jane.doe" + std::to_string(Pick(1000)) + "@example.com."
                         : " Call me on +44 20 7946 " + std::to_string(1000 + Pick(9000)) + ".";
  }
  *title = channel == "survey" ? "" : kTitles[Pick(kTitles.size())];
  return body;
}

std::string Generator::Encode(const Sent& s, uint32_t revision, const std::string& title, const std::string& body,
                              bool protobuf) {
  const auto& f = s.feedback;
  if (protobuf) {
    std::string bytes;
    if (s.channel == "ticket") {
      voc::v1::RawTicket t;
      t.set_source_system(f.source_system);
      t.set_ticket_id(f.external_id);
      t.set_customer_id(f.customer_id);
      t.set_created_at_ms(f.event_time_ms);
      t.set_revision(revision);
      t.set_subject(title);
      t.set_body(body);
      t.set_priority("normal");
      t.set_product("app");
      t.SerializeToString(&bytes);
    } else if (s.channel == "survey") {
      voc::v1::RawSurveyResponse r;
      r.set_source_system(f.source_system);
      r.set_response_id(f.external_id);
      r.set_survey_id("nps-2026-q4");
      r.set_customer_id(f.customer_id);
      r.set_submitted_at_ms(f.event_time_ms);
      r.set_revision(revision);
      if (f.nps) r.set_nps(*f.nps);
      if (f.csat) r.set_csat(*f.csat);
      r.set_comment(body);
      r.SerializeToString(&bytes);
    } else {
      voc::v1::RawAppReview r;
      r.set_source_system(f.source_system);
      r.set_review_id(f.external_id);
      r.set_customer_id(f.customer_id);
      r.set_store("googleplay");
      r.set_app_id("com.example.app");
      r.set_rating(f.rating);
      r.set_title(title);
      r.set_body(body);
      r.set_locale("en-US");
      r.set_reviewed_at_ms(f.event_time_ms);
      r.set_revision(revision);
      r.SerializeToString(&bytes);
    }
    return bytes;
  }
  std::string out = "{";
  Field(&out, "source_system", f.source_system);
  const bool epoch = Pick(4) == 0;  // some producers send epoch milliseconds
  if (s.channel == "ticket") {
    Field(&out, "ticket_id", f.external_id);
    Field(&out, "customer_id", f.customer_id);
    epoch ? Field(&out, "created_at", f.event_time_ms) : Field(&out, "created_at", Rfc3339(f.event_time_ms));
    Field(&out, "revision", revision);
    Field(&out, "subject", title);
    Field(&out, "body", body);
    Field(&out, "priority", "normal");
    Field(&out, "product", "app");
  } else if (s.channel == "survey") {
    Field(&out, "response_id", f.external_id);
    Field(&out, "surveyId", "nps-2026-q4");
    Field(&out, "customerId", f.customer_id);
    epoch ? Field(&out, "submitted_at", f.event_time_ms) : Field(&out, "submitted_at", Rfc3339(f.event_time_ms));
    Field(&out, "revision", revision);
    if (f.nps) Field(&out, "nps", *f.nps);
    if (f.csat) Field(&out, "csat", *f.csat);
    Field(&out, "comment", body);
  } else {
    Field(&out, "review_id", f.external_id);
    Field(&out, "customer_id", f.customer_id);
    Field(&out, "store", "googleplay");
    Field(&out, "app_id", "com.example.app");
    Field(&out, "app_version", "3.2.1");
    Field(&out, "rating", f.rating);
    Field(&out, "title", title);
    Field(&out, "body", body);
    Field(&out, "locale", "en-US");
    epoch ? Field(&out, "reviewed_at", f.event_time_ms) : Field(&out, "reviewed_at", Rfc3339(f.event_time_ms));
    Field(&out, "revision", revision);
  }
  out += "}";
  return out;
}

GeneratedRecord Generator::Original(const Sent* echo_of) {
  const size_t c = echo_of == nullptr ? Pick(3) : (ChannelIndex(echo_of->channel) + 1 + Pick(2)) % 3;
  Sent s;
  s.channel = kChannels[c];
  s.protobuf = Uniform() < options_.protobuf_share;
  auto& f = s.feedback;
  f.source_system = kSources[c];
  f.channel = s.channel;
  char id[32];
  std::snprintf(id, sizeof id, "%c-%08zu", static_cast<char>(std::toupper(s.channel[0])), index_);
  f.external_id = id;
  f.event_time_ms = EventTime();
  std::string title;
  std::string body;
  if (echo_of == nullptr) {
    f.customer_id = customers_[Pick(customers_.size())].customer_id();
    s.polarity = static_cast<int>(Pick(10)) < 6 ? -1 : Pick(3) == 0 ? 0 : 1;
    body = Text(s.channel, s.polarity, &title);
  } else {  // the body again; a title where the channel has one
    f.customer_id = echo_of->feedback.customer_id;
    s.polarity = echo_of->polarity;
    const std::string& echoed_title = titles_[static_cast<size_t>(echo_of - sent_.data())];
    body = echoed_title.empty() ? echo_of->feedback.text : echo_of->feedback.text.substr(echoed_title.size() + 2);
    title = s.channel == "survey" ? "" : echoed_title.empty() ? kTitles[Pick(kTitles.size())] : echoed_title;
  }
  const int polarity = s.polarity;
  f.text = title.empty() ? body : title + "\n\n" + body;
  if (s.channel == "survey") {
    f.nps = polarity < 0 ? static_cast<int>(Pick(7)) : polarity > 0 ? 9 + static_cast<int>(Pick(2)) : 7 + static_cast<int>(Pick(2));
    if (Pick(2) == 0) f.csat = polarity < 0 ? 1 + static_cast<int>(Pick(2)) : 4 + static_cast<int>(Pick(2));
  }
  if (s.channel == "review") f.rating = polarity < 0 ? 1 + static_cast<int>(Pick(2)) : polarity > 0 ? 5 : 3;
  s.latest_payload = Encode(s, 1, title, body, s.protobuf);
  s.first_payload = s.latest_payload;
  GeneratedRecord r{TopicFor(s.channel), f.customer_id, s.latest_payload, Kind::kOriginal, ""};
  truth_.originals++;
  truth_.feedback[s.channel + "|" + f.source_system + "|" + f.external_id] = f;
  sent_.push_back(std::move(s));
  titles_.push_back(title);
  return r;
}

GeneratedRecord Generator::Revision() {
  Sent& s = sent_[Pick(sent_.size())];
  s.revision++;
  std::string title;
  std::string body = Text(s.channel, Pick(2) == 0 ? -1 : 1, &title);
  s.feedback.text = title.empty() ? body : title + "\n\n" + body;
  if (s.feedback.nps) s.feedback.nps = static_cast<int>(Pick(11));
  s.latest_payload = Encode(s, s.revision, title, body, s.protobuf);
  auto& final = truth_.feedback[s.channel + "|" + s.feedback.source_system + "|" + s.feedback.external_id];
  const uint32_t emitted = final.revisions;
  final = s.feedback;
  final.revisions = emitted + 1;
  truth_.revisions++;
  return {TopicFor(s.channel), s.feedback.customer_id, s.latest_payload, Kind::kRevision, ""};
}

GeneratedRecord Generator::Duplicate() {
  const Sent& s = sent_[Pick(sent_.size())];
  truth_.exact_duplicates++;
  return {TopicFor(s.channel), s.feedback.customer_id, s.latest_payload, Kind::kExactDuplicate, ""};
}

GeneratedRecord Generator::Stale() {
  for (int tries = 0; tries < 20; ++tries) {
    const Sent& s = sent_[Pick(sent_.size())];
    if (s.revision < 2) continue;
    truth_.stale++;
    return {TopicFor(s.channel), s.feedback.customer_id, s.first_payload, Kind::kStale, ""};
  }
  return Duplicate();
}

GeneratedRecord Generator::Malformed() {
  const Sent& base = sent_[Pick(sent_.size())];
  GeneratedRecord r{TopicFor(base.channel), base.feedback.customer_id, "", Kind::kMalformed, ""};
  Sent s = base;
  s.feedback.external_id += "-bad" + std::to_string(index_);
  std::string title = "Broken";
  std::string body = "This record is malformed on purpose.";
  // JSON-only output (files of JSON lines) has no protobuf records to truncate.
  switch (Pick(options_.protobuf_share > 0 ? 6 : 5)) {
    case 0:
      r.value = Encode(s, 1, title, body, false);
      r.value.resize(r.value.size() / 2);
      r.expected_reason = "MALFORMED_JSON";
      break;
    case 1:
      s.feedback.customer_id = "";
      if (s.channel == "review") s.feedback.external_id = "";
      r.value = Encode(s, 1, title, body, false);
      r.expected_reason = "MISSING_FIELD";
      break;
    case 2:
      s.feedback.event_time_ms = Pick(2) == 0 ? 86'400'000 : 32'503'680'000'000;  // 1970 or year 3000
      r.value = Encode(s, 1, title, body, false);
      r.expected_reason = "TIMESTAMP_OUT_OF_RANGE";
      break;
    case 3:
      r.value = Encode(s, 1, title, body, false);
      r.value = "{\"channel\":\"fax\"," + r.value.substr(1);
      r.expected_reason = "UNKNOWN_CHANNEL";
      break;
    case 4:
      // Raw bytes after encoding: the JSON writer would have replaced them.
      r.value = Encode(s, 1, title, "Bad bytes @@ here", false);
      r.value.replace(r.value.find("@@"), 2, "\xff\xfe");
      r.expected_reason = "INVALID_UTF8";
      break;
    default:
      r.value = Encode(s, 1, title, body, true);
      r.value.pop_back();  // cutting the last byte always leaves a field incomplete
      r.expected_reason = "MALFORMED_PROTOBUF";
      break;
  }
  truth_.malformed++;
  truth_.dead_letters_by_reason[r.expected_reason]++;
  return r;
}

GeneratedRecord Generator::Next() {
  GeneratedRecord r;
  const double u = Uniform();
  double edge = options_.malformed_share;
  if (sent_.empty() ||
      u >= edge + options_.duplicate_share + options_.revision_share + options_.stale_share + options_.echo_share) {
    r = Original();
  } else if (u < edge) {
    r = Malformed();
  } else if (u < (edge += options_.duplicate_share)) {
    r = Duplicate();
  } else if (u < (edge += options_.revision_share)) {
    r = Revision();
  } else if (u < (edge += options_.stale_share)) {
    r = Stale();
  } else {
    r = Original(&sent_[Pick(sent_.size())]);
  }
  ++index_;
  truth_.records++;
  return r;
}

}  // namespace voc::gen
