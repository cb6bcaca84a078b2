// voc-ingest's processor run by the ServiceRunner on the embedded broker: bad records of
// every kind, interleaved with good ones on one partition, each become a dead letter with
// its reason, origin and original bytes, and the partition keeps flowing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <map>

#include "common/kafka/embedded_broker.h"
#include "common/runtime/service_runner.h"
#include "services/ingest/ingest_processor.h"
#include "tests/runtime/test_util.h"
#include "voc/v1/dead_letter.pb.h"
#include "voc/v1/feedback.pb.h"

namespace voc::ingest {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr char kRaw[] = "voc.raw.tickets";

std::string Ticket(const std::string& id, const std::string& body = "\"The app crashes at checkout\"",
                   const std::string& created_at = "\"2025-05-01T10:00:00Z\"") {
  return R"({"source_system":"zendesk","ticket_id":")" + id + R"(","customer_id":"cust-)" + id +
         R"(","created_at":)" + created_at + R"(,"body":)" + body + "}";
}

struct Input {
  std::string value;
  std::string reason;  // empty: a good record
};

// voc-ingest on the runtime, reading kRaw as tickets of any format.
std::unique_ptr<runtime::ServiceRunner> IngestRunner(const std::string& bootstrap_servers,
                                                    runtime::RuntimeOptions options,
                                                    std::shared_ptr<prometheus::Registry> registry) {
  options.service = "voc-ingest";
  options.kafka = {bootstrap_servers};
  options.input_topics = {kRaw};
  options.dead_letter_topic = "voc.dlq";
  options.batch_max_wait = std::chrono::milliseconds(20);
  IngestOptions ingest;
  ingest.inputs = {{kRaw, voc::v1::CHANNEL_TICKET, Format::kAuto}};
  auto runner = runtime::ServiceRunner::Create(options, std::make_unique<IngestProcessor>(ingest), std::move(registry));
  EXPECT_TRUE(runner.ok()) << runner.status().ToString();
  return runner.ok() ? std::move(runner).value() : nullptr;
}

