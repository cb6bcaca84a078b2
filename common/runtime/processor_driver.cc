#include "common/runtime/processor_driver.h"

#include <algorithm>

namespace voc::runtime {

class ProcessorDriver::SetupImpl final : public Setup {
 public:
  void StateFormat(std::string format) override { format_ = std::move(format); }
  void ReadContentType() override { reads_content_type_ = true; }
  void Timer(std::chrono::milliseconds every) override { timer_ = every; }

  std::vector<std::unique_ptr<state::CachedStore>> stores_;
  std::vector<TableSpec> tables_;
  std::vector<Derivation> derivations_;
  std::vector<std::shared_ptr<void>> table_handles_;  // the Table<V> objects handed out
  std::string format_;
  bool reads_content_type_ = false;
  std::optional<std::chrono::milliseconds> timer_;
  std::shared_ptr<const state::EventClock> clock() const { return event_clock_; }

 protected:
  state::StoreId next_store_id() const override { return static_cast<state::StoreId>(stores_.size()); }
  void AddStore(std::unique_ptr<state::CachedStore> store) override { stores_.push_back(std::move(store)); }
  void AddTable(TableSpec spec, std::shared_ptr<void> handle) override {
    tables_.push_back(std::move(spec));
    table_handles_.push_back(std::move(handle));
  }
  void AddDerivation(Derivation derivation) override { derivations_.push_back(std::move(derivation)); }
};

ProcessorDriver::ProcessorDriver(DriverOptions options, std::unique_ptr<Processor> processor)
    : options_(std::move(options)), setup_(std::make_unique<SetupImpl>()), processor_(std::move(processor)) {}

ProcessorDriver::~ProcessorDriver() = default;

Result<std::unique_ptr<ProcessorDriver>> ProcessorDriver::Open(DriverOptions options,
                                                               std::unique_ptr<Processor> processor) {
  std::unique_ptr<ProcessorDriver> driver(new ProcessorDriver(std::move(options), std::move(processor)));
  driver->processor_->Open(*driver->setup_);
  auto& stores = driver->setup_->stores_;
  if (stores.empty()) return driver;
  state::StateOptions so = driver->options_.state;
  if (so.path.empty()) return Status::InvalidArgument(driver->options_.service + " keeps state and needs state.dir");
  so.stores.clear();
  for (const auto& store : stores) so.stores.push_back(store->spec());
  so.format = driver->setup_->format_;
  so.event_clock = driver->setup_->clock();
  auto db = state::StateStore::Open(so);
  if (!db.ok()) return db.status();
  driver->db_ = std::move(db).value();
  for (auto& store : stores) store->Bind(driver->db_.get());
  driver->txn_ = driver->db_->Begin();
  return driver;
}

bool ProcessorDriver::reads_content_type() const { return setup_->reads_content_type_; }

const std::vector<TableSpec>& ProcessorDriver::tables() const { return setup_->tables_; }

const std::vector<Derivation>& ProcessorDriver::derivations() const { return setup_->derivations_; }

const std::string& ProcessorDriver::state_format() const { return setup_->format_; }

bool ProcessorDriver::Process(const kafka::Record& record, Context& ctx) {
  try {
    processor_->Process(record, ctx);
    return false;
  } catch (const FatalError&) {
    throw;
  } catch (const std::exception& e) {
    ctx.out.DeadLetter(record, "PROCESSING_ERROR", e.what());
    return true;
  }
}

void ProcessorDriver::EndBatch(Context& ctx) {
  processor_->EndBatch(ctx);
  if (!setup_->timer_) return;
  const auto now = options_.clock();
  if (last_timer_ && now - *last_timer_ < *setup_->timer_) return;
  last_timer_ = now;
  processor_->OnTimer(ctx);
}

bool ProcessorDriver::ApplyTableRow(size_t table, std::string_view key, std::string_view value) {
  return setup_->tables_.at(table).apply(key, value);
}

void ProcessorDriver::WriteChanges(state::ChangeSink* sink) {
  if (!db_) return;
  for (auto& store : setup_->stores_) store->WriteChanges(txn_.get(), sink);
}

std::vector<state::StoreSpec> ProcessorDriver::store_specs() const {
  std::vector<state::StoreSpec> specs;
  for (const auto& store : setup_->stores_) specs.push_back(store->spec());
  return specs;
}

Status ProcessorDriver::Commit(const std::map<TopicPartition, Offset>& next_offsets) {
  if (!db_) return Status::Ok();
  WriteChanges(nullptr);
  if (txn_->pending_changes() == 0 && next_offsets.empty()) return Status::Ok();
  for (const auto& [tp, next] : next_offsets) txn_->SetNextOffset(tp, next);
  VOC_RETURN_IF_ERROR(db_->Commit(txn_.get()));
  // The budget is shared: each store gets it in proportion to what it holds.
  ++checkpoints_;
  size_t total = 0;
  for (const auto& store : setup_->stores_) total += store->cached_bytes();
  for (auto& store : setup_->stores_) {
    store->set_clock(checkpoints_);
    if (total > options_.cache_bytes) {
      const double share = static_cast<double>(store->cached_bytes()) / static_cast<double>(total);
      // Down to three quarters of the budget, so eviction is not paid at every checkpoint.
      store->Shrink(static_cast<size_t>(share * 0.75 * static_cast<double>(options_.cache_bytes)));
    }
  }
  return Status::Ok();
}

void ProcessorDriver::ShedCaches(double keep_fraction) {
  for (auto& store : setup_->stores_) {
    store->Shrink(static_cast<size_t>(keep_fraction * static_cast<double>(store->cached_bytes())));
  }
}

size_t ProcessorDriver::cached_bytes() const {
  size_t total = 0;
  for (const auto& store : setup_->stores_) total += store->cached_bytes();
  return total;
}

bool ProcessorDriver::CachesOverBudget() const {
  size_t cached = 0, unwritten = 0;
  for (const auto& store : setup_->stores_) {
    cached += store->cached_bytes();
    unwritten += store->unwritten_bytes();
  }
  return cached > options_.cache_bytes || unwritten > options_.cache_bytes / 4;
}

size_t ProcessorDriver::unwritten() const {
  size_t n = 0;
  for (const auto& store : setup_->stores_) n += store->unwritten();
  return n;
}

void ProcessorDriver::Forget(const std::vector<TopicPartition>& partitions) {
  for (auto& store : setup_->stores_) {
    for (const auto& tp : partitions) store->Forget(tp.partition);
  }
}

std::optional<Offset> ProcessorDriver::StoredOffset(const TopicPartition& tp) {
  return db_ ? db_->NextOffset(tp) : std::nullopt;
}

}  // namespace voc::runtime
