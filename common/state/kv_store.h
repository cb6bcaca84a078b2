// Typed, cached, partition-aware key-value stores over the StateStore, after Kafka
// Streams' cached key-value stores and Flink's keyed state. A processor declares its
// stores (runtime::Setup) and reads and changes values through them; it never sees
// bytes, transactions or offsets. The runtime writes the entries changed since the last
// checkpoint together with the checkpoint's input offsets, forgets a revoked partition's
// entries, and keeps the cache within a byte budget by evicting entries that hold no
// unwritten change, least recently used first.
//
// A value read from the store that does not parse is a FatalError naming the store and
// the key: the service stops without committing, never using garbage as state.
#pragma once

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/core/fatal_error.h"
#include "common/core/node_map.h"
#include "common/core/types.h"
#include "common/state/footprint.h"
#include "common/state/state_store.h"

namespace voc::state {

// How values of type V become bytes and back, and the memory a decoded one holds (the
// object and its heap blocks: what the cache counts). Protobuf messages need nothing
// more; a processor specializes it for a struct of its own (footprint.h helps).
template <typename V>
struct Codec {
  static void Encode(const V& value, std::string* out) { value.SerializeToString(out); }
  static bool Decode(std::string_view bytes, V* value) {
    return value->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  }
  static size_t Footprint(const V& value) { return value.SpaceUsedLong(); }
};

// Receives every change a checkpoint writes, besides the transaction (the changelog).
class ChangeSink {
 public:
  virtual ~ChangeSink() = default;
  // value nullptr: the key was deleted. existed: the store held a committed value for the
  // key before this change. written_ms: the write time recorded with the value for its TTL
  // (Transaction::Put; 0 for a delete or a store without TTL).
  virtual void Changed(StoreId store, PartitionId partition, std::string_view key, const std::string* value,
                       bool existed, int64_t written_ms) = 0;
};

// The part of a typed store the runtime drives. NOT thread-safe: the processing thread
// owns every store.
class CachedStore {
 public:
  CachedStore(StoreId id, StoreSpec spec) : id_(id), spec_(std::move(spec)) {}
  virtual ~CachedStore() = default;
  CachedStore(const CachedStore&) = delete;
  CachedStore& operator=(const CachedStore&) = delete;

  StoreId id() const { return id_; }
  const StoreSpec& spec() const { return spec_; }
  // The database the store reads through; set once it is open, before any read.
  void Bind(StateStore* db) { db_ = db; }

  // Writes every entry changed since the last call into txn, and to sink when given.
  virtual void WriteChanges(Transaction* txn, ChangeSink* sink) = 0;
  // Forgets a partition's entries (a revoke, after the checkpoint that wrote them).
  virtual void Forget(PartitionId partition) = 0;
  // Bytes the cache holds: keys, values' footprints as last read or written, overhead.
  virtual size_t cached_bytes() const = 0;
  // Entries changed since the last WriteChanges, and their footprints as last measured
  // (an entry's growth since shows at the write).
  virtual size_t unwritten() const = 0;
  virtual size_t unwritten_bytes() const = 0;
  // Evicts entries without unwritten changes, least recently used first, until at most
  // target bytes remain.
  virtual void Shrink(size_t target_bytes) = 0;
  // Changes whenever cached entries may have been freed (Forget, Shrink, an expiry): a pointer or
  // reference into the store stays valid while the generation stays the same.
  uint64_t generation() const { return generation_; }
  // The runtime's checkpoint count: an entry remembers when it was last used.
  void set_clock(uint32_t now) { clock_ = now; }
  // Throws the fatal error of a stored value that does not parse: also for a processor
  // whose entries, each readable, contradict one another.
  [[noreturn]] void Unreadable(PartitionId partition, std::string_view key) const;

 protected:
  [[noreturn]] void Failed(const Status& status) const;

  StoreId id_;
  StoreSpec spec_;
  StateStore* db_ = nullptr;
  uint64_t generation_ = 0;
  uint32_t clock_ = 0;
};

template <typename V>
class KeyValueStore final : public CachedStore {
 public:
  using CachedStore::CachedStore;

  // The value of key in partition, nullptr when there is none. Read from the database
  // on first use, from the cache after.
  const V* Get(PartitionId partition, std::string_view key) {
    Entry& e = Load(partition, key)->second;
    return e.value ? &*e.value : nullptr;
  }

  // Like Get, but a value not cached is decoded into *scratch and not kept: for reading
  // many entries once (a scan's worth) without pushing the working set out of the cache.
  const V* Peek(PartitionId partition, std::string_view key, V* scratch) {
    if (auto p = partitions_.find(partition); p != partitions_.end()) {
      if (Node* node = p->second.Find(key); node != nullptr) {
        Entry& e = ExpireIfDue(partition, node->second);
        return e.value ? &*e.value : nullptr;
      }
    }
    auto found = db_->Get(id_, partition, key, &scratch_);
    if (!found.ok()) Failed(found.status());
    if (!*found) return nullptr;
    *scratch = V();
    if (!Codec<V>::Decode(scratch_, scratch)) Unreadable(partition, key);
    return scratch;
  }

