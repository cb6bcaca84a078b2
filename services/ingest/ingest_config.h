// voc-ingest's configuration keys, read in one place.
#pragma once

#include "common/config/config.h"
#include "services/ingest/ingest_processor.h"

namespace voc::ingest {

// Keys: ingest.inputs (topic:channel:format, ...), topics.feedback, ingest.max_record_bytes,
// ingest.max_text_bytes, ingest.max_future_skew.
IngestOptions LoadIngestOptions(config::Config& config);

}  // namespace voc::ingest
