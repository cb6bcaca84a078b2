// voc-enrich's logic: deduplicate (exact, by revision, and near duplicates per customer),
// enrich with text analytics and the customer profile, and emit the enriched record,
// one ThemeMention per theme (with retractions) and alerts for urgent feedback.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/core/string_map.h"
#include "common/runtime/processor.h"
#include "common/text/analyzer.h"
#include "services/enrich/customer_table.h"
#include "voc/state/v1/state.pb.h"
#include "voc/v1/alert.pb.h"
#include "voc/v1/enriched.pb.h"
#include "voc/v1/feedback.pb.h"
#include "voc/v1/theme.pb.h"

namespace prometheus {
class Registry;
}

namespace voc::enrich {

struct EnrichOptions {
  kafka::ClientConfig kafka;  // for the customer table
  kafka::Properties consumer_properties;
  std::string customers_topic = "voc.customers";
  std::string enriched_topic = "voc.feedback.enriched";
  std::string mentions_topic = "voc.theme.mentions";
  std::string alerts_topic = "voc.alerts";
  text::AnalyzerOptions analyzer;
  std::chrono::seconds dedupe_ttl{30 * 86400};       // how long a feedback id is remembered
  std::chrono::milliseconds near_duplicate_horizon{7 * 86'400'000LL};  // by event time, per customer
  int near_duplicate_max_distance = 3;               // SimHash bits
  int near_duplicate_min_words = 6;                  // shorter texts are never near duplicates
  size_t near_duplicate_max_entries = 32;            // per customer
  // Near-duplicate indexes kept in memory across batches (write-through: every change is
  // also in the store); past this many customers the cache starts over.
  size_t near_duplicate_cache_entries = 100'000;
  std::chrono::milliseconds customer_catch_up{60'000};
  std::string service_version = "0.1.0";
};

// Counts of what the processor decided, exposed as metrics.
struct EnrichProbe;

// NOT thread-safe: runs on the service's processing thread.
class EnrichProcessor final : public runtime::Processor {
 public:
  EnrichProcessor(EnrichOptions options, std::unique_ptr<text::Analyzer> analyzer, prometheus::Registry& registry);
  ~EnrichProcessor() override;

  std::vector<state::StoreSpec> Stores() const override;
  std::string StateFormat() const override { return "voc-enrich/1"; }
  void AttachStore(state::StateStore* store) override;
  void Process(const kafka::Record& record, runtime::Context& ctx) override;
  void Tick() override;
  // Ready once the customer table is read to its end, or once enrich.customer_catch_up
  // has passed (then profiles that arrive later join later records only).
  bool Ready() const override;
  void BeforeCommit(runtime::Context& ctx) override;
  void AfterCommit() override;
  void OnRevoked(const std::vector<TopicPartition>& partitions) override;

 private:
  enum Store : state::StoreId { kDedupe = 0, kNearDuplicates = 1, kCustomers = 2 };

  // One recent text of a customer, as the near-duplicate search reads it.
  struct RecentText {
    uint64_t simhash = 0;
    uint64_t id_hash = 0;  // of feedback_id: most comparisons end here
    int64_t event_time_ms = 0;
    std::string feedback_id;
  };
  // A customer's recent texts, oldest first.
  struct CachedIndex {
    std::vector<RecentText> texts;
    bool changed = false;
  };
  using IndexEntry = std::pair<const std::string, CachedIndex>;

  std::string NearDuplicateOf(const kafka::Record& record, runtime::Context& ctx, uint64_t simhash, int words);
  // The customer's near-duplicate index, read from the store on first use.
  CachedIndex& IndexOf(PartitionId partition, const std::string& customer_id, runtime::Context& ctx);
  void EmitMentions(const voc::state::v1::DedupeEntry* previous, runtime::Context& ctx);
  void EmitAlert(runtime::Context& ctx);

  EnrichOptions options_;
  std::unique_ptr<text::Analyzer> analyzer_;
  std::unique_ptr<EnrichProbe> probe_;
  state::StateStore* store_ = nullptr;
  std::unique_ptr<CustomerTable> customers_;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  // Reused per record: no allocation storms on the hot path.
  voc::v1::Feedback feedback_;
  voc::v1::EnrichedFeedback enriched_;
  voc::v1::ThemeMention mention_;
  voc::v1::Alert alert_;
  voc::state::v1::DedupeEntry entry_;
  voc::state::v1::DedupeEntry previous_;
  // Near-duplicate indexes by partition and customer; the ones changed since the last
  // checkpoint are serialized once then rather than once per record. Map nodes keep their
  // addresses, so the changed list points into them.
  std::unordered_map<int32_t, StringMap<CachedIndex>> indexes_;
  size_t cached_indexes_ = 0;
  std::vector<std::pair<int32_t, IndexEntry*>> changed_indexes_;
  voc::state::v1::NearDuplicateIndex stored_index_;
  text::Analysis analysis_;
  std::string value_;
  std::string bytes_;
  std::string fingerprint_content_;  // what Fingerprint hashes, its capacity kept
};

}  // namespace voc::enrich