TEST(IngestOnBroker, BadRecordsBecomeDeadLettersAndThePartitionKeepsFlowing) {
  auto started = kafka::EmbeddedBroker::Start();
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  auto broker = std::move(started).value();
  ASSERT_TRUE(broker->CreateTopic(kRaw, 1).ok());  // one partition: every record in one order
  ASSERT_TRUE(broker->CreateTopic("voc.feedback", 1).ok());
  ASSERT_TRUE(broker->CreateTopic("voc.dlq", 1).ok());

  voc::v1::RawTicket proto;
  proto.set_ticket_id("good-proto");
  proto.set_customer_id("cust-good-proto");
  proto.set_created_at_ms(1746093600000);
  proto.set_body("Refund please, it was charged twice");
  const std::string proto_bytes = proto.SerializeAsString();

  // The mock keeps at most 5 MiB per partition, dropping the oldest data, so a 10 MB record
  // would push the records before it off the log: the broker case uses 2 MB (over the default
  // 1 MiB ingest.max_record_bytes) and ingest_processor_test covers 10 MB without a broker.
  const std::string big = Ticket("too-big", "\"" + std::string(2'000'000, 'x') + "\"");
  const std::vector<Input> inputs = {
      {Ticket("good-1"), ""},
      {proto_bytes.substr(0, proto_bytes.size() - 6), "MALFORMED_PROTOBUF"},
      {proto_bytes, ""},
      {R"({"ticket_id": "T-1", "body": )", "MALFORMED_JSON"},
      {std::string("[").append(Ticket("in-array")).append("]"), "MALFORMED_JSON"},
      {R"({"source_system":"zendesk","ticket_id":"no-customer","created_at":"2025-05-01T10:00:00Z","body":"hi"})",
       "MISSING_FIELD"},
      {Ticket("bad-utf8", "\"caf\xc3\x28 \xff\""), "INVALID_UTF8"},
      {Ticket("good-2"), ""},
      {big, "RECORD_TOO_LARGE"},
      {Ticket("year-3000", "\"hello\"", "\"3000-01-01T00:00:00Z\""), "TIMESTAMP_OUT_OF_RANGE"},
      {Ticket("year-1970", "\"hello\"", "86400000"), "TIMESTAMP_OUT_OF_RANGE"},
      {R"({"channel":"fax","ticket_id":"fax-1","customer_id":"c","created_at":"2025-05-01T10:00:00Z","body":"x"})",
       "UNKNOWN_CHANNEL"},
      {R"({"channel":"survey","response_id":"nps-11","customer_id":"c","submitted_at":"2025-05-01T10:00:00Z","nps":11})",
       "INVALID_FIELD"},
      {Ticket("good-3"), ""},
      {Ticket("good-4", "\"  Cafe\\u0301 is slow  \""), ""},
  };
  {
    auto producer = kafka::Producer::Create({.client = {broker->bootstrap_servers()}});
    ASSERT_TRUE(producer.ok());
    for (size_t i = 0; i < inputs.size(); ++i) {
      ASSERT_TRUE((*producer)->Produce(kRaw, test::Numbered("raw-key-", i), inputs[i].value).ok());
    }
    ASSERT_TRUE((*producer)->Flush(10s).ok());
  }
  size_t bad = 0;
  for (const auto& in : inputs) bad += !in.reason.empty();
  const size_t good = inputs.size() - bad;

  runtime::RuntimeOptions options;
  options.group_id = "voc-ingest";
  options.consumer_properties = {{"session.timeout.ms", "6000"}};
  options.batch_max_records = 4;  // several batches, so good records follow bad ones across batches too
  auto registry = std::make_shared<prometheus::Registry>();
  auto runner = IngestRunner(broker->bootstrap_servers(), options, registry);
  ASSERT_NE(runner, nullptr);

  test::RunningService service(*runner);
  const TopicPartition dlq{"voc.dlq", PartitionId(0)}, out{"voc.feedback", PartitionId(0)};
  auto high = [&](const TopicPartition& tp) {
    auto marks = kafka::Watermarks({broker->bootstrap_servers()}, tp, 2s);
    return marks.ok() ? static_cast<size_t>(marks->second.value) : 0;
  };
  const bool done = test::WaitFor([&] { return high(dlq) >= bad && high(out) >= good; }, 30s);
  const Status run_status = service.Stop();
  ASSERT_TRUE(done) << "dead letters " << high(dlq) << "/" << bad << ", feedback " << high(out) << "/" << good;
  ASSERT_TRUE(run_status.ok()) << run_status.ToString();

  // Each bad record, in input order, with its reason, origin and bytes.
  auto letters = test::ReadTopic({broker->bootstrap_servers()}, "voc.dlq");
  ASSERT_EQ(letters.size(), bad);
  std::map<std::string, double> per_reason;
  size_t next = 0;
  for (size_t offset = 0; offset < inputs.size(); ++offset) {
    const Input& in = inputs[offset];
    if (in.reason.empty()) continue;
    SCOPED_TRACE(test::Numbered("input at offset ", offset) + ", expected " + in.reason);
    ASSERT_LT(next, letters.size());
    const auto& record = letters[next++];
    voc::v1::DeadLetter letter;
    ASSERT_TRUE(letter.ParseFromString(record.value));
    EXPECT_EQ(letter.reason(), in.reason) << letter.detail();
    EXPECT_FALSE(letter.detail().empty());
    EXPECT_EQ(letter.service(), "voc-ingest");
    EXPECT_EQ(letter.origin_topic(), kRaw);
    EXPECT_EQ(letter.origin_partition(), 0);
    EXPECT_EQ(letter.origin_offset(), static_cast<int64_t>(offset));
    EXPECT_EQ(letter.key(), test::Numbered("raw-key-", offset));
    EXPECT_EQ(record.key, test::Numbered("raw-key-", offset));
    EXPECT_EQ(letter.payload_size(), static_cast<int64_t>(in.value.size()));
    if (in.value.size() > options.dead_letter_payload_cap) {
      EXPECT_TRUE(letter.payload_truncated());
      EXPECT_EQ(letter.payload(), in.value.substr(0, options.dead_letter_payload_cap));
    } else {
      EXPECT_FALSE(letter.payload_truncated());
      EXPECT_EQ(letter.payload(), in.value);
    }
    per_reason[in.reason] += 1;
  }
  // The counter of every reason moved by its number of dead letters.
  for (const auto& [reason, n] : per_reason) {
    EXPECT_EQ(test::MetricValue(*registry, "voc_dead_letters_total", {{"reason", reason}, {"service", "voc-ingest"}}), n)
        << reason;
  }
  const std::string exposition = prometheus::TextSerializer().Serialize(registry->Collect());
  EXPECT_THAT(exposition, HasSubstr("reason=\"RECORD_TOO_LARGE\""));
  EXPECT_EQ(test::MetricValue(*registry, "voc_records_consumed_total", {{"topic", kRaw}}),
            static_cast<double>(inputs.size()));

  // Every good record came out, in order, keyed by customer.
  auto feedback = test::ReadTopic({broker->bootstrap_servers()}, "voc.feedback");
  ASSERT_EQ(feedback.size(), good);
  std::vector<int64_t> origins;
  std::vector<std::string> ids;
  for (const auto& record : feedback) {
    voc::v1::Feedback f;
    ASSERT_TRUE(f.ParseFromString(record.value));
    EXPECT_EQ(record.key, f.customer_id());
    origins.push_back(f.meta().origin_offset());
    ids.push_back(f.external_id());
    if (f.external_id() == "good-4") {
      EXPECT_EQ(f.text(), "Caf\xc3\xa9 is slow");
    }
  }
  EXPECT_EQ(origins, (std::vector<int64_t>{0, 2, 7, 13, 14}));
  EXPECT_EQ(ids, (std::vector<std::string>{"good-1", "good-proto", "good-2", "good-3", "good-4"}));
}

