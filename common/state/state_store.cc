#include "common/state/state_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/compaction_filter.h>
#include <rocksdb/convenience.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_buffer_manager.h>

#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <set>
#include <unordered_map>

namespace voc::state {

void EventClock::Advance(PartitionId partition, int64_t ms) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = now_.try_emplace(partition.value, ms);
  if (!inserted && ms > it->second) it->second = ms;
}

std::optional<int64_t> EventClock::Now(PartitionId partition) const {
  std::lock_guard lock(mu_);
  auto it = now_.find(partition.value);
  if (it == now_.end()) return std::nullopt;
  return it->second;
}

namespace {

constexpr char kOffsetsFamily[] = "offsets";
constexpr char kFormatKey[] = "voc.state_format";  // in the default family, which holds nothing else

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

// In the offsets family, after the partition's offsets: no topic name holds byte 0xFF.
std::string UnconfirmedKey(PartitionId partition) {
  std::string key;
  AppendBigEndian32(&key, static_cast<uint32_t>(partition.value));
  key.append("\xff" "unconfirmed");
  return key;
}

// Values of stores with a TTL start with their write time, 8 bytes little-endian: wall
// clock ms, or for a store whose TTL counts event time the partition's event time then.
constexpr size_t kTtlHeader = 8;
// The write time of an entry written while its partition's event time was unknown.
constexpr int64_t kNeverExpires = std::numeric_limits<int64_t>::max();

// now: the store's clock for the entry's partition; none (an event time not known yet)
// expires nothing.
bool Expired(int64_t written_ms, std::chrono::seconds ttl, std::optional<int64_t> now) {
  return now && written_ms != kNeverExpires && *now - written_ms > ttl.count() * 1000;
}

int64_t WriteTimeOf(std::string_view stored) {
  int64_t written = 0;
  std::memcpy(&written, stored.data(), kTtlHeader);
  return written;
}

bool Expired(std::string_view stored, std::chrono::seconds ttl, std::optional<int64_t> now) {
  return stored.size() < kTtlHeader || Expired(WriteTimeOf(stored), ttl, now);
}

PartitionId PartitionOfKey(std::string_view encoded) {
  if (encoded.size() < 4) return PartitionId(-1);
  const auto* b = reinterpret_cast<const unsigned char*>(encoded.data());
  return PartitionId(static_cast<int32_t>(uint32_t{b[0]} << 24 | uint32_t{b[1]} << 16 | uint32_t{b[2]} << 8 | b[3]));
}

// A store's TTL clock: the wall clock, or the event time of each partition.
class TtlClock {
 public:
  TtlClock(const StoreSpec& spec, std::shared_ptr<const EventClock> events)
      : ttl_(spec.ttl), events_(spec.ttl_in_event_time ? std::move(events) : nullptr) {}
  bool enabled() const { return ttl_.count() > 0; }
  std::optional<int64_t> Now(PartitionId partition) const {
    if (events_ == nullptr) return WallMs();
    return events_->Now(partition);
  }
  // The write time recorded with a value written now.
  int64_t WriteTime(PartitionId partition) const { return Now(partition).value_or(kNeverExpires); }
  bool Expired(PartitionId partition, std::string_view stored) const {
    return state::Expired(stored, ttl_, Now(partition));
  }
  bool Expired(PartitionId partition, int64_t written_ms) const {
    return enabled() && state::Expired(written_ms, ttl_, Now(partition));
  }

 private:
  std::chrono::seconds ttl_;
  std::shared_ptr<const EventClock> events_;  // null: the wall clock
};

class TtlFilter final : public rocksdb::CompactionFilter {
 public:
  explicit TtlFilter(const TtlClock* clock) : clock_(clock) {}
  bool Filter(int, const rocksdb::Slice& key, const rocksdb::Slice& value, std::string*, bool*) const override {
    return clock_->Expired(PartitionOfKey(std::string_view(key.data(), key.size())),
                           std::string_view(value.data(), value.size()));
  }
  const char* Name() const override { return "voc.TtlFilter"; }

