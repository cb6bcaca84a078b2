// The state's reads. The typed store's cache (common/state/kv_store.h) on its own: lookups
// of entries it holds, in a random order over working sets from one that fits the CPU's caches to one
// that does not, as a stateful stage's per-customer and per-window entries are read. Keys
// are shaped like voc-aggregate's span keys (theme, customer, window: ~45 bytes), values
// like its spans (~100 bytes). The database is real RocksDB on a temporary folder; every
// entry is loaded before timing, so what is timed is the cache alone. And the database's
// answer behind the cache (BM_Store_Get), for keys it holds and keys it does not.
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/state/kv_store.h"

namespace voc::bench {

// A span-sized value with a codec of its own, as a processor gives its structs.
struct Counts {
  std::array<int64_t, 12> n{};
};

}  // namespace voc::bench

template <>
struct voc::state::Codec<voc::bench::Counts> {
  static void Encode(const voc::bench::Counts& c, std::string* out) {
    out->assign(reinterpret_cast<const char*>(c.n.data()), sizeof(c.n));
  }
  static bool Decode(std::string_view bytes, voc::bench::Counts* c) {
    if (bytes.size() != sizeof(c->n)) return false;
    std::memcpy(c->n.data(), bytes.data(), sizeof(c->n));
    return true;
  }
  static size_t Footprint(const voc::bench::Counts& c) { return sizeof(c); }
};

namespace voc::bench {
namespace {

const PartitionId kPartition{0};
const state::StoreSpec kSpanStore{.name = "spans"};

// The i-th of a run of keys shaped like voc-aggregate's span keys (theme, customer, window).
std::string SpanKey(const char* customer, size_t i) {
  char key[64];
  const int n = std::snprintf(key, sizeof key, "theme-%03zu|%s-%09zu|3600000|%013zu", i % 97, customer, i * 7919,
                              1'700'000'000'000 + (i % 720) * 3'600'000);
  return std::string(key, static_cast<size_t>(n));
}

// A state store in an emptied folder with the one store kSpanStore.
std::unique_ptr<state::StateStore> OpenSpanStore(const std::filesystem::path& dir) {
  std::filesystem::remove_all(dir);
  state::StateOptions o;
  o.path = dir.string();
  o.stores = {kSpanStore};
  auto db = state::StateStore::Open(o);
  if (!db.ok()) std::abort();
  return std::move(db).value();
}

// A store holding `entries` cached entries, and their keys in a random order.
class CachedFixture {
 public:
  explicit CachedFixture(size_t entries)
      : dir_(std::filesystem::temp_directory_path() / ("voc-state-bench-" + std::to_string(getpid()))) {
    db_ = OpenSpanStore(dir_);
    store_ = std::make_unique<state::KeyValueStore<Counts>>(0, kSpanStore);
    store_->Bind(db_.get());
    for (size_t i = 0; i < entries; ++i) {
      keys_.push_back(SpanKey("customer", i));
      store_->Update(kPartition, keys_.back()).n[0] = static_cast<int64_t>(i);
    }
    Checkpoint();
    std::shuffle(keys_.begin(), keys_.end(), std::mt19937_64(42));
  }
  ~CachedFixture() {
    store_.reset();
    db_.reset();
    std::filesystem::remove_all(dir_);
  }

  state::KeyValueStore<Counts>& store() { return *store_; }
  // The next key in the random order, round and round.
  const std::string& NextKey() {
    const std::string& key = keys_[next_];
    if (++next_ == keys_.size()) next_ = 0;
    return key;
  }
  // What a checkpoint does: the changed entries written in one transaction.
  void Checkpoint() {
    auto txn = db_->Begin();
    store_->WriteChanges(txn.get(), nullptr);
    if (!db_->Commit(txn.get()).ok()) std::abort();
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<state::StateStore> db_;
  std::unique_ptr<state::KeyValueStore<Counts>> store_;
  std::vector<std::string> keys_;
  size_t next_ = 0;
};

// Get of a cached entry; the argument is the number of entries cached.
void BM_CachedStore_Get(benchmark::State& state) {
  CachedFixture f(static_cast<size_t>(state.range(0)));
  int64_t sum = 0;
  for (auto _ : state) sum += f.store().Get(kPartition, f.NextKey())->n[0];
  benchmark::DoNotOptimize(sum);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CachedStore_Get)->Arg(10'000)->Arg(1'000'000);

// Update of a cached entry: the lookup and the entry marked changed, written at a
// checkpoint every 10,000 updates as the runtime's would.
void BM_CachedStore_Update(benchmark::State& state) {
  CachedFixture f(static_cast<size_t>(state.range(0)));
  size_t since_checkpoint = 0;
  for (auto _ : state) {
    ++f.store().Update(kPartition, f.NextKey()).n[1];
    if (++since_checkpoint == 10'000) {
      state.PauseTiming();
      since_checkpoint = 0;
      f.Checkpoint();
      state.ResumeTiming();
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_CachedStore_Update)->Arg(10'000)->Arg(1'000'000);

// Get from the database, past the cache, of a key the store does not hold (the second
// argument 0: a new feedback id, a new customer's window, most of a stateful stage's
// reads) or of one it holds (1), from `entries` entries written in batches as checkpoints
// write them, so that they lie in several levels as a long stream's do.
void BM_Store_Get(benchmark::State& state) {
  const auto entries = static_cast<size_t>(state.range(0));
  const bool present = state.range(1) != 0;
  const auto dir = std::filesystem::temp_directory_path() / ("voc-state-bench-db-" + std::to_string(getpid()));
  std::unique_ptr<state::StateStore> db = OpenSpanStore(dir);
  const std::string value(100, 'v');
  for (size_t i = 0; i < entries;) {
    auto txn = db->Begin();
    for (size_t end = std::min(entries, i + 10'000); i < end; ++i) txn->Put(0, kPartition, SpanKey("customer", i), value);
    if (!db->Commit(txn.get()).ok()) std::abort();
  }
  std::string out;
  size_t found = 0;
  std::mt19937_64 random(42);
  for (auto _ : state) {
    const size_t i = random() % entries;
    found += db->Get(0, kPartition, SpanKey(present ? "customer" : "stranger", i), &out).value() ? 1 : 0;
  }
  if (found != (present ? static_cast<size_t>(state.iterations()) : 0)) state.SkipWithError("a key read wrongly");
  state.SetItemsProcessed(state.iterations());
  db.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Store_Get)->Args({1'000'000, 0})->Args({1'000'000, 1});

}  // namespace
}  // namespace voc::bench

BENCHMARK_MAIN();
