#include "services/ingest/ingest_processor.h"

namespace voc::ingest {

IngestProcessor::IngestProcessor(IngestOptions options)
    : options_(std::move(options)), canonicalizer_(options_.canonical) {
  for (const auto& in : options_.inputs) by_topic_.emplace(in.topic, in);
}

void IngestProcessor::Process(const kafka::Record& record, runtime::Context& ctx) {
  auto it = by_topic_.find(record.topic);
  if (it == by_topic_.end()) {
    ctx.out.DeadLetter(record, "UNKNOWN_CHANNEL", "topic " + std::string(record.topic) + " has no channel configured");
    return;
  }
  if (record.value.size() > options_.max_record_bytes) {
    ctx.out.DeadLetter(record, "RECORD_TOO_LARGE",
                       "record of " + std::to_string(record.value.size()) + " bytes exceeds the limit of " +
                           std::to_string(options_.max_record_bytes) + " (ingest.max_record_bytes)");
    return;
  }
  Rejection why;
  if (!decoder_.Decode(record.value, record.content_type, it->second.format, it->second.channel, &raw_, &why) ||
      !canonicalizer_.Canonicalize(raw_, ctx.now_ms, &feedback_, &why)) {
    ctx.out.DeadLetter(record, why.reason, why.detail);
    return;
  }
  auto* meta = feedback_.mutable_meta();
  meta->set_service("voc-ingest");
  meta->set_service_version(options_.service_version);
  meta->set_processed_at_ms(ctx.now_ms);
  meta->set_origin_topic(record.topic.data(), record.topic.size());
  meta->set_origin_partition(record.partition.value);
  meta->set_origin_offset(record.offset.value);
  if (record.timestamp_ms > 0) {
    meta->set_source_timestamp_ms(record.timestamp_ms);
  } else {
    meta->clear_source_timestamp_ms();
  }
  feedback_.SerializeToString(&bytes_);
  ctx.out.Emit(options_.output_topic, feedback_.customer_id(), bytes_);
}

}  // namespace voc::ingest
