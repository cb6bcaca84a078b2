#include "common/state/state_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/write_batch_with_index.h>
#include <rocksdb/write_buffer_manager.h>

#include <cstring>
#include <filesystem>

namespace voc::state {
namespace {

constexpr char kOffsetsFamily[] = "offsets";

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void AppendBigEndian32(std::string* out, uint32_t v) {
  char b[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
               static_cast<char>(v)};
  out->append(b, 4);
}

// [partition, 4 bytes big-endian][key]: a partition's keys are one contiguous range.
void EncodeKey(PartitionId partition, std::string_view key, std::string* out) {
  out->clear();
  AppendBigEndian32(out, static_cast<uint32_t>(partition.value));
  out->append(key);
}

std::string OffsetKey(const TopicPartition& tp) {
  std::string key;
  AppendBigEndian32(&key, static_cast<uint32_t>(tp.partition.value));
  key.append(tp.topic);
  return key;
}

// Values of stores with a TTL start with their write time, 8 bytes little-endian.
constexpr size_t kTtlHeader = 8;

bool Expired(std::string_view stored, std::chrono::seconds ttl, int64_t now_ms) {
  if (stored.size() < kTtlHeader) return true;
  int64_t written = 0;
  std::memcpy(&written, stored.data(), kTtlHeader);
  return now_ms - written > ttl.count() * 1000;
}

class TtlFilter final : public rocksdb::CompactionFilter {
 public:
  explicit TtlFilter(std::chrono::seconds ttl) : ttl_(ttl) {}
  bool Filter(int, const rocksdb::Slice&, const rocksdb::Slice& value, std::string*, bool*) const override {
    return Expired(std::string_view(value.data(), value.size()), ttl_, WallMs());
  }
  const char* Name() const override { return "voc.TtlFilter"; }

 private:
  std::chrono::seconds ttl_;
};

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  if (s.IsInvalidArgument()) return Status::InvalidArgument(what + ": " + s.ToString());
  return Status::IoError(what + ": " + s.ToString());
}

class StateStoreImpl;

class TransactionImpl final : public Transaction {
 public:
  explicit TransactionImpl(StateStoreImpl* store) : store_(store), batch_(rocksdb::BytewiseComparator(), 0, true) {}

  void Put(StoreId store, PartitionId partition, std::string_view key, std::string_view value) override;
  void Delete(StoreId store, PartitionId partition, std::string_view key) override;
  Result<bool> Get(StoreId store, PartitionId partition, std::string_view key, std::string* value) override;
  Status Scan(StoreId store, PartitionId partition, std::string_view prefix,
              const std::function<bool(std::string_view, std::string_view)>& fn) override;
  void SetNextOffset(const TopicPartition& tp, Offset next) override;
  size_t pending_changes() const override { return static_cast<size_t>(batch_.GetWriteBatch()->Count()); }

  rocksdb::WriteBatchWithIndex* batch() { return &batch_; }

 private:
  StateStoreImpl* store_;
  mutable rocksdb::WriteBatchWithIndex batch_;  // GetWriteBatch() is not const
  std::string key_scratch_;
  std::string value_scratch_;
};

class StateStoreImpl final : public StateStore {
 public:
  ~StateStoreImpl() override {
    // Handles before the database, the database before the filters it uses.
    for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h);
    handles_.clear();
    if (db_ != nullptr) db_->Close().PermitUncheckedError();
  }

