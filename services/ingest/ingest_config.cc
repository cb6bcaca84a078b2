#include "services/ingest/ingest_config.h"

namespace voc::ingest {

IngestOptions LoadIngestOptions(config::Config& c) {
  IngestOptions o;
  auto inputs = c.List("ingest.inputs", {"voc.raw.tickets:ticket:auto", "voc.raw.surveys:survey:auto",
                                         "voc.raw.reviews:review:auto"});
  o.inputs.clear();
  for (const auto& spec : inputs) {
    auto first = spec.find(':');
    auto second = first == std::string::npos ? std::string::npos : spec.find(':', first + 1);
    if (second == std::string::npos) {
      throw config::ConfigError("ingest.inputs entry '" + spec + "' must be topic:channel:format, e.g. voc.raw.tickets:ticket:auto");
    }
    InputTopic in;
    in.topic = spec.substr(0, first);
    in.channel = ParseChannel(spec.substr(first + 1, second - first - 1));
    std::string format = spec.substr(second + 1);
    if (in.channel == voc::v1::CHANNEL_UNSPECIFIED) {
      throw config::ConfigError("ingest.inputs entry '" + spec + "': the channel must be ticket, survey or review");
    }
    if (format == "auto") in.format = Format::kAuto;
    else if (format == "json") in.format = Format::kJson;
    else if (format == "protobuf") in.format = Format::kProtobuf;
    else throw config::ConfigError("ingest.inputs entry '" + spec + "': the format must be auto, json or protobuf");
    o.inputs.push_back(in);
  }
  o.output_topic = c.String("topics.feedback", o.output_topic);
  o.max_record_bytes = static_cast<size_t>(c.Int("ingest.max_record_bytes", 1 << 20, 1024, 64 << 20));
  o.canonical.max_text_bytes = static_cast<size_t>(c.Int("ingest.max_text_bytes", 16 << 10, 256, 16 << 20));
  o.canonical.max_future_skew_ms = c.Duration("ingest.max_future_skew", std::chrono::hours(24)).count();
  return o;
}

}  // namespace voc::ingest
