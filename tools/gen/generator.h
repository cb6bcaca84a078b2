// Synthetic customer feedback for the three channels, deterministic for a seed: several
// customers, exact duplicates, revisions, stale revisions, texts echoed across channels
// (near duplicates), out-of-order event times and
// a chosen share of malformed records, with the ground truth of what the pipeline must
// make of them. Used by `vocctl gen` and `vocctl demo`, the tests and the benchmarks.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "common/runtime/pipeline_topics.h"
#include "voc/v1/customer.pb.h"

namespace voc::gen {

struct GenOptions {
  uint64_t seed = 42;
  size_t customers = 50;
  double malformed_share = 0.02;   // of all records
  double duplicate_share = 0.05;   // exact re-sends of an earlier record
  double revision_share = 0.05;    // edits of an earlier record (revision + 1)
  double stale_share = 0.01;       // an older revision arriving after a newer one
  double echo_share = 0.04;        // a customer's earlier text again through another channel: a near duplicate
  double out_of_order_share = 0.1; // event time moved up to 3 h back
  double protobuf_share = 0.2;     // good records sent as protobuf instead of JSON
  double pii_share = 0.05;         // texts that carry an email address or phone number
  int64_t start_ms = 1'793'491'200'000;  // 2026-11-01T00:00:00Z
  int64_t span_ms = 48LL * 3'600'000;    // event times spread over this span...
  size_t planned_count = 1000;           // ...for this many records
  bool live = false;  // event time = the wall clock instead (the demo)
  runtime::PipelineTopicNames topics;
};

enum class Kind { kOriginal, kRevision, kExactDuplicate, kStale, kMalformed };

struct GeneratedRecord {
  std::string topic;
  std::string key;
  std::string value;
  Kind kind = Kind::kOriginal;
  std::string expected_reason;  // for kMalformed: the dead-letter reason the pipeline must give
};

// What one feedback is once every revision has arrived.
struct FinalFeedback {
  std::string source_system;
  std::string channel;  // "ticket", "survey", "review"
  std::string external_id;
  std::string customer_id;
  int64_t event_time_ms = 0;
  std::string text;  // as ingest canonicalises it: title and body joined by a blank line
  std::optional<int> nps;
  std::optional<int> csat;
  int rating = 0;
  uint32_t revisions = 1;  // enriched records the pipeline emits for it
};

struct GroundTruth {
  size_t records = 0;
  size_t originals = 0;
  size_t revisions = 0;
  size_t exact_duplicates = 0;
  size_t stale = 0;
  size_t malformed = 0;
  std::map<std::string, size_t> dead_letters_by_reason;
  std::map<std::string, FinalFeedback> feedback;  // by channel|source|external id
  size_t expected_enriched() const { return originals + revisions; }
  std::string ToJson() const;
};

// NOT thread-safe.
class Generator {
 public:
  explicit Generator(GenOptions options);
  const std::vector<voc::v1::CustomerProfile>& customers() const { return customers_; }
  // The next record (endless); the ground truth grows with each.
  GeneratedRecord Next();
  const GroundTruth& truth() const { return truth_; }

 private:
  struct Sent {
    std::string channel;
    FinalFeedback feedback;
    uint32_t revision = 1;
    std::string latest_payload;
    std::string first_payload;
    bool protobuf = false;
    int polarity = 0;
  };

  // A new feedback; echo_of: the same customer's text again, through another channel.
  GeneratedRecord Original(const Sent* echo_of = nullptr);
  GeneratedRecord Revision();
  GeneratedRecord Duplicate();
  GeneratedRecord Stale();
  GeneratedRecord Malformed();
  int64_t EventTime();
  std::string Text(const std::string& channel, int polarity, std::string* title);
  std::string Encode(const Sent& s, uint32_t revision, const std::string& title, const std::string& body,
                     bool protobuf);
  std::string TopicFor(const std::string& channel) const;
  double Uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
  size_t Pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  GenOptions options_;
  std::mt19937_64 rng_;
  std::vector<voc::v1::CustomerProfile> customers_;
  std::vector<Sent> sent_;
  std::vector<std::string> titles_;  // parallel to sent_: the latest title
  size_t index_ = 0;
  GroundTruth truth_;
};

std::string CustomerJson(const voc::v1::CustomerProfile& c);

}  // namespace voc::gen