  Status Open(const StateOptions& options) {
    specs_ = options.stores;
    sync_ = options.sync_writes;
    std::error_code ec;
    std::filesystem::create_directories(options.path, ec);
    if (ec) return Status::IoError("cannot create state folder " + options.path + ": " + ec.message());

    // Memtables are charged to this cache so one number bounds both; it holds the block
    // budget on top, or memtables would evict the index and filter blocks every read needs.
    cache_ = rocksdb::NewLRUCache(options.block_cache_bytes + options.write_buffer_bytes);
    rocksdb::DBOptions db_options;
    db_options.create_if_missing = true;
    db_options.create_missing_column_families = true;
    db_options.max_background_jobs = 2;
    db_options.write_buffer_manager =
        std::make_shared<rocksdb::WriteBufferManager>(options.write_buffer_bytes, cache_);
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache_;
    table.cache_index_and_filter_blocks = true;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    rocksdb::ColumnFamilyOptions cf_base;
    cf_base.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf_base.write_buffer_size = std::max<size_t>(options.write_buffer_bytes / 4, 1 << 20);
    // Most lookups are for keys that do not exist yet (a new feedback id, a new window):
    // a bloom filter on the memtable answers those without walking its skiplist.
    cf_base.memtable_prefix_bloom_size_ratio = 0.1;
    cf_base.memtable_whole_key_filtering = true;

    if (!options.rocksdb_options.empty()) {
      rocksdb::ConfigOptions config;
      config.ignore_unknown_options = false;
      for (const auto& [key, value] : options.rocksdb_options) {
        rocksdb::DBOptions db_next;
        rocksdb::ColumnFamilyOptions cf_next;
        if (rocksdb::GetDBOptionsFromMap(config, db_options, {{key, value}}, &db_next).ok()) {
          db_options = db_next;
        } else if (rocksdb::GetColumnFamilyOptionsFromMap(config, cf_base, {{key, value}}, &cf_next).ok()) {
          cf_base = cf_next;
        } else {
          return Status::InvalidArgument("RocksDB option '" + key + "' = '" + value +
                                         "' is not a valid DB or column family option");
        }
      }
    }

    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    families.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_base);
    families.emplace_back(kOffsetsFamily, cf_base);
    for (const auto& spec : specs_) {
      rocksdb::ColumnFamilyOptions cf = cf_base;
      if (spec.ttl.count() > 0) {
        filters_.push_back(std::make_unique<TtlFilter>(spec.ttl));
        cf.compaction_filter = filters_.back().get();
      }
      families.emplace_back(spec.name, cf);
    }
    rocksdb::DB* db = nullptr;
    VOC_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(db_options, options.path, families, &handles_, &db),
                                  "cannot open state store " + options.path));
    db_.reset(db);
    return Status::Ok();
  }

  std::unique_ptr<Transaction> Begin() override { return std::make_unique<TransactionImpl>(this); }

  Status Commit(Transaction* txn) override {
    auto* impl = static_cast<TransactionImpl*>(txn);
    rocksdb::WriteOptions wo;
    wo.sync = sync_;
    Status s = FromRocks(db_->Write(wo, impl->batch()->GetWriteBatch()), "state commit");
    impl->batch()->Clear();
    return s;
  }

  Result<bool> Get(StoreId store, PartitionId partition, std::string_view key, std::string* value) override {
    std::string encoded;
    EncodeKey(partition, key, &encoded);
    rocksdb::PinnableSlice slice;
    auto s = db_->Get(rocksdb::ReadOptions(), family(store), encoded, &slice);
    if (s.IsNotFound()) return false;
    if (!s.ok()) return FromRocks(s, "state read");
    return Unwrap(store, std::string_view(slice.data(), slice.size()), value);
  }

  Status Scan(StoreId store, PartitionId partition, std::string_view prefix,
              const std::function<bool(std::string_view, std::string_view)>& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), family(store)));
    return ScanIterator(it.get(), store, partition, prefix, fn);
  }

  // Walks the keys of one partition that start with prefix, hiding the partition bytes.
  Status ScanIterator(rocksdb::Iterator* it, StoreId store, PartitionId partition, std::string_view prefix,
                      const std::function<bool(std::string_view, std::string_view)>& fn) const {
    std::string start;
    EncodeKey(partition, prefix, &start);
    std::string value;
    for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
      if (!Unwrap(store, std::string_view(it->value().data(), it->value().size()), &value)) continue;
      std::string_view key(it->key().data() + 4, it->key().size() - 4);
      if (!fn(key, value)) break;
    }
    return FromRocks(it->status(), "state scan");
  }

  std::optional<Offset> NextOffset(const TopicPartition& tp) override {
    std::string value;
    auto s = db_->Get(rocksdb::ReadOptions(), handles_[1], OffsetKey(tp), &value);
    if (!s.ok() || value.size() != 8) return std::nullopt;
    int64_t offset = 0;
    std::memcpy(&offset, value.data(), 8);
    return Offset(offset);
  }

  Status DropPartition(PartitionId partition) override {
    std::string begin, end;
    AppendBigEndian32(&begin, static_cast<uint32_t>(partition.value));
    AppendBigEndian32(&end, static_cast<uint32_t>(partition.value) + 1);
    rocksdb::WriteBatch batch;
    for (size_t i = 1; i < handles_.size(); ++i) {
      VOC_RETURN_IF_ERROR(FromRocks(batch.DeleteRange(handles_[i], begin, end), "drop partition"));
    }
    return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "drop partition");
  }

  uint64_t MemoryUsage() override { return cache_->GetUsage(); }

  // For TransactionImpl.
  rocksdb::ColumnFamilyHandle* family(StoreId store) const { return handles_[static_cast<size_t>(store) + 2]; }
  rocksdb::ColumnFamilyHandle* offsets_family() const { return handles_[1]; }
  rocksdb::DB* db() const { return db_.get(); }
  bool has_ttl(StoreId store) const { return specs_[static_cast<size_t>(store)].ttl.count() > 0; }

  // Strips the TTL header; false when the entry has expired.
  bool Unwrap(StoreId store, std::string_view stored, std::string* value) const {
    const auto& spec = specs_[static_cast<size_t>(store)];
    if (spec.ttl.count() == 0) {
      value->assign(stored);
      return true;
    }
    if (Expired(stored, spec.ttl, WallMs())) return false;
    value->assign(stored.substr(kTtlHeader));
    return true;
  }

 private:
  std::vector<StoreSpec> specs_;
  bool sync_ = false;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::vector<std::unique_ptr<TtlFilter>> filters_;  // outlive db_
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // default, offsets, then the stores
};