  // The value to change in place, default-constructed when there is none (*created then
  // says so); written at the next checkpoint.
  V& Update(PartitionId partition, std::string_view key, bool* created = nullptr) {
    auto* node = Load(partition, key);
    Entry& e = node->second;
    if (created != nullptr) *created = !e.value.has_value();
    if (!e.value) e.value.emplace();
    MarkDirty(partition, node);
    return *e.value;
  }

  void Put(PartitionId partition, std::string_view key, V value) { Update(partition, key) = std::move(value); }

  // An entry a processor holds across calls (a memo of its hot entries), to change again
  // without looking it up: valid while generation() stays the same.
  class Ref {
   public:
    Ref() = default;
    explicit operator bool() const { return node_ != nullptr; }
    const std::string& key() const { return *key_; }

   private:
    friend class KeyValueStore;
    Ref(PartitionId partition, void* node, const std::string* key) : partition_(partition), node_(node), key_(key) {}
    PartitionId partition_;
    void* node_ = nullptr;  // the entry's node in the cache
    const std::string* key_ = nullptr;
  };

  // Update, and a Ref to the entry.
  Ref UpdateRef(PartitionId partition, std::string_view key, bool* created = nullptr) {
    Node* node = Load(partition, key);
    if (created != nullptr) *created = !node->second.value.has_value();
    if (!node->second.value) node->second.value.emplace();
    MarkDirty(partition, node);
    return Ref(partition, node, &node->first);
  }
  // The value of a Ref to change again (written at the next checkpoint).
  V& Touch(const Ref& ref) {
    Node* node = static_cast<Node*>(ref.node_);
    node->second.used = clock_;
    MarkDirty(ref.partition_, node);
    return *node->second.value;
  }

  void Delete(PartitionId partition, std::string_view key) {
    auto* node = Load(partition, key);
    if (!node->second.value) return;
    node->second.value.reset();
    MarkDirty(partition, node);
  }

  // Every value of partition whose key starts with prefix, in key order, this store's
  // unwritten changes included, until fn returns false.
  void Scan(PartitionId partition, std::string_view prefix,
            const std::function<bool(std::string_view key, const V& value)>& fn) {
    std::vector<std::pair<std::string_view, const Entry*>> cached;
    if (auto p = partitions_.find(partition); p != partitions_.end()) {
      p->second.ForEach([&](Node& node) {
        if (std::string_view(node.first).starts_with(prefix)) {
          cached.emplace_back(node.first, &ExpireIfDue(partition, node.second));
        }
      });
    }
    std::sort(cached.begin(), cached.end());
    size_t next = 0;
    bool go_on = true;
    // Cached entries before `limit` (all when absent), the live ones handed to fn.
    const auto emit_cached = [&](std::optional<std::string_view> limit) {
      for (; go_on && next < cached.size() && (!limit || cached[next].first < *limit); ++next) {
        if (cached[next].second->value) go_on = fn(cached[next].first, *cached[next].second->value);
      }
    };
    V decoded;
    Status scanned = db_->Scan(id_, partition, prefix, [&](std::string_view key, std::string_view bytes, int64_t) {
      emit_cached(key);
      if (!go_on) return false;
      if (next < cached.size() && cached[next].first == key) return true;  // the cache's is newer
      decoded = V();
      if (!Codec<V>::Decode(bytes, &decoded)) Unreadable(partition, key);
      go_on = fn(key, decoded);
      return go_on;
    });
    if (!scanned.ok()) Failed(scanned);
    emit_cached(std::nullopt);
  }

  void WriteChanges(Transaction* txn, ChangeSink* sink) override {
    for (auto& [partition, node] : dirty_) {
      Entry& e = node->second;
      e.dirty = false;
      if (!e.value) {
        txn->Delete(id_, partition, node->first);
        if (sink != nullptr) sink->Changed(id_, partition, node->first, nullptr, e.stored, 0);
        e.stored = false;
        Resize(e, 0);
        continue;
      }
      Codec<V>::Encode(*e.value, &scratch_);
      const int64_t written = txn->Put(id_, partition, node->first, scratch_);
      if (sink != nullptr) sink->Changed(id_, partition, node->first, &scratch_, e.stored, written);
      e.stored = true;
      e.written_ms = written;
      if (spec_.write_once) {
        bytes_ -= kOverhead + node->first.size() + e.bytes;
        partitions_[partition].Erase(node);
        continue;
      }
      Resize(e, Codec<V>::Footprint(*e.value));
    }
    if (spec_.write_once && !dirty_.empty()) ++generation_;
    dirty_.clear();
    dirty_bytes_ = 0;
  }

