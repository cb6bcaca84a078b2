// voc-aggregate's logic: event-time tumbling windows per theme x channel (and an
// all-channels rollup), fed by ThemeMentions. Idempotent by (feedback_id, revision): a
// contribution is stored with the revision that made it, so a redelivered mention
// changes nothing and a new revision replaces the old one exactly. Emits upserts of
// absolute values at most once per emit interval per window, and once more when the
// window closes; late data re-opens a closed window as a correction.
//
// State: everything one customer gave one theme is one "account", read once when first
// used and written once per checkpoint however many mentions changed it. Unique
// customers and the ARR they carry derive from the account in memory and need no state of
// their own.
#pragma once

#include <array>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/core/string_map.h"
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
  // Contributions and windows kept in memory across batches (every change is also in the
  // store by the end of its batch); past this many the cache starts over.
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
  std::string StateFormat() const override { return "voc-aggregate/3"; }
  void AttachStore(state::StateStore* store) override { store_ = store; }
  void Process(const kafka::Record& record, runtime::Context& ctx) override;
  void EndBatch(runtime::Context& ctx) override;
  void BeforeCommit(runtime::Context& ctx) override;
  void AfterCommit() override;
  void OnAssigned(const std::vector<TopicPartition>& partitions) override;
  void OnRevoked(const std::vector<TopicPartition>& partitions) override;

 private:
  enum Store : state::StoreId { kAccount = 0, kWindow, kMeta, kMembers };

  // What one feedback adds to one theme, or, retracted, the tombstone that remembers the
  // revision which took it back out.
  struct Contribution {
    std::string feedback_id;
    uint32_t revision = 0;
    bool retracted = false;
    bool sentiment_scored = false;
    bool near_duplicate = false;
    int32_t channel = 0;
    int32_t nps = -1;  // -1: none
    int32_t csat = 0;  // 0: none
    int64_t event_time_ms = 0;
    int64_t sentiment_micros = 0;
    int64_t arr = 0;
    int64_t source_timestamp_ms = 0;
    // Input offset of the mention that made it: in each window, a customer's ARR is the
    // one its latest live contribution there carried (the same after a reload).
    int64_t applied_offset = 0;
    int64_t written_at_ms = 0;  // wall time: past the store's TTL it is dropped
  };
  // One customer within one window span (size, start) of an account's theme: its live
  // contributions there by channel (0: all channels) and the ARR credited to each window
  // of the span in which the customer counts.
  struct Span {
    int64_t size_ms = 0;
    int64_t start_ms = 0;
    std::array<int64_t, 4> counts{};
    int64_t arr = 0;
    int64_t arr_offset = -1;  // applied offset of the contribution whose ARR that is
  };
  struct Account {
    std::vector<Contribution> contributions;  // by feedback id
    std::vector<Span> spans;                  // by (size, start)
    int64_t listed_at_ms = 0;                 // its "members" entry last written (wall time)
    bool modified = false;                    // in modified_accounts_
  };
  struct CachedWindow {
    voc::state::v1::WindowState state;
    bool modified = false;  // in modified_windows_, to write at the next checkpoint
    bool dirty = false;     // known to be in dirty_ (false says nothing: not checked yet)
  };
  // Nodes of the caches' maps: their addresses survive rehashing.
  using WindowEntry = std::pair<const std::string, CachedWindow>;
  using AccountEntry = std::pair<const std::string, Account>;
  struct PartitionCache {
    StringMap<CachedWindow> windows;  // by window key
    StringMap<Account> accounts;      // by account key
  };

  std::chrono::seconds StateTtl() const;
  // The account of account_key_, read from the store on first use (and listed among the
  // theme's accounts when new).
  AccountEntry& LoadAccount(PartitionId partition, PartitionCache& cache, runtime::Context& ctx);
  bool ReadAccount(PartitionId partition, std::string_view key, Account* account, int64_t now_ms);
  static Span& SpanOf(Account& account, int64_t size_ms, int64_t start_ms);
  static void Recredit(const Account& account, Span* span, std::string_view excluded_feedback_id);
  void Apply(PartitionId partition, PartitionCache& cache, Account& account, const Contribution& c,
             const std::string& theme_id, const std::string& theme_path, int sign, runtime::Context& ctx);
  WindowEntry& Window(PartitionId partition, PartitionCache& cache, const std::string& key, runtime::Context& ctx,
                      bool* created);
  void Modified(PartitionId partition, WindowEntry& entry);
  void MarkDirty(PartitionId partition, WindowEntry& entry);
  void CloseWindows(PartitionId partition, int64_t watermark, runtime::Context& ctx);
  void EmitWindow(PartitionId partition, const std::string& key, runtime::Context& ctx);
  void RefillExamples(PartitionId partition, voc::state::v1::WindowState* s, runtime::Context& ctx);
  void Load(PartitionId partition);

  AggregateOptions options_;
  std::unique_ptr<AggregateProbe> probe_;
  state::StateStore* store_ = nullptr;
  // Accounts and windows read or changed, by partition. This processor is the only writer
  // of its partitions' state, so the cache stays true across batches; a revoked
  // partition's goes, and all of it when it outgrows options_.cache_entries (only after
  // a commit, so an account missing from the cache has no uncommitted change).
  std::unordered_map<int32_t, PartitionCache> cache_;
  size_t cached_entries_ = 0;
  // The windows and accounts changed since the last checkpoint, to write back at the next.
  std::vector<std::pair<int32_t, WindowEntry*>> modified_windows_;
  std::vector<std::pair<int32_t, AccountEntry*>> modified_accounts_;
  // Per assigned partition: windows changed since they were last emitted (in kMeta at
  // each checkpoint that changed them), and the event-time watermark (also in kMeta).
  std::unordered_map<int32_t, std::unordered_set<std::string>> dirty_;
  std::set<int32_t> dirty_changed_;
  std::map<int32_t, int64_t> watermark_;
  // Per assigned partition whose stored meta values could not be read on assignment: why.
  // Process and EndBatch throw it as a FatalError (the rebalance callback cannot).
  std::map<int32_t, std::string> unreadable_;
  // Per assigned partition: open windows by the time they close (in kMeta at each
  // checkpoint that opened or closed one).
  std::map<int32_t, std::multimap<int64_t, std::string>> open_;
  std::set<int32_t> open_changed_;
  std::set<int32_t> watermark_changed_;
  // By window size: the windows of the group (partition, start, theme) Apply touched last,
  // filled as they are looked up. Cleared with the caches they point into.
  struct GroupMemo {
    int32_t partition = -1;
    int64_t start_ms = 0;
    std::string theme_id;
    std::array<WindowEntry*, 4> windows{};  // by channel, 0: all
  };
  std::vector<GroupMemo> memo_;
  // Unset until the first emission: a restarted service emits what is dirty at once.
  std::optional<std::chrono::steady_clock::time_point> last_emit_;
  // Reused per record: no allocation on the hot path.
  voc::v1::ThemeMention mention_;
  voc::v1::ThemeAggregate aggregate_;
  voc::state::v1::Account stored_;
  voc::state::v1::DirtyWindows dirty_windows_;
  voc::state::v1::OpenWindows open_windows_;
  std::string account_key_;  // of the mention's account
  std::string window_key_;
  std::string value_;
  std::string bytes_;
};

// "3600000|1763632800000|reliability.crashes": the windows of one theme, every channel.
std::string WindowGroup(int64_t size_ms, int64_t start_ms, std::string_view theme_id);
// "3600000|1763632800000|reliability.crashes|ticket": the window's key, on the topic too.
std::string WindowKey(int64_t size_ms, int64_t start_ms, std::string_view theme_id, std::string_view channel);

}  // namespace voc::aggregate
