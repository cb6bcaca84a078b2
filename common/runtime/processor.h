// The contract between a service's logic and the runtime. A Processor is a plain class
// from input records to outputs and state changes. It declares, once, what it keeps
// (typed stores), what it reads as tables (compacted topics) and how often it wants a
// timer; the runtime does the rest: polling, producing, caching, checkpoints, tables,
// revokes. The runtime calls it on the processing thread only.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "common/core/fatal_error.h"
#include "common/core/types.h"
#include "common/kafka/kafka.h"
#include "common/state/kv_store.h"

namespace voc::runtime {

// What the service cannot go on after (a failed state store, an unreadable stored
// value): the runtime stops without committing the batch in hand.
using voc::FatalError;

// Collects what one batch emits. NOT thread-safe.
class Emitter {
 public:
  virtual ~Emitter() = default;
  virtual void Emit(std::string_view topic, std::string_view key, std::string_view value) = 0;
  // Sends the record to the dead-letter topic with a stable reason code and a sentence.
  virtual void DeadLetter(const kafka::Record& record, std::string_view reason, std::string_view detail) = 0;
};

struct Context {
  Emitter& out;
  int64_t now_ms;  // wall clock at the start of the batch
  // The input partitions this instance holds now (what a timer may have work for).
  std::span<const PartitionId> assigned = {};
};

// A compacted topic read whole as a table: the latest value of each key. The runtime
// keeps it current inside its own checkpoints; a processor only reads it.
template <typename V>
class Table {
 public:
  // Rows live under this reserved partition, which no input partition reaches.
  static constexpr PartitionId kPartition{-1};

  explicit Table(state::KeyValueStore<V>* store) : store_(store) {}
  // The row of key, nullptr when the table has none. Valid until the next call.
  const V* Get(std::string_view key) { return store_->Get(kPartition, key); }

 private:
  state::KeyValueStore<V>* store_;
};

// How a table's rows arrive: what the runtime needs to keep one current.
struct TableSpec {
  std::string topic;
  state::StoreId store = 0;
  // Processing waits until the table is read to the end it had at start-up, or this long.
  std::chrono::milliseconds catch_up{60'000};
  // Applies one row (an empty value deletes the key); false when the bytes are not a row.
  std::function<bool(std::string_view key, std::string_view value)> apply = {};
};

// Reads back a derived value a restore has already put (its bytes and write time); false
// when it has none.
using DerivedLoad = std::function<bool(std::string_view key, std::string* bytes, int64_t* written_ms)>;

// What a restore rebuilds a derived store into (Setup::DerivedStore): its values by key,
// each written with the latest write time of the entries folded into it. A restore takes
// them whenever they outgrow its memory; a value named again after that is read back.
template <typename V>
class Derived {
 public:
  // The value of key: the one built so far, read back when taken, or default-constructed
  // the first time it is named.
  V& Update(std::string_view key) {
    Settle();
    auto it = values_.find(key);
    if (it == values_.end()) {
      Item item;
      std::string bytes;
      if (load_ && load_(key, &bytes, &item.written_ms) && !state::Codec<V>::Decode(bytes, &item.value)) {
        item = Item();  // what was put is the codec's own encoding: this cannot happen
      }
      it = values_.emplace(std::string(key), std::move(item)).first;
      bytes_ += kNodeBytes + sizeof(std::string) + state::HeapBytes(it->first) + sizeof(int64_t);
      open_before_ = 0;
    } else {
      open_before_ = state::Codec<V>::Footprint(it->second.value);
    }
    it->second.written_ms = std::max(it->second.written_ms, folding_written_ms_);
    open_ = &it->second.value;
    return *open_;
  }

 private:
  friend class Setup;
  static constexpr size_t kNodeBytes = 32;  // a map node's links and colour (the value's own: Footprint)
  struct Item {
    V value{};
    int64_t written_ms = 0;
  };
  // Counts what the value Update last handed out grew by.
  void Settle() {
    if (open_ == nullptr) return;
    bytes_ += state::Codec<V>::Footprint(*open_) - std::min(open_before_, state::Codec<V>::Footprint(*open_));
    open_ = nullptr;
  }
  std::map<std::string, Item, std::less<>> values_;
  int64_t folding_written_ms_ = 0;  // of the entry being folded in
  size_t bytes_ = 0;                // what values_ holds, as of the last Settle
  V* open_ = nullptr;               // the value Update handed out last
  size_t open_before_ = 0;          // its footprint then
  DerivedLoad load_;                // after a take: reads back what was put
};

// How the runtime rebuilds a derived store after a restore, type-erased.
struct Derivation {
  using Put = std::function<void(std::string_view key, std::string_view bytes, int64_t written_ms)>;
  state::StoreId store = 0;  // the derived store
  state::StoreId from = 0;   // the store it is a function of
  // Folds one restored entry of `from` in; false when its bytes are not a value of it.
  std::function<bool(std::string_view key, std::string_view value, int64_t written_ms)> fold = {};
  // The memory the values built so far hold (about).
  std::function<size_t()> held_bytes = {};
  // Hands each value built so far to put, then forgets them all. Folds after it read a
  // value they name back through load (what put stored) before adding to it; a restore
  // passes none with its last take, which also ends the reading back. (A value whose
  // wall-clock TTL ran out before it is read back starts again from what is folded after;
  // a TTL in event time runs out of nothing during a restore, the event time unknown.)
  std::function<void(const Put& put, DerivedLoad load)> take = {};
};

// What a processor declares in Open, before any record. NOT thread-safe; the pointers
// it hands out live as long as the processor's runtime.
class Setup {
 public:
  virtual ~Setup() = default;