 private:
  const TtlClock* clock_;  // the StateStoreImpl's, which outlives the database
};

Status FromRocks(const rocksdb::Status& s, const std::string& what) {
  if (s.ok()) return Status::Ok();
  if (s.IsCorruption()) return Status::Corruption(what + ": " + s.ToString());
  if (s.IsInvalidArgument()) return Status::InvalidArgument(what + ": " + s.ToString());
  return Status::IoError(what + ": " + s.ToString());
}

class StateStoreImpl;

// Pending changes as they were made, in one buffer: a Put or Delete appends. The commit
// writes them sorted by store and key, the last change of a key winning: the memtable's
// skiplist reuses its search path from one insert to the next, so sorted inserts cost a
// fraction of random ones. (Reads go to the processors' caches and the committed state,
// never to a transaction: it needs no index.)
class TransactionImpl final : public Transaction {
 public:
  explicit TransactionImpl(StateStoreImpl* store) : store_(store) {}

  int64_t Put(StoreId store, PartitionId partition, std::string_view key, std::string_view value) override;
  void PutAsWritten(StoreId store, PartitionId partition, std::string_view key, std::string_view value,
                    int64_t written_ms) override;
  void Delete(StoreId store, PartitionId partition, std::string_view key) override;
  void SetNextOffset(const TopicPartition& tp, Offset next) override;
  size_t pending_changes() const override { return changes_.size() + offsets_.size(); }

  // Moves every change and offset into batch and forgets them.
  void Drain(rocksdb::WriteBatch* batch);
  // About what Drain writes into a batch: header, and per entry its tag, column family,
  // lengths, key and value.
  size_t EncodedBytes() const {
    size_t n = 12 + bytes_.size() + 16 * changes_.size();
    for (const auto& [key, bytes] : offsets_) n += 16 + key.size() + bytes.size();
    return n;
  }

 private:
  struct Change {
    StoreId store;
    bool deleted;
    size_t key_at;        // in bytes_ (a restore may put a whole partition in one transaction)
    uint32_t key_size;    // the key encoded with its partition
    uint32_t value_size;  // after the key; as stored: with the TTL header where the store has one
  };
  // Appends the encoded key of a change and returns the change, its value still empty.
  Change& Begin(StoreId store, PartitionId partition, std::string_view key, bool deleted);
  std::string_view KeyOf(const Change& c) const { return std::string_view(bytes_).substr(c.key_at, c.key_size); }
  std::string_view ValueOf(const Change& c) const {
    return std::string_view(bytes_).substr(c.key_at + c.key_size, c.value_size);
  }

  // Buffers this large are given back after a commit rather than kept for the next: a
  // backlog's checkpoint must not pin their size for good.
  static constexpr size_t kKeptBufferBytes = 8 << 20;

  StateStoreImpl* store_;
  std::vector<Change> changes_;
  std::string bytes_;
  std::unordered_map<std::string, std::string> offsets_;  // offset key -> 8 bytes
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
    path_ = options.path;
    specs_ = options.stores;
    sync_ = options.sync_writes;
    for (const auto& spec : specs_) {
      if (spec.ttl_in_event_time && spec.ttl.count() > 0 && options.event_clock == nullptr) {
        return Status::InvalidArgument("store '" + spec.name + "' counts its TTL in event time and needs an event clock");
      }
    }
    clocks_.clear();
    clocks_.reserve(specs_.size());  // the filters keep pointers into it
    for (const auto& spec : specs_) clocks_.emplace_back(spec, options.event_clock);
    std::error_code ec;
    std::filesystem::create_directories(options.path, ec);
    if (ec) return Status::IoError("cannot create state folder " + options.path + ": " + ec.message());