void TransactionImpl::Put(StoreId store, PartitionId partition, std::string_view key, std::string_view value) {
  EncodeKey(partition, key, &key_scratch_);
  if (store_->has_ttl(store)) {
    value_scratch_.resize(kTtlHeader);
    int64_t now = WallMs();
    std::memcpy(value_scratch_.data(), &now, kTtlHeader);
    value_scratch_.append(value);
    batch_.Put(store_->family(store), key_scratch_, value_scratch_).PermitUncheckedError();
    return;
  }
  batch_.Put(store_->family(store), key_scratch_, rocksdb::Slice(value.data(), value.size())).PermitUncheckedError();
}

void TransactionImpl::Delete(StoreId store, PartitionId partition, std::string_view key) {
  EncodeKey(partition, key, &key_scratch_);
  batch_.Delete(store_->family(store), key_scratch_).PermitUncheckedError();
}

Result<bool> TransactionImpl::Get(StoreId store, PartitionId partition, std::string_view key, std::string* value) {
  EncodeKey(partition, key, &key_scratch_);
  rocksdb::PinnableSlice slice;
  auto s = batch_.GetFromBatchAndDB(store_->db(), rocksdb::ReadOptions(), store_->family(store), key_scratch_, &slice);
  if (s.IsNotFound()) return false;
  if (!s.ok()) return FromRocks(s, "state read");
  return store_->Unwrap(store, std::string_view(slice.data(), slice.size()), value);
}

Status TransactionImpl::Scan(StoreId store, PartitionId partition, std::string_view prefix,
                             const std::function<bool(std::string_view, std::string_view)>& fn) {
  std::unique_ptr<rocksdb::Iterator> it(
      batch_.NewIteratorWithBase(store_->family(store), store_->db()->NewIterator(rocksdb::ReadOptions(), store_->family(store))));
  return store_->ScanIterator(it.get(), store, partition, prefix, fn);
}

void TransactionImpl::SetNextOffset(const TopicPartition& tp, Offset next) {
  char buf[8];
  std::memcpy(buf, &next.value, 8);
  batch_.Put(store_->offsets_family(), OffsetKey(tp), rocksdb::Slice(buf, 8)).PermitUncheckedError();
}

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::Open(const StateOptions& options) {
  auto store = std::make_unique<StateStoreImpl>();
  VOC_RETURN_IF_ERROR(store->Open(options));
  return std::unique_ptr<StateStore>(std::move(store));
}

}  // namespace voc::state
