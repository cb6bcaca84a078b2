// voc-ingest's logic: raw channel records in, canonical Feedback (keyed by customer) or
// dead letters out. Stateless.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/runtime/processor.h"
#include "services/ingest/canonicalize.h"
#include "services/ingest/raw_decoder.h"

namespace voc::ingest {

struct InputTopic {
  std::string topic;
  voc::v1::Channel channel = voc::v1::CHANNEL_UNSPECIFIED;
  Format format = Format::kAuto;
};

struct IngestOptions {
  std::vector<InputTopic> inputs = {{"voc.raw.tickets", voc::v1::CHANNEL_TICKET, Format::kAuto},
                                    {"voc.raw.surveys", voc::v1::CHANNEL_SURVEY, Format::kAuto},
                                    {"voc.raw.reviews", voc::v1::CHANNEL_REVIEW, Format::kAuto}};
  std::string output_topic = "voc.feedback";
  size_t max_record_bytes = 1 << 20;  // larger records are refused as RECORD_TOO_LARGE
  CanonicalOptions canonical;
  std::string service_version = "0.1.0";
};

// NOT thread-safe: runs on the service's processing thread.
class IngestProcessor final : public runtime::Processor {
 public:
  explicit IngestProcessor(IngestOptions options);
  // A "content-type" header, when a record has one, says how to decode it.
  void Open(runtime::Setup& setup) override { setup.ReadContentType(); }
  void Process(const kafka::Record& record, runtime::Context& ctx) override;

 private:
  IngestOptions options_;
  std::map<std::string, InputTopic, std::less<>> by_topic_;
  RawDecoder decoder_;
  Canonicalizer canonicalizer_;
  RawRecord raw_;
  voc::v1::Feedback feedback_;
  std::string bytes_;
};

}  // namespace voc::ingest