    // Memtables are charged to this cache so one number bounds both; it holds the block
    // budget on top, or memtables would evict the index and filter blocks every read needs.
    // Index and filter blocks go to its high-priority half, where a stream of data blocks
    // cannot push them out.
    cache_ = rocksdb::NewLRUCache(options.block_cache_bytes + options.write_buffer_bytes, /*num_shard_bits=*/-1,
                                  /*strict_capacity_limit=*/false, /*high_pri_pool_ratio=*/0.5);
    rocksdb::DBOptions db_options;
    db_options.create_if_missing = true;
    db_options.create_missing_column_families = true;
    db_options.max_background_jobs = 2;
    // One thread writes (the commit): no concurrent memtable inserts to pay for.
    db_options.allow_concurrent_memtable_write = false;
    db_options.write_buffer_manager =
        std::make_shared<rocksdb::WriteBufferManager>(options.write_buffer_bytes, cache_);
    // A store written rarely keeps its memtable, and with it every write-ahead log since
    // its first write, alive: past this total RocksDB flushes the families that pin the
    // oldest log, so the logs stay bounded.
    db_options.max_total_wal_size = std::max<uint64_t>(2 * options.write_buffer_bytes, 8 << 20);
    rocksdb::BlockBasedTableOptions table;
    table.block_cache = cache_;
    table.cache_index_and_filter_blocks = true;
    table.cache_index_and_filter_blocks_with_high_priority = true;
    table.pin_l0_filter_and_index_blocks_in_cache = true;
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
    // Each table's whole filter and index, pinned in the cache for as long as the table
    // lives: a lookup probes them where they lie, with no cache lookup and no search of a
    // partition index first. They take ~1.3 bytes per key (a few MiB for millions of keys)
    // and are charged to the cache, so the memory budget sees them. Pinned, they are never
    // evicted and read again: unpinned whole filters were, once the state outgrew the
    // cache (issue 16: a new feedback id's lookup read and checksummed a table's filter,
    // 38% of voc-aggregate's time), and partitioned ones, the cure for that, cost twice as
    // much per lookup of a key not stored (state_bench BM_Store_Get/1000000/0: 2.8-3.1 us
    // against 1.35-1.6 us like this; keys stored: the same).
    table.index_type = rocksdb::BlockBasedTableOptions::kBinarySearch;
    table.metadata_cache_options.unpartitioned_pinning = rocksdb::PinningTier::kAll;
    rocksdb::ColumnFamilyOptions cf_base;
    cf_base.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
    cf_base.write_buffer_size = std::max<size_t>(options.write_buffer_bytes / 4, 1 << 20);
    // A small level 1 in small files, and more flushes gathered before they go down. The
    // stores are written at random keys (a mention's contribution, its customer's span),
    // so with RocksDB's defaults (level 1 up to 256 MiB in 64 MiB files, compacted every 4
    // flushes) each compaction rewrote the whole of a level 1 that grew with the state:
    // compaction CPU per record grew about fivefold over an 8-minute, 30-day soak. With
    // these, over the same soak on the same machine, back to back (benchmarks/README.md),
    // voc-aggregate's compactions took 39% less CPU (13.3 against 29.4 us per record in
    // the last minute), voc-enrich's 19% less, with the same peak RSS. Each is a
    // state.rocksdb.* setting.
    cf_base.max_bytes_for_level_base = 32 << 20;
    cf_base.target_file_size_base = 8 << 20;
    cf_base.level0_file_num_compaction_trigger = 8;
    // Universal (tiered) compaction: most entries are written at a random key and seldom
    // rewritten, and levelled compaction wrote each of them again at every level it went
    // down. Soaks of the services at 5,000 records/s alternated with levelled compaction
    // (benchmarks/README.md): RocksDB's background work about 40% less, the services'
    // whole CPU per record 15-20% less, the state on disk about the same. A compaction of
    // a whole store, which drops what expired, needs the store's size again on disk while
    // it runs. A folder written with levelled compaction opens as it is: each of its
    // levels is one sorted run. (8 sorted runs start a compaction, as 8 files of level 0
    // did; the level sizes above apply only when state.rocksdb.compaction_style says
    // kCompactionStyleLevel.)
    cf_base.compaction_style = rocksdb::kCompactionStyleUniversal;
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
    for (size_t i = 0; i < specs_.size(); ++i) {
      const StoreSpec& spec = specs_[i];
      rocksdb::ColumnFamilyOptions cf = cf_base;
      if (clocks_[i].enabled()) {
        filters_.push_back(std::make_unique<TtlFilter>(&clocks_[i]));
        cf.compaction_filter = filters_.back().get();
      }
      families.emplace_back(spec.name, cf);
    }
    rocksdb::DB* db = nullptr;
    VOC_RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(db_options, options.path, families, &handles_, &db),
                                  "cannot open state store " + options.path));
    db_.reset(db);
    return CheckFormat(options);
  }

  // A new folder records the format; a folder that holds state must have recorded the same.
  Status CheckFormat(const StateOptions& options) {
    if (options.format.empty()) return Status::Ok();
    std::string recorded;
    auto s = db_->Get(rocksdb::ReadOptions(), handles_[0], kFormatKey, &recorded);
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s, "cannot read the state format of " + options.path);
    const std::string rebuild =
        "; stop the service, delete the folder and start it again to rebuild the state from the input topics "
        "(their retention must cover the state's horizon)";
    if (s.ok() && recorded != options.format) {
      return Status::InvalidArgument("state folder " + options.path + " holds state format '" + recorded +
                                     "', but this build keeps '" + options.format + "'" + rebuild);
    }
    if (s.ok()) return Status::Ok();
    for (auto* handle : handles_) {
      std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), handle));
      it->SeekToFirst();
      if (it->Valid()) {
        return Status::InvalidArgument("state folder " + options.path +
                                       " was written by a build that did not record its state format; this build "
                                       "keeps '" + options.format + "'" + rebuild);
      }
    }
    rocksdb::WriteOptions sync;
    sync.sync = true;
    return FromRocks(db_->Put(sync, handles_[0], kFormatKey, options.format), "cannot record the state format");
  }

  std::unique_ptr<Transaction> Begin() override { return std::make_unique<TransactionImpl>(this); }

  Status Commit(Transaction* txn) override {
    auto* changes = static_cast<TransactionImpl*>(txn);
    // Sized up front: a large commit grown by doubling copies everything written so far
    // at each step.
    rocksdb::WriteBatch batch(changes->EncodedBytes());
    changes->Drain(&batch);
    for (PartitionId partition : unconfirmed_) {
      VOC_RETURN_IF_ERROR(FromRocks(batch.Delete(handles_[1], UnconfirmedKey(partition)), "state commit"));
    }
    rocksdb::WriteOptions wo;
    wo.sync = sync_;
    VOC_RETURN_IF_ERROR(FromRocks(db_->Write(wo, &batch), "state commit"));
    unconfirmed_.clear();
    return Status::Ok();
  }

  Status MarkUnconfirmed(const std::vector<PartitionId>& partitions) override {
    rocksdb::WriteBatch batch;
    for (PartitionId partition : partitions) {
      if (!unconfirmed_.insert(partition).second) continue;
      VOC_RETURN_IF_ERROR(FromRocks(batch.Put(handles_[1], UnconfirmedKey(partition), ""), "state mark"));
    }
    if (batch.Count() == 0) return Status::Ok();
    rocksdb::WriteOptions wo;
    wo.sync = sync_;
    return FromRocks(db_->Write(wo, &batch), "state mark");
  }

  bool Unconfirmed(PartitionId partition) override {
    std::string value;
    return !db_->Get(rocksdb::ReadOptions(), handles_[1], UnconfirmedKey(partition), &value).IsNotFound();
  }

  Result<bool> Get(StoreId store, PartitionId partition, std::string_view key, std::string* value,
                   int64_t* written_ms) override {
    std::string encoded;
    EncodeKey(partition, key, &encoded);
    return GetEncoded(store, encoded, value, written_ms);
  }

  bool Expired(StoreId store, PartitionId partition, int64_t written_ms) const override {
    return ttl_clock(store).Expired(partition, written_ms);
  }

  // For TransactionImpl too: a read by a key already prefixed with its partition.
  Result<bool> GetEncoded(StoreId store, std::string_view encoded, std::string* value, int64_t* written_ms = nullptr) {
    rocksdb::PinnableSlice slice;
    auto s = db_->Get(rocksdb::ReadOptions(), family(store), rocksdb::Slice(encoded.data(), encoded.size()), &slice);
    if (s.IsNotFound()) return false;
    if (!s.ok()) return FromRocks(s, "state read");
    const std::string_view stored(slice.data(), slice.size());
    if (!Unwrap(store, PartitionOfKey(encoded), stored, value)) return false;
    if (written_ms != nullptr) *written_ms = ttl_clock(store).enabled() ? WriteTimeOf(stored) : 0;
    return true;
  }

  Status Scan(StoreId store, PartitionId partition, std::string_view prefix, const ScanFn& fn) override {
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), family(store)));
    return ScanIterator(it.get(), store, partition, prefix, fn);
  }

  // Walks the keys of one partition that start with prefix, hiding the partition bytes.
  Status ScanIterator(rocksdb::Iterator* it, StoreId store, PartitionId partition, std::string_view prefix,
                      const ScanFn& fn) const {
    std::string start;
    EncodeKey(partition, prefix, &start);
    std::string value;
    const bool timed = ttl_clock(store).enabled();
    for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
      const std::string_view stored(it->value().data(), it->value().size());
      if (!Unwrap(store, partition, stored, &value)) continue;
      std::string_view key(it->key().data() + 4, it->key().size() - 4);
      if (!fn(key, value, timed ? WriteTimeOf(stored) : 0)) break;
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
    unconfirmed_.erase(partition);
    return FromRocks(db_->Write(rocksdb::WriteOptions(), &batch), "drop partition");
  }

  uint64_t MemoryUsage() override { return cache_->GetUsage(); }

  StoreProperties Properties() override {
    StoreProperties p;
    auto summed = [&](const std::string& property) {
      uint64_t value = 0;
      return db_->GetAggregatedIntProperty(property, &value) ? value : 0;
    };
    p.pending_compaction_bytes = summed(rocksdb::DB::Properties::kEstimatePendingCompactionBytes);
    p.live_sst_bytes = summed(rocksdb::DB::Properties::kLiveSstFilesSize);
    p.memtable_bytes = summed(rocksdb::DB::Properties::kCurSizeAllMemTables);
    uint64_t value = 0;
    if (db_->GetIntProperty(rocksdb::DB::Properties::kIsWriteStopped, &value)) p.write_stopped = value != 0;
    if (db_->GetIntProperty(rocksdb::DB::Properties::kActualDelayedWriteRate, &value)) p.delayed_write_rate = value;
    std::map<std::string, std::string> stats;
    if (db_->GetMapProperty(rocksdb::DB::Properties::kDBStats, &stats)) {
      p.write_stall_micros = MapNumber(stats, "db.user_write_stall_micros");
    }
    for (auto* handle : handles_) {
      stats.clear();
      if (!db_->GetMapProperty(handle, rocksdb::DB::Properties::kCFStats, &stats)) continue;
      p.write_stops += MapNumber(stats, "io_stalls.total_stop");
      p.write_slowdowns += MapNumber(stats, "io_stalls.total_slowdown");
    }
    return p;
  }

  uint64_t DiskBytes() override {
    uint64_t bytes = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(path_, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      struct stat st {};
      // A file RocksDB deletes during the walk is simply not counted.
      if (it->is_regular_file(ec) && ::stat(it->path().c_str(), &st) == 0) {
        bytes += static_cast<uint64_t>(st.st_blocks) * 512;  // allocated, as du counts
      }
    }
    return bytes;
  }

  // For TransactionImpl.
  rocksdb::ColumnFamilyHandle* family(StoreId store) const { return handles_[static_cast<size_t>(store) + 2]; }
  rocksdb::ColumnFamilyHandle* offsets_family() const { return handles_[1]; }
  rocksdb::DB* db() const { return db_.get(); }
  const TtlClock& ttl_clock(StoreId store) const { return clocks_[static_cast<size_t>(store)]; }

  // Strips the TTL header; false when the entry has expired.
  bool Unwrap(StoreId store, PartitionId partition, std::string_view stored, std::string* value) const {
    const TtlClock& clock = ttl_clock(store);
    if (!clock.enabled()) {
      value->assign(stored);
      return true;
    }
    if (clock.Expired(partition, stored)) return false;
    value->assign(stored.substr(kTtlHeader));
    return true;
  }

 private:
  static uint64_t MapNumber(const std::map<std::string, std::string>& stats, const std::string& key) {
    auto it = stats.find(key);
    return it == stats.end() ? 0 : static_cast<uint64_t>(std::strtod(it->second.c_str(), nullptr));
  }

  std::string path_;
  std::vector<StoreSpec> specs_;
  bool sync_ = false;
  std::shared_ptr<rocksdb::Cache> cache_;
  std::vector<TtlClock> clocks_;                     // one per store; outlive db_
  std::vector<std::unique_ptr<TtlFilter>> filters_;  // outlive db_
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // default, offsets, then the stores
  std::set<PartitionId> unconfirmed_;  // marked since the last commit
};

