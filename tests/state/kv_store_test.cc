// The typed, cached store over real RocksDB on a temporary folder.
#include "common/state/kv_store.h"

#include <gtest/gtest.h>

#include <cstring>

#include "tests/runtime/test_util.h"

namespace voc::test_kv {

// A plain value with a codec of its own, as a processor would give one.
struct Tally {
  int64_t count = 0;
  std::string note;
};

}  // namespace voc::test_kv

template <>
struct voc::state::Codec<voc::test_kv::Tally> {
  static void Encode(const voc::test_kv::Tally& t, std::string* out) {
    out->assign(reinterpret_cast<const char*>(&t.count), 8);
    out->append(t.note);
  }
  static bool Decode(std::string_view bytes, voc::test_kv::Tally* t) {
    if (bytes.size() < 8) return false;
    std::memcpy(&t->count, bytes.data(), 8);
    t->note.assign(bytes.substr(8));
    return true;
  }
  static size_t Footprint(const voc::test_kv::Tally& t) { return sizeof(t) + voc::state::HeapBytes(t.note); }
};

namespace voc::state {
namespace {

using test_kv::Tally;

class KeyValueStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    store_.reset();
    db_.reset();
    StateOptions o;
    o.path = dir_.path() + "/db";
    o.stores = {{.name = "tallies"}};
    auto db = StateStore::Open(o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    db_ = std::move(db).value();
    store_ = std::make_unique<KeyValueStore<Tally>>(0, o.stores[0]);
    store_->Bind(db_.get());
  }

  // What a checkpoint does: the changes into one transaction, committed.
  void Checkpoint(ChangeSink* sink = nullptr) {
    auto txn = db_->Begin();
    store_->WriteChanges(txn.get(), sink);
    ASSERT_TRUE(db_->Commit(txn.get()).ok());
  }

  std::vector<std::string> ScanKeys(int partition, std::string_view prefix) {
    std::vector<std::string> keys;
    store_->Scan(PartitionId(partition), prefix, [&](std::string_view key, const Tally& t) {
      keys.push_back(std::string(key) + "=" + std::to_string(t.count));
      return true;
    });
    return keys;
  }

