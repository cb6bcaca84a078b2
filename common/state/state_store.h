// The state store: one RocksDB database per service instance, one column family per
// store, keys prefixed by input partition so a partition's state can be dropped or
// rebuilt. State changes and the next input offset of each partition commit in one
// WriteBatch, which is what makes a restart after kill -9 exact.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/core/status.h"
#include "common/core/types.h"

namespace voc::state {

struct StoreSpec {
  std::string name;
  // Entries older than this (wall clock since their last write) are gone: dropped by
  // compaction and invisible to reads. Zero keeps them forever.
  std::chrono::seconds ttl{0};
  // The TTL counts the event time of the entry's partition (EventClock) instead of the wall
  // clock: an entry is gone once its partition's event time has passed the event time of
  // its last write by ttl. State then levels off once the stream's event time passes the
  // retention, also where event time runs ahead of the wall clock (a replay, a backfill, a
  // soak) or behind it. An entry written while its partition's event time is unknown, and
  // every entry of such a partition, is kept.
  bool ttl_in_event_time = false;
  // Entries are seldom read again once written (a record's own entry, read back only when
  // the record is redelivered or revised): the cache lets each go once a checkpoint has
  // written it, keeping its room for entries that are read again.
  bool write_once = false;
  // A function of another store's entries (an index over them, runtime::Setup::DerivedStore):
  // kept in the database like any store, but not in the changelog; a restore rebuilds it
  // from what it restores of the other store.
  bool derived = false;
};

// The event time each input partition has reached (its processor's watermark): the clock
// of stores whose TTL counts event time. Thread-safe: set on the processing thread, read by
// reads, commits and RocksDB's compactions.
class EventClock {
 public:
  // Moves the partition's event time forward to ms; an earlier time changes nothing.
  void Advance(PartitionId partition, int64_t ms);
  // The partition's event time; none until Advance named it.
  std::optional<int64_t> Now(PartitionId partition) const;

 private:
  mutable std::mutex mu_;
  std::unordered_map<int32_t, int64_t> now_;
};

struct StateOptions {
  std::string path;                      // the database folder; created when missing
  std::vector<StoreSpec> stores;         // column families besides the offsets
  // What the stored state means (e.g. "voc-aggregate/2"), recorded when the folder is
  // created: Open refuses a folder recorded with another format, or created before
  // formats were recorded, rather than let a service misread it. Empty: not checked.
  std::string format;
  size_t block_cache_bytes = 64 << 20;   // default 64 MiB, shared by all stores
  size_t write_buffer_bytes = 64 << 20;  // default 64 MiB for all memtables together
  bool sync_writes = false;              // WAL fsync per commit; a process crash loses nothing without it
  // The clock of stores with ttl_in_event_time; Open refuses such a store without one.
  std::shared_ptr<const EventClock> event_clock;
  std::map<std::string, std::string> rocksdb_options;  // pass-through, e.g. {"max_background_jobs", "2"}
};

using StoreId = int;  // index into StateOptions::stores

// RocksDB's own view of the database (its properties, summed over the stores), for the
// operators' gauges. See RocksDB's DB::Properties for each one's exact meaning.
struct StoreProperties {
  uint64_t pending_compaction_bytes = 0;  // rocksdb.estimate-pending-compaction-bytes
  uint64_t live_sst_bytes = 0;            // rocksdb.live-sst-files-size
  uint64_t memtable_bytes = 0;            // rocksdb.cur-size-all-mem-tables
  bool write_stopped = false;             // rocksdb.is-write-stopped: writes wait for compaction
  uint64_t delayed_write_rate = 0;        // rocksdb.actual-delayed-write-rate: bytes/s while slowed, else 0
  // Since the database was opened (cumulative):
  uint64_t write_stall_micros = 0;  // time writes were held (rocksdb.dbstats: db.user_write_stall_micros)
  uint64_t write_stops = 0;         // stall events that stopped writes (rocksdb.cfstats: io_stalls.total_stop)
  uint64_t write_slowdowns = 0;     // and that slowed them (io_stalls.total_slowdown)
};

class StateStore;

// Pending changes, applied together by StateStore::Commit. Write-only: processors read
// through their stores' caches (kv_store.h), which hold what they changed. NOT
// thread-safe: owned by the processing thread.
class Transaction {
 public:
  virtual ~Transaction() = default;
  // Of several changes to one key, the last one made is the one committed. Returns the
  // write time recorded with the value for its TTL (wall or event time, ms; 0 for a store
  // without TTL), which a changelog carries so that a restore keeps it (PutAsWritten).
  virtual int64_t Put(StoreId store, PartitionId partition, std::string_view key, std::string_view value) = 0;
  // A value restored with the write time it had (what Put returned when it was written).
  virtual void PutAsWritten(StoreId store, PartitionId partition, std::string_view key, std::string_view value,
                            int64_t written_ms) = 0;
  virtual void Delete(StoreId store, PartitionId partition, std::string_view key) = 0;
  // The next offset to read from tp, committed together with the changes.
  virtual void SetNextOffset(const TopicPartition& tp, Offset next) = 0;
  virtual size_t pending_changes() const = 0;
};

// Thread-safe for reads; commits come from one thread.
class StateStore {
 public:
  virtual ~StateStore() = default;
  static Result<std::unique_ptr<StateStore>> Open(const StateOptions& options);