TransactionImpl::Change& TransactionImpl::Begin(StoreId store, PartitionId partition, std::string_view key,
                                                bool deleted) {
  const size_t at = bytes_.size();
  AppendBigEndian32(&bytes_, static_cast<uint32_t>(partition.value));
  bytes_.append(key);
  return changes_.emplace_back(Change{store, deleted, at, static_cast<uint32_t>(bytes_.size() - at), 0});
}

int64_t TransactionImpl::Put(StoreId store, PartitionId partition, std::string_view key, std::string_view value) {
  const TtlClock& clock = store_->ttl_clock(store);
  const int64_t written = clock.enabled() ? clock.WriteTime(partition) : 0;
  PutAsWritten(store, partition, key, value, written);
  return written;
}

void TransactionImpl::PutAsWritten(StoreId store, PartitionId partition, std::string_view key,
                                   std::string_view value, int64_t written_ms) {
  Change& c = Begin(store, partition, key, false);
  const size_t at = bytes_.size();
  if (store_->ttl_clock(store).enabled()) bytes_.append(reinterpret_cast<const char*>(&written_ms), kTtlHeader);
  bytes_.append(value);
  c.value_size = static_cast<uint32_t>(bytes_.size() - at);
}

void TransactionImpl::Delete(StoreId store, PartitionId partition, std::string_view key) {
  Begin(store, partition, key, true);
}