  test::TempDir dir_;
  std::unique_ptr<StateStore> db_;
  std::unique_ptr<KeyValueStore<Tally>> store_;
  const PartitionId p0_{0}, p1_{1};
};

TEST_F(KeyValueStoreTest, ChangesReachTheDatabaseOnlyAtTheCheckpoint) {
  bool created = false;
  Tally& t = store_->Update(p0_, "a", &created);
  EXPECT_TRUE(created);
  t.count = 3;
  EXPECT_EQ(store_->Get(p0_, "a")->count, 3) << "reads see the unwritten change";
  std::string raw;
  EXPECT_FALSE(db_->Get(0, p0_, "a", &raw).value()) << "written before the checkpoint";
  Checkpoint();
  EXPECT_TRUE(db_->Get(0, p0_, "a", &raw).value());

  Reopen();  // a new process: the value comes from the database
  ASSERT_NE(store_->Get(p0_, "a"), nullptr);
  EXPECT_EQ(store_->Get(p0_, "a")->count, 3);
  EXPECT_EQ(store_->Get(p1_, "a"), nullptr) << "partitions are apart";
  store_->Update(p0_, "a", &created);
  EXPECT_FALSE(created);
}

TEST_F(KeyValueStoreTest, ScanSeesUnwrittenChangesInKeyOrder) {
  for (const char* k : {"k/a", "k/c", "k/e", "other"}) store_->Put(p0_, k, {1, ""});
  Checkpoint();
  Reopen();
  store_->Put(p0_, "k/b", {2, ""});   // new, only in the cache
  store_->Delete(p0_, "k/c");          // deleted in the cache
  store_->Update(p0_, "k/e").count = 5;  // changed in the cache
  EXPECT_EQ(ScanKeys(0, "k/"), (std::vector<std::string>{"k/a=1", "k/b=2", "k/e=5"}));
  Checkpoint();
  Reopen();
  EXPECT_EQ(ScanKeys(0, "k/"), (std::vector<std::string>{"k/a=1", "k/b=2", "k/e=5"}));
}

TEST_F(KeyValueStoreTest, ShrinkEvictsOnlyWrittenEntriesLeastRecentlyUsedFirst) {
  store_->set_clock(1);
  store_->Put(p0_, "old", {1, std::string(1000, 'x')});
  store_->set_clock(2);
  store_->Put(p0_, "recent", {2, std::string(1000, 'y')});
  Checkpoint();
  store_->set_clock(3);
  store_->Update(p0_, "unwritten").count = 7;  // dirty: must survive any shrink
  // Behind the cache's back the database loses both written keys: what is still cached
  // is found, what was evicted is not.
  auto txn = db_->Begin();
  txn->Delete(0, p0_, "old");
  txn->Delete(0, p0_, "recent");
  ASSERT_TRUE(db_->Commit(txn.get()).ok());
  const uint64_t before = store_->generation();
  store_->Shrink(store_->cached_bytes() - 1);  // room for all but the least recently used
  EXPECT_NE(store_->generation(), before) << "references may have gone";
  EXPECT_EQ(store_->Get(p0_, "old"), nullptr) << "the least recently used entry was kept";
  ASSERT_NE(store_->Get(p0_, "recent"), nullptr) << "a more recently used entry was evicted first";
  store_->Shrink(0);
  ASSERT_NE(store_->Get(p0_, "unwritten"), nullptr) << "an unwritten change was evicted";
  EXPECT_EQ(store_->Get(p0_, "unwritten")->count, 7);
}

TEST_F(KeyValueStoreTest, CacheCountsWhatADecodedValueHoldsNotItsEncodedBytes) {
  Tally t{1, "short"};
  t.note.reserve(64 * 1024);  // what the decoded value holds, far beyond its 13 encoded bytes
  store_->Put(p0_, "a", std::move(t));
  Checkpoint();
  EXPECT_GE(store_->cached_bytes(), 64u * 1024u) << "the cache counts encoded bytes and would hold many times its budget";
}

TEST_F(KeyValueStoreTest, ForgetDropsAPartitionsEntries) {
  store_->Put(p0_, "a", {1, ""});
  store_->Put(p1_, "a", {2, ""});
  Checkpoint();
  const size_t both = store_->cached_bytes();
  store_->Forget(p1_);
  EXPECT_LT(store_->cached_bytes(), both);
  EXPECT_EQ(store_->Get(p1_, "a")->count, 2) << "read again from the database";
}

// A write-once store's entries (a record's own entry, seldom read again) leave the cache
// once a checkpoint has written them, so they do not push out entries read again; read
// again, they come from the database. Until then they are cached like any other.
TEST_F(KeyValueStoreTest, WriteOnceEntriesLeaveTheCacheOnceWritten) {
  KeyValueStore<Tally> once(0, {.name = "tallies", .write_once = true});
  once.Bind(db_.get());
  once.Put(p0_, "a", {7, std::string(1000, 'n')});
  EXPECT_GT(once.cached_bytes(), 0u);
  EXPECT_EQ(once.Get(p0_, "a")->count, 7) << "an unwritten entry is read from the cache";
  const uint64_t generation = once.generation();
  auto txn = db_->Begin();
  once.WriteChanges(txn.get(), nullptr);
  ASSERT_TRUE(db_->Commit(txn.get()).ok());
  EXPECT_EQ(once.cached_bytes(), 0u) << "the written entry stayed in the cache";
  EXPECT_NE(once.generation(), generation) << "references into the cache must be known stale";
  ASSERT_NE(once.Get(p0_, "a"), nullptr);
  EXPECT_EQ(once.Get(p0_, "a")->count, 7) << "read again from the database";
}

// An entry the cache holds expires with its TTL as the database's copy does, whether the
// cache holds it since it was written or since it was read: kept in the cache by its
// reads, it once outlived its TTL for as long as it was read.
TEST_F(KeyValueStoreTest, ACachedEntryExpiresWithItsTtlAsTheDatabasesCopyDoes) {
  constexpr int64_t kT0 = 946'684'800'000, kHour = 3'600'000;  // 2000-01-01: the wall clock plays no part
  auto clock = std::make_shared<EventClock>();
  StateOptions o;
  o.path = dir_.path() + "/ttl";
  o.stores = {{.name = "tallies", .ttl = std::chrono::hours(1), .ttl_in_event_time = true}};
  o.event_clock = clock;
  auto db = StateStore::Open(o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  const auto checkpoint = [&](KeyValueStore<Tally>& store) {
    auto txn = (*db)->Begin();
    store.WriteChanges(txn.get(), nullptr);
    ASSERT_TRUE((*db)->Commit(txn.get()).ok());
  };
  KeyValueStore<Tally> writer(0, o.stores[0]), reader(0, o.stores[0]);
  writer.Bind(db->get());
  reader.Bind(db->get());
  clock->Advance(p0_, kT0);
  writer.Put(p0_, "a/written", {1, ""});
  writer.Put(p0_, "a/read", {2, ""});
  checkpoint(writer);
  ASSERT_NE(writer.Get(p0_, "a/written"), nullptr);
  ASSERT_NE(reader.Get(p0_, "a/read"), nullptr) << "read from the database into the reader's cache";

  clock->Advance(p0_, kT0 + kHour / 2);
  EXPECT_NE(writer.Get(p0_, "a/written"), nullptr) << "half the TTL on, it is still there";
  writer.Put(p0_, "a/unwritten", {3, ""});

  clock->Advance(p0_, kT0 + 2 * kHour);
  const uint64_t generation = writer.generation();
  EXPECT_EQ(writer.Get(p0_, "a/written"), nullptr) << "held by the cache since its write, it outlived its TTL";
  EXPECT_NE(writer.generation(), generation) << "a pointer held into the expired value must be known stale";
  EXPECT_EQ(reader.Get(p0_, "a/read"), nullptr) << "held by the cache since its read, it outlived its TTL";
  Tally scratch;
  EXPECT_EQ(reader.Peek(p0_, "a/read", &scratch), nullptr);
  std::vector<std::string> scanned;
  writer.Scan(p0_, "a/", [&](std::string_view key, const Tally&) {
    scanned.emplace_back(key);
    return true;
  });
  EXPECT_EQ(scanned, std::vector<std::string>{"a/unwritten"}) << "an unwritten change is the newest write: it stays";
  bool created = false;
  EXPECT_EQ(writer.Update(p0_, "a/written", &created).count, 0);
  EXPECT_TRUE(created) << "written again after it expired, it starts anew";
}

TEST_F(KeyValueStoreTest, ChangeSinkSeesEveryWrittenChangeDeletesIncluded) {
  struct Seen final : ChangeSink {
    std::vector<std::string> changes;
    void Changed(StoreId, PartitionId partition, std::string_view key, const std::string* value,
                 bool existed, int64_t /*written_ms*/) override {
      changes.push_back(std::to_string(partition.value) + "/" + std::string(key) + (value ? "=set" : "=deleted") +
                        (existed ? "" : "(new)"));
    }
  } sink;
  store_->Put(p0_, "a", {1, ""});
  store_->Put(p1_, "b", {1, ""});
  Checkpoint(&sink);
  store_->Delete(p0_, "a");
  store_->Update(p1_, "b").count = 2;
  store_->Update(p1_, "b").count = 3;  // one change per key and checkpoint
  Checkpoint(&sink);
  EXPECT_EQ(sink.changes, (std::vector<std::string>{"0/a=set(new)", "1/b=set(new)", "0/a=deleted", "1/b=set"}));
}

TEST_F(KeyValueStoreTest, UnparsableStoredValueIsAFatalErrorNamingTheStoreAndKey) {
  auto txn = db_->Begin();
  txn->Put(0, p0_, "bad\x01key", "shrt");  // under the codec's 8 bytes
  ASSERT_TRUE(db_->Commit(txn.get()).ok());
  try {
    store_->Get(p0_, "bad\x01key");
    FAIL() << "garbage was used as state";
  } catch (const FatalError& e) {
    EXPECT_NE(std::string(e.what()).find("state store 'tallies', partition 0"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("bad\\x01key"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace voc::state
