// voc-aggregate's logic: event-time tumbling windows per theme x channel (and an
// all-channels rollup), fed by ThemeMentions. Idempotent by (feedback_id, revision): a
// contribution is stored with the revision that made it, so a redelivered mention
// changes nothing and a new revision replaces the old one exactly. Emits upserts of
// absolute values at most once per emit interval per window, and once more when the
// window closes; late data re-opens a closed window as a correction.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/runtime/processor.h"
#include "voc/state/v1/state.pb.h"
#include "voc/v1/theme.pb.h"

namespace prometheus {
class Registry;
}

namespace voc::aggregate {

struct AggregateOptions {
  std::string aggregates_topic = "voc.theme.aggregates";
  std::vector<std::chrono::milliseconds> window_sizes = {std::chrono::hours(1), std::chrono::hours(24)};
  std::chrono::milliseconds allowed_lateness{std::chrono::hours(1)};  // closes window end + this after the watermark
  std::chrono::milliseconds retention{std::chrono::hours(24 * 30)};   // older mentions go to the dead letters
  std::chrono::milliseconds emit_interval{1000};
  size_t examples = 3;  // example feedback ids per window
  // Windows and customer counts kept in memory across batches (write-through: every
  // change is also in the store); past this many entries the cache starts over.
  size_t cache_entries = 200'000;
  std::string service_version = "0.1.0";
};

struct AggregateProbe;

// NOT thread-safe: runs on the service's processing thread.
class AggregateProcessor final : public runtime::Processor {
 public:
  AggregateProcessor(AggregateOptions options, prometheus::Registry& registry);
  ~AggregateProcessor() override;

  std::vector<state::StoreSpec> Stores() const override;
  void AttachStore(state::StateStore* store) override { store_ = store; }
  void Process(const kafka::Record& record, runtime::Context& ctx) override;
  void EndBatch(runtime::Context& ctx) override;
  void AfterCommit() override;
  void OnAssigned(const std::vector<TopicPartition>& partitions) override;
  void OnRevoked(const std::vector<TopicPartition>& partitions) override;

 private:
  enum Store : state::StoreId { kContrib = 0, kWindow, kCustomer, kDirty, kOpen, kMeta };

  struct CachedWindow {
    voc::state::v1::WindowState state;
    bool modified = false;  // in modified_windows_
    bool dirty = false;     // known to be in dirty_ (false says nothing: not checked yet)
  };
  struct CachedCustomer {
    voc::state::v1::WindowCustomer entry;
    bool modified = false;
  };
  // Nodes of the caches' maps: their addresses survive rehashing.
  using WindowEntry = std::pair<const std::string, CachedWindow>;
  using CustomerEntry = std::pair<const std::string, CachedCustomer>;
  struct PartitionCache {
    std::unordered_map<std::string, CachedWindow> windows;
    std::unordered_map<std::string, CachedCustomer> customers;
  };

  void Apply(PartitionId partition, const voc::state::v1::Contribution& c, const std::string& feedback_id,
             const std::string& theme_id, const std::string& theme_path, int sign, runtime::Context& ctx);
  WindowEntry& Window(PartitionId partition, const std::string& key, runtime::Context& ctx, bool* created);
  CustomerEntry& Customer(PartitionId partition, const std::string& key, runtime::Context& ctx);
  void Modified(PartitionId partition, WindowEntry& entry);
  void MarkDirty(PartitionId partition, WindowEntry& entry, runtime::Context& ctx);
  void CloseWindows(PartitionId partition, int64_t watermark, runtime::Context& ctx);
  void EmitWindow(PartitionId partition, const std::string& key, runtime::Context& ctx);
  void RefillExamples(PartitionId partition, voc::state::v1::WindowState* s, runtime::Context& ctx);
  void Load(PartitionId partition);

  AggregateOptions options_;
  std::unique_ptr<AggregateProbe> probe_;
  state::StateStore* store_ = nullptr;
  // Windows and customer counts read or changed, by partition, written back at EndBatch.
  // This processor is the only writer of its partitions' state, so the cache stays true
  // across batches; a revoked partition's goes, and all of it when it outgrows
  // options_.cache_entries.
  std::unordered_map<int32_t, PartitionCache> cache_;
  size_t cached_entries_ = 0;
  // The entries changed in this batch, to write back.
  std::vector<std::pair<int32_t, WindowEntry*>> modified_windows_;
  std::vector<std::pair<int32_t, CustomerEntry*>> modified_customers_;
  // Per assigned partition: windows changed since they were last emitted (also in kDirty),
  // and the event-time watermark (also in kMeta).
  std::unordered_map<int32_t, std::unordered_set<std::string>> dirty_;
  std::map<int32_t, int64_t> watermark_;
  // Per assigned partition: open windows by the time they close (also in kOpen), so
  // closing them never scans the store's tombstones of windows closed before.
  std::map<int32_t, std::multimap<int64_t, std::string>> open_;
  std::set<int32_t> watermark_changed_;
  // Unset until the first emission: a restarted service emits what is dirty at once.
  std::optional<std::chrono::steady_clock::time_point> last_emit_;
  voc::v1::ThemeMention mention_;
  voc::v1::ThemeAggregate aggregate_;
  voc::state::v1::Contribution contribution_;
  voc::state::v1::Contribution previous_;
  std::string value_;
  std::string bytes_;
};

// "3600000|1763632800000|reliability.crashes": the windows of one theme, every channel.
std::string WindowGroup(int64_t size_ms, int64_t start_ms, std::string_view theme_id);
// "3600000|1763632800000|reliability.crashes|ticket": the window's key, on the topic too.
std::string WindowKey(int64_t size_ms, int64_t start_ms, std::string_view theme_id, std::string_view channel);

}  // namespace voc::aggregate
