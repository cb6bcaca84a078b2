// `vocctl tail`: any pipeline topic printed as JSON, one record a line, following the
// protobuf JSON mapping.
#include <google/protobuf/util/json_util.h>

#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "common/core/json.h"
#include "common/kafka/kafka.h"
#include "common/runtime/pipeline_topics.h"
#include "tools/vocctl/commands.h"
#include "tools/vocctl/kafka_args.h"
#include "voc/v1/alert.pb.h"
#include "voc/v1/customer.pb.h"
#include "voc/v1/dead_letter.pb.h"
#include "voc/v1/enriched.pb.h"
#include "voc/v1/feedback.pb.h"
#include "voc/v1/raw.pb.h"
#include "voc/v1/theme.pb.h"
#include "voc/v1/topic.pb.h"

namespace voc::vocctl {
namespace {

std::string TypeForTopic(const std::string& topic) {
  runtime::PipelineTopicNames n;
  if (topic == n.raw_tickets) return "raw-ticket";
  if (topic == n.raw_surveys) return "raw-survey";
  if (topic == n.raw_reviews) return "raw-review";
  if (topic == n.customers) return "customer";
  if (topic == n.feedback) return "feedback";
  if (topic == n.enriched) return "enriched";
  if (topic == n.mentions) return "mention";
  if (topic == n.aggregates) return "aggregate";
  if (topic == n.alerts) return "alert";
  if (topic == n.emerging) return "emerging-topic";
  if (topic == n.dlq) return "dlq";
  return "";
}

std::unique_ptr<google::protobuf::Message> MessageFor(const std::string& type) {
  if (type == "raw-ticket") return std::make_unique<voc::v1::RawTicket>();
  if (type == "raw-survey") return std::make_unique<voc::v1::RawSurveyResponse>();
  if (type == "raw-review") return std::make_unique<voc::v1::RawAppReview>();
  if (type == "customer") return std::make_unique<voc::v1::CustomerProfile>();
  if (type == "feedback") return std::make_unique<voc::v1::Feedback>();
  if (type == "enriched") return std::make_unique<voc::v1::EnrichedFeedback>();
  if (type == "mention") return std::make_unique<voc::v1::ThemeMention>();
  if (type == "aggregate") return std::make_unique<voc::v1::ThemeAggregate>();
  if (type == "alert") return std::make_unique<voc::v1::Alert>();
  if (type == "emerging-topic") return std::make_unique<voc::v1::EmergingTopic>();
  if (type == "dlq") return std::make_unique<voc::v1::DeadLetter>();
  return nullptr;
}

}  // namespace

int RunTail(const TailArgs& args, const std::atomic<bool>& stop) {
  const std::string type = args.type.empty() ? TypeForTopic(args.topic) : args.type;
  auto message = MessageFor(type);
  if (!message) {
    std::cerr << "vocctl tail: cannot tell the message type of topic " << args.topic
              << "; pass --type feedback|enriched|mention|aggregate|alert|emerging-topic|dlq|customer|raw-ticket|raw-survey|raw-review\n";
    return 2;
  }
  kafka::ConsumerOptions co;
  co.client = args.client;
  co.topics = {args.topic};
  const bool from_end = args.from_end;
  co.start_offset = [from_end](const TopicPartition&) { return from_end ? kafka::kOffsetEnd : kafka::kOffsetBeginning; };
  co.on_loss = [](const TopicPartition& tp, int64_t lost) {
    std::cerr << "vocctl tail: " << lost << " records of " << tp.topic << "/" << tp.partition.value
              << " fell off the log before they were read\n";
  };
  auto consumer = kafka::Consumer::Create(std::move(co));
  if (!consumer.ok()) {
    if (consumer.status().code() == Status::Code::kInvalidArgument) {
      std::cerr << "vocctl tail: " << consumer.status().message() << "; fix the -X or --config property\n";
      return 2;
    }
    if (consumer.status().code() == Status::Code::kNotFound) {
      std::cerr << "vocctl tail: topic " << args.topic << " does not exist on " << args.client.bootstrap_servers
                << "; check the name given to -t\n";
    } else {
      std::cerr << "vocctl tail: the Kafka cluster at " << args.client.bootstrap_servers << " did not answer ("
                << consumer.status().message() << "); " << kUnreachableHint << "\n";
    }
    return 1;
  }
  // --exit-when-idle counts only once every partition is read up to where the log ended
  // at start, so a slow first fetch never ends the command before it printed anything.
  std::map<int32_t, int64_t> end_at_start;
  if (args.exit_when_idle.count() > 0 && !args.from_end) {
    for (const TopicPartition& tp : (*consumer)->Assignment()) {
      auto marks = (*consumer)->Watermarks(tp, std::chrono::seconds(10));
      if (marks.ok() && marks->second > marks->first) end_at_start[tp.partition.value] = marks->second.value;
    }
  }
  google::protobuf::util::JsonPrintOptions print;
  print.preserve_proto_field_names = true;
  kafka::RecordBatch batch;
  std::string json;
  int64_t printed = 0;
  auto last_record = std::chrono::steady_clock::now();
  while (!stop.load() && (args.max_records < 0 || printed < args.max_records)) {
    batch.Clear();
    if (Status s = (*consumer)->Poll(1000, std::chrono::milliseconds(200), &batch); !s.ok()) {
      std::cerr << "vocctl tail: " << s.ToString() << "\n";
    }
    if (batch.empty()) {
      if (!end_at_start.empty()) last_record = std::chrono::steady_clock::now();  // not caught up yet
      if (args.exit_when_idle.count() > 0 && std::chrono::steady_clock::now() - last_record > args.exit_when_idle) break;
      continue;
    }
    last_record = std::chrono::steady_clock::now();
    for (const auto& r : batch) {
      if (args.max_records >= 0 && printed >= args.max_records) break;
      if (auto e = end_at_start.find(r.partition.value); e != end_at_start.end() && r.offset.value + 1 >= e->second) {
        end_at_start.erase(e);
      }
      const bool raw_json = type.rfind("raw-", 0) == 0 && !r.value.empty() && r.value.front() == '{';
      json.clear();  // MessageToJsonString appends
      bool printable = raw_json;
      if (raw_json) {
        json.assign(r.value);
      } else {
        printable = message->ParseFromArray(r.value.data(), static_cast<int>(r.value.size())) &&
                    google::protobuf::util::MessageToJsonString(*message, &json, print).ok();
      }
      if (printable && args.with_meta) {
        std::string line = "{\"topic\":";
        AppendJsonString(r.topic, &line);
        line += ",\"partition\":" + std::to_string(r.partition.value) + ",\"offset\":" + std::to_string(r.offset.value);
        line += ",\"timestamp\":" + (r.timestamp_ms > 0 ? std::to_string(r.timestamp_ms) : std::string("null"));
        line += ",\"key\":";
        AppendJsonString(r.key, &line);
        line.append(",\"value\":").append(json).append("}");
        std::cout << line << "\n";
      } else if (printable) {
        std::cout << json << "\n";
      } else {
        std::cerr << "vocctl tail: record " << r.topic << "/" << r.partition.value << "@" << r.offset.value
                  << " is not a " << message->GetDescriptor()->full_name() << "\n";
      }
      ++printed;
    }
    std::cout.flush();
  }
  batch.Clear();
  (*consumer)->Close(std::chrono::seconds(5)).ok();
  return 0;
}

}  // namespace voc::vocctl