  virtual std::unique_ptr<Transaction> Begin() = 0;
  // Applies every change and offset of txn atomically; txn is empty afterwards.
  virtual Status Commit(Transaction* txn) = 0;

  // written_ms, when given, gets the write time recorded with the value for its TTL (0
  // for a store without TTL).
  virtual Result<bool> Get(StoreId store, PartitionId partition, std::string_view key, std::string* value,
                           int64_t* written_ms = nullptr) = 0;
  // Whether a value of store in partition written at written_ms (what Get or
  // Transaction::Put gave) has expired by now: the typed stores' cache asks, so that an
  // entry it holds expires as the database's copy does.
  virtual bool Expired(StoreId store, PartitionId partition, int64_t written_ms) const = 0;
  // Committed state only: calls fn for every live key of a partition in a store that
  // starts with prefix, in key order, with its value and write time (as Get gives it),
  // until fn returns false.
  using ScanFn = std::function<bool(std::string_view key, std::string_view value, int64_t written_ms)>;
  virtual Status Scan(StoreId store, PartitionId partition, std::string_view prefix, const ScanFn& fn) = 0;
  virtual std::optional<Offset> NextOffset(const TopicPartition& tp) = 0;
  // Removes all state of a partition (every store, its offsets and its unconfirmed mark).
  virtual Status DropPartition(PartitionId partition) = 0;
  // Records, durably and before anything of a checkpoint leaves the process, that these
  // partitions' changes are being sent elsewhere (the changelog): until the next Commit,
  // which clears the mark, what was sent may be ahead of the state stored here. A process
  // killed in between finds the mark when it starts again (Unconfirmed).
  virtual Status MarkUnconfirmed(const std::vector<PartitionId>& partitions) = 0;
  // True when the mark is there, or when it cannot be read: the caller then restores the
  // partition, which is right either way, where resuming on state ahead of it is not.
  virtual bool Unconfirmed(PartitionId partition) = 0;
  // Bytes held by memtables and block cache, for the memory budget.
  virtual uint64_t MemoryUsage() = 0;
  // Read-only; a few property reads under RocksDB's mutex: fine every second.
  virtual StoreProperties Properties() = 0;
  // Bytes the state folder takes on disk (blocks allocated to every file under it: SST
  // files, write-ahead log, manifest). Walks the folder: call it every few seconds at
  // most, not per scrape.
  virtual uint64_t DiskBytes() = 0;
};

}  // namespace voc::state