// A "content-type" header wins over telling the format by the payload, also through the
// runtime's consumer: protobuf bytes labelled JSON are malformed JSON, a JSON ticket
// labelled protobuf is malformed protobuf; a record without the header is still detected.
TEST(IngestOnBroker, ContentTypeHeaderDecidesTheFormatOfItsRecord) {
  auto started = kafka::EmbeddedBroker::Start();
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  auto broker = std::move(started).value();
  for (const char* topic : {kRaw, "voc.feedback", "voc.dlq"}) ASSERT_TRUE(broker->CreateTopic(topic, 1).ok());
  voc::v1::RawTicket proto;
  proto.set_ticket_id("proto-as-json");
  proto.set_customer_id("cust-1");
  proto.set_created_at_ms(1746093600000);
  proto.set_body("Refund please, it was charged twice");
  const std::string bs = broker->bootstrap_servers();
  ASSERT_TRUE(test::ProduceWithHeader(bs, kRaw, "k0", proto.SerializeAsString(), "content-type", "application/json").ok());
  ASSERT_TRUE(test::ProduceWithHeader(bs, kRaw, "k1", Ticket("json-as-proto"), "content-type", "application/x-protobuf").ok());
  ASSERT_TRUE(test::ProduceWithHeader(bs, kRaw, "k2", Ticket("good"), "x-other", "1").ok());

  auto registry = std::make_shared<prometheus::Registry>();
  auto runner = IngestRunner(bs, {}, registry);
  ASSERT_NE(runner, nullptr);
  test::RunningService service(*runner);
  const bool done = test::AwaitRecords({bs}, "voc.dlq", 2, 30s) && test::AwaitRecords({bs}, "voc.feedback", 1, 30s);
  service.Stop().ok();
  ASSERT_TRUE(done) << "voc-ingest did not write its dead letters and feedback";
  auto letters = test::ReadTopic({bs}, "voc.dlq");
  auto feedback = test::ReadTopic({bs}, "voc.feedback");
  ASSERT_EQ(letters.size(), 2u);
  std::vector<std::string> reasons;
  for (const auto& r : letters) {
    voc::v1::DeadLetter letter;
    ASSERT_TRUE(letter.ParseFromString(r.value));
    reasons.push_back(letter.reason());
  }
  EXPECT_EQ(reasons, (std::vector<std::string>{"MALFORMED_JSON", "MALFORMED_PROTOBUF"}));
  ASSERT_EQ(feedback.size(), 1u);
}

}  // namespace
}  // namespace voc::ingest