  // A typed store of the processor's own, partitioned like its input.
  template <typename V>
  state::KeyValueStore<V>* Store(state::StoreSpec spec) {
    auto store = std::make_unique<state::KeyValueStore<V>>(next_store_id(), std::move(spec));
    auto* typed = store.get();
    AddStore(std::move(store));
    return typed;
  }

  // A compacted topic read whole into a store of its own (spec); a row that is not a V is
  // a dead letter.
  template <typename V>
  Table<V>* ReadTable(std::string topic, state::StoreSpec spec, std::chrono::milliseconds catch_up) {
    state::KeyValueStore<V>* store = Store<V>(std::move(spec));
    auto table = std::make_unique<Table<V>>(store);
    Table<V>* raw = table.get();
    TableSpec t{.topic = std::move(topic), .store = store->id(), .catch_up = catch_up};
    t.apply = [store, row = V()](std::string_view key, std::string_view value) mutable {
      if (key.empty()) return false;
      if (value.empty()) {  // a tombstone
        store->Delete(Table<V>::kPartition, key);
        return true;
      }
      row = V();
      if (!state::Codec<V>::Decode(value, &row)) return false;
      store->Put(Table<V>::kPartition, key, row);
      return true;
    };
    AddTable(std::move(t), std::shared_ptr<void>(std::move(table)));
    return raw;
  }

  // A store that is a function of the entries of `from` (an index over them), which the
  // processor keeps current itself as it changes `from`. It is not in the changelog: a
  // restore rebuilds it by folding each restored entry of `from` in (fold adds what that
  // entry gives the derived values, naming them through Derived::Update), so the changelog
  // carries one record per entry of `from` and none for the index.
  template <typename V, typename From>
  state::KeyValueStore<V>* DerivedStore(state::StoreSpec spec, const state::KeyValueStore<From>* from,
                                        std::type_identity_t<std::function<void(std::string_view key, const From& value,
                                                                                Derived<V>& out)>>
                                            fold) {
    spec.derived = true;
    state::KeyValueStore<V>* store = Store<V>(std::move(spec));
    auto built = std::make_shared<Derived<V>>();
    auto scratch = std::make_shared<From>();
    Derivation d{.store = store->id(), .from = from->id()};
    d.fold = [fold = std::move(fold), built, scratch](std::string_view key, std::string_view value,
                                                      int64_t written_ms) {
      *scratch = From();
      if (!state::Codec<From>::Decode(value, scratch.get())) return false;
      built->folding_written_ms_ = written_ms;
      fold(key, *scratch, *built);
      return true;
    };
    d.held_bytes = [built] {
      built->Settle();
      return built->bytes_;
    };
    d.take = [built](const Derivation::Put& put, DerivedLoad load) {
      built->Settle();
      std::string bytes;
      // Each value is let go once put, so the memory it held serves the restore's write.
      for (auto it = built->values_.begin(); it != built->values_.end(); it = built->values_.erase(it)) {
        bytes.clear();
        state::Codec<V>::Encode(it->second.value, &bytes);
        put(it->first, bytes, it->second.written_ms);
      }
      built->bytes_ = 0;
      built->load_ = std::move(load);
    };
    AddDerivation(std::move(d));
    return store;
  }

  // What the stored state means, e.g. "voc-aggregate/4": a release that changes it names
  // a new format, and a state folder written in another one is refused at start-up.
  virtual void StateFormat(std::string format) = 0;
  // Record::content_type is filled (the runtime reads record headers only then).
  virtual void ReadContentType() = 0;
  // OnTimer is called at the end of a batch (also an empty one) once `every` has passed
  // since the last call; the first call comes with the first batch.
  virtual void Timer(std::chrono::milliseconds every) = 0;
  // The event time each input partition has reached, as the processor says it (Advance:
  // its watermark): the clock of its stores whose TTL counts event time
  // (StoreSpec::ttl_in_event_time). Lives as long as the processor's runtime.
  state::EventClock& event_clock() { return *event_clock_; }

 protected:
  std::shared_ptr<state::EventClock> event_clock_ = std::make_shared<state::EventClock>();

  virtual state::StoreId next_store_id() const = 0;
  virtual void AddStore(std::unique_ptr<state::CachedStore> store) = 0;
  virtual void AddTable(TableSpec spec, std::shared_ptr<void> handle) = 0;
  virtual void AddDerivation(Derivation derivation) = 0;
};

class Processor {
 public:
  virtual ~Processor() = default;
  // Declares stores, tables, state format and timer. Called once, before anything else.
  virtual void Open(Setup& /*setup*/) {}
  virtual void Process(const kafka::Record& record, Context& ctx) = 0;
  // After each batch's records (also when a poll brought none).
  virtual void EndBatch(Context& /*ctx*/) {}
  // Every Setup::Timer interval, after EndBatch: time-driven output (window emission).
  virtual void OnTimer(Context& /*ctx*/) {}
};

}  // namespace voc::runtime