  void Forget(PartitionId partition) override {
    auto p = partitions_.find(partition);
    if (p == partitions_.end()) return;
    std::erase_if(dirty_, [&](const auto& d) {
      if (d.first != partition) return false;
      dirty_bytes_ -= kOverhead + d.second->first.size() + d.second->second.bytes;
      return true;
    });
    p->second.ForEach([&](const Node& node) { bytes_ -= kOverhead + node.first.size() + node.second.bytes; });
    partitions_.erase(p);
    ++generation_;
  }

  size_t cached_bytes() const override { return bytes_; }
  size_t unwritten() const override { return dirty_.size(); }
  size_t unwritten_bytes() const override { return dirty_bytes_; }

  void Shrink(size_t target_bytes) override {
    if (bytes_ <= target_bytes) return;
    // The clean entries' bytes by last use (a checkpoint count: few distinct values), then
    // the oldest uses whose entries go: two passes, no sort of every entry.
    std::map<uint32_t, size_t> clean_bytes;
    for (const auto& [partition, entries] : partitions_) {
      entries.ForEach([&](const Node& node) {
        if (!node.second.dirty) clean_bytes[node.second.used] += kOverhead + node.first.size() + node.second.bytes;
      });
    }
    // The newest last use to evict from: the oldest uses' bytes, added up, cover the excess.
    size_t excess = bytes_ - target_bytes;
    uint32_t newest_evicted = 0;
    for (const auto& [used, bytes] : clean_bytes) {
      newest_evicted = used;
      if (bytes >= excess) break;
      excess -= bytes;
    }
    for (auto& [partition, entries] : partitions_) {
      entries.EraseIf([&](const Node& node) {
        if (bytes_ <= target_bytes || node.second.dirty || node.second.used > newest_evicted) return false;
        bytes_ -= kOverhead + node.first.size() + node.second.bytes;
        return true;
      });
    }
    ++generation_;
  }

 private:
  struct Entry {
    std::optional<V> value;  // nullopt: no such key (or deleted)
    bool dirty = false;      // in dirty_
    bool stored = false;     // the database holds a value for the key (as of the last write)
    int64_t written_ms = 0;  // the stored value's write time, for the store's TTL
    uint32_t used = 0;       // clock_ at the last use
    uint32_t bytes = 0;      // the value's footprint as last read or written
  };
  using Node = typename NodeMap<Entry>::Node;
  static constexpr size_t kOverhead = 96;  // node, index slots, Entry and string headers

  Node* Load(PartitionId partition, std::string_view key) {
    auto& entries = partitions_[partition];
    auto [node, inserted] = entries.TryEmplace(key);
    Entry& e = node->second;
    if (!inserted) {
      ExpireIfDue(partition, e);
    } else {
      auto found = db_->Get(id_, partition, key, &scratch_, &e.written_ms);
      if (!found.ok()) {
        entries.Erase(node);
        Failed(found.status());
      }
      if (*found) {
        V& value = e.value.emplace();
        if (!Codec<V>::Decode(scratch_, &value)) {
          entries.Erase(node);
          Unreadable(partition, key);
        }
        e.bytes = static_cast<uint32_t>(Codec<V>::Footprint(value));
        e.stored = true;
      } else {
        e.bytes = sizeof(V);
      }
      bytes_ += kOverhead + key.size() + e.bytes;
    }
    e.used = clock_;
    return node;
  }

  // A cached value written before its TTL ran out is gone, as the database's copy is
  // (which compaction drops): without this, an entry kept in the cache by its reads would
  // outlive its TTL. An unwritten change is the newest write and never expired. A pointer
  // held into the value is stale from then on: the generation says so.
  Entry& ExpireIfDue(PartitionId partition, Entry& e) {
    if (e.value && !e.dirty && e.stored && spec_.ttl.count() > 0 && db_->Expired(id_, partition, e.written_ms)) {
      e.value.reset();
      Resize(e, sizeof(V));
      ++generation_;
    }
    return e;
  }

  void MarkDirty(PartitionId partition, Node* node) {
    if (node->second.dirty) return;
    node->second.dirty = true;
    dirty_.emplace_back(partition, node);
    dirty_bytes_ += kOverhead + node->first.size() + node->second.bytes;
  }

  void Resize(Entry& e, size_t footprint) {
    bytes_ = bytes_ - e.bytes + footprint;
    e.bytes = static_cast<uint32_t>(footprint);
  }

  std::unordered_map<PartitionId, NodeMap<Entry>> partitions_;
  std::vector<std::pair<PartitionId, Node*>> dirty_;  // nodes keep their addresses
  size_t bytes_ = 0;
  size_t dirty_bytes_ = 0;  // of the entries in dirty_, as measured when they became dirty
  std::string scratch_;
};

}  // namespace voc::state