void TransactionImpl::SetNextOffset(const TopicPartition& tp, Offset next) {
  std::string bytes(8, '\0');
  std::memcpy(bytes.data(), &next.value, 8);
  offsets_[OffsetKey(tp)] = std::move(bytes);
}

void TransactionImpl::Drain(rocksdb::WriteBatch* batch) {
  // Stable: of a key's changes the last stays last, and only it is written.
  std::stable_sort(changes_.begin(), changes_.end(), [this](const Change& a, const Change& b) {
    return a.store != b.store ? a.store < b.store : KeyOf(a) < KeyOf(b);
  });
  for (size_t i = 0; i < changes_.size(); ++i) {
    const Change& c = changes_[i];
    if (i + 1 < changes_.size() && changes_[i + 1].store == c.store && KeyOf(changes_[i + 1]) == KeyOf(c)) continue;
    auto* family = store_->family(c.store);
    if (c.deleted) {
      batch->Delete(family, KeyOf(c)).PermitUncheckedError();
    } else {
      batch->Put(family, KeyOf(c), ValueOf(c)).PermitUncheckedError();
    }
  }
  changes_.clear();
  bytes_.clear();
  if (bytes_.capacity() + changes_.capacity() * sizeof(Change) > kKeptBufferBytes) {
    std::string().swap(bytes_);
    std::vector<Change>().swap(changes_);
  }
  for (const auto& [key, bytes] : offsets_) batch->Put(store_->offsets_family(), key, bytes).PermitUncheckedError();
  offsets_.clear();
}

}  // namespace

Result<std::unique_ptr<StateStore>> StateStore::Open(const StateOptions& options) {
  auto store = std::make_unique<StateStoreImpl>();
  VOC_RETURN_IF_ERROR(store->Open(options));
  return std::unique_ptr<StateStore>(std::move(store));
}

}  // namespace voc::state
