// StateStore against real RocksDB on a temporary folder.
#include "common/state/state_store.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "tests/runtime/test_util.h"

namespace voc::state {
namespace {

using namespace std::chrono_literals;

constexpr StoreId kCounts = 0;
constexpr StoreId kSeen = 1;  // a TTL store

class StateStoreTest : public ::testing::Test {
 protected:
  StateOptions Options() const {
    StateOptions o;
    o.path = dir_.path() + "/db";
    o.stores = {{"counts", 0s}, {"seen", 1s}};
    return o;
  }

  std::unique_ptr<StateStore> Open(const StateOptions& options) {
    auto store = StateStore::Open(options);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  std::unique_ptr<StateStore> Open() { return Open(Options()); }

  // The committed value of key, or "<none>".
  static std::string Read(StateStore& store, StoreId id, int partition, std::string_view key) {
    std::string value;
    auto found = store.Get(id, PartitionId(partition), key, &value);
    EXPECT_TRUE(found.ok()) << found.status().ToString();
    return found.ok() && *found ? value : "<none>";
  }

  static std::vector<std::string> Keys(StateStore& store, StoreId id, int partition, std::string_view prefix) {
    std::vector<std::string> keys;
    EXPECT_TRUE(store.Scan(id, PartitionId(partition), prefix, [&](std::string_view k, std::string_view, int64_t) {
                       keys.emplace_back(k);
                       return true;
                     }).ok());
    return keys;
  }

  static Status Commit(StateStore& store, std::unique_ptr<Transaction>& txn) { return store.Commit(txn.get()); }

  const TopicPartition input0_{"voc.raw.tickets", PartitionId(0)};
  const TopicPartition input1_{"voc.raw.tickets", PartitionId(1)};
  test::TempDir dir_;
};

TEST_F(StateStoreTest, ChangesAreInvisibleUntilCommittedAndTheLastChangeOfAKeyWins) {
  auto store = Open();
  auto txn = store->Begin();
  txn->Put(kCounts, PartitionId(0), "a", "1");
  txn->Put(kCounts, PartitionId(0), "b", "1");
  txn->Put(kCounts, PartitionId(1), "a", "other partition");
  EXPECT_EQ(Read(*store, kCounts, 0, "a"), "<none>") << "not visible before the commit";
  EXPECT_EQ(txn->pending_changes(), 3u);
  ASSERT_TRUE(Commit(*store, txn).ok());
  EXPECT_EQ(txn->pending_changes(), 0u);
  EXPECT_EQ(Read(*store, kCounts, 0, "a"), "1");
  EXPECT_EQ(Read(*store, kCounts, 1, "a"), "other partition");

  // Several changes to one key in one transaction, in every order: the last one counts.
  txn->Put(kCounts, PartitionId(0), "a", "2");
  txn->Delete(kCounts, PartitionId(0), "a");
  txn->Put(kCounts, PartitionId(0), "a", "3");
  txn->Put(kCounts, PartitionId(0), "b", "2");
  txn->Delete(kCounts, PartitionId(0), "b");
  txn->Delete(kCounts, PartitionId(0), "c");
  txn->Put(kCounts, PartitionId(0), "c", "1");
  txn->Put(kCounts, PartitionId(0), "c", "2");
  EXPECT_EQ(Read(*store, kCounts, 0, "b"), "1") << "a delete is not visible before the commit either";
  ASSERT_TRUE(Commit(*store, txn).ok());
  EXPECT_EQ(Read(*store, kCounts, 0, "a"), "3");
  EXPECT_EQ(Read(*store, kCounts, 0, "b"), "<none>");
  EXPECT_EQ(Read(*store, kCounts, 0, "c"), "2");
  EXPECT_EQ(Read(*store, kCounts, 1, "a"), "other partition");
}

TEST_F(StateStoreTest, CommittedStateSurvivesReopen) {
  {
    auto store = Open();
    auto txn = store->Begin();
    txn->Put(kCounts, PartitionId(3), "customer-1", "42");
    txn->Put(kSeen, PartitionId(3), "fb-1", "fingerprint");
    ASSERT_TRUE(Commit(*store, txn).ok());
  }
  auto store = Open();
  EXPECT_EQ(Read(*store, kCounts, 3, "customer-1"), "42");
  EXPECT_EQ(Read(*store, kSeen, 3, "fb-1"), "fingerprint");
}

TEST_F(StateStoreTest, CommitsStateAndOffsetsAtomically) {
  {
    auto store = Open();
    EXPECT_FALSE(store->NextOffset(input0_).has_value());
    auto txn = store->Begin();
    txn->Put(kCounts, PartitionId(0), "n", "7");
    txn->SetNextOffset(input0_, Offset(7));
    // The offset is part of the batch: invisible until the commit.
    EXPECT_FALSE(store->NextOffset(input0_).has_value());
    ASSERT_TRUE(Commit(*store, txn).ok());
    EXPECT_EQ(store->NextOffset(input0_), Offset(7));
  }
  auto store = Open();
  EXPECT_EQ(store->NextOffset(input0_), Offset(7));
  EXPECT_EQ(Read(*store, kCounts, 0, "n"), "7");
  // Offsets are per topic partition.
  EXPECT_FALSE(store->NextOffset(input1_).has_value());
  EXPECT_FALSE(store->NextOffset({"voc.raw.surveys", PartitionId(0)}).has_value());
}

// A child process commits one batch, stages a second and is killed with SIGKILL before
// committing it: the reopened store has the first batch's state and offset, and nothing
// of the second.
TEST_F(StateStoreTest, KilledBeforeCommitLeavesNeitherStateNorOffset) {
  const StateOptions options = Options();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = StateStore::Open(options);
    if (!store.ok()) _exit(3);
    auto txn = (*store)->Begin();
    txn->Put(kCounts, PartitionId(0), "committed", "yes");
    txn->SetNextOffset(input0_, Offset(10));
    if (!(*store)->Commit(txn.get()).ok()) _exit(4);
    txn->Put(kCounts, PartitionId(0), "uncommitted", "yes");
    txn->Delete(kCounts, PartitionId(0), "committed");
    txn->SetNextOffset(input0_, Offset(20));
    raise(SIGKILL);  // kill -9: no destructor, no close, no flush
    _exit(5);
  }
  int wstatus = 0;
  ASSERT_EQ(waitpid(child, &wstatus, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exited with " << WEXITSTATUS(wstatus);
  ASSERT_EQ(WTERMSIG(wstatus), SIGKILL);

  auto store = Open(options);
  EXPECT_EQ(store->NextOffset(input0_), Offset(10));
  EXPECT_EQ(Read(*store, kCounts, 0, "committed"), "yes");
  EXPECT_EQ(Read(*store, kCounts, 0, "uncommitted"), "<none>");
}

// The mark a checkpoint sets before it sends its changes away: it outlives the process
// (a restart must see it), the next commit clears it, and so does dropping the partition.
TEST_F(StateStoreTest, UnconfirmedMarkOutlivesTheProcessUntilACommitOrADrop) {
  {
    auto store = Open();
    EXPECT_FALSE(store->Unconfirmed(PartitionId(0)));
    ASSERT_TRUE(store->MarkUnconfirmed({PartitionId(0), PartitionId(2)}).ok());
    EXPECT_TRUE(store->Unconfirmed(PartitionId(0)));
    EXPECT_FALSE(store->Unconfirmed(PartitionId(1)));
    // The mark is not an offset: the partition's offsets stay as they were.
    EXPECT_FALSE(store->NextOffset(input0_).has_value());
  }  // the process ends before its commit
  auto store = Open();
  EXPECT_TRUE(store->Unconfirmed(PartitionId(0)));
  EXPECT_TRUE(store->Unconfirmed(PartitionId(2)));
  ASSERT_TRUE(store->DropPartition(PartitionId(2)).ok());
  EXPECT_FALSE(store->Unconfirmed(PartitionId(2)));

  ASSERT_TRUE(store->MarkUnconfirmed({PartitionId(0)}).ok());
  auto txn = store->Begin();
  txn->SetNextOffset(input0_, Offset(5));
  ASSERT_TRUE(Commit(*store, txn).ok());
  EXPECT_FALSE(store->Unconfirmed(PartitionId(0)));
  store.reset();
  EXPECT_FALSE(Open()->Unconfirmed(PartitionId(0)));
}

TEST_F(StateStoreTest, PartitionPrefixesIsolatePartitions) {
  auto store = Open();
  auto txn = store->Begin();
  // Partitions 1 and 256 differ only in a byte that little-endian prefixes would share.
  for (int p : {0, 1, 256}) {
    txn->Put(kCounts, PartitionId(p), "k", test::Numbered("p", p));
    txn->Put(kCounts, PartitionId(p), "k2", "x");
  }
  ASSERT_TRUE(Commit(*store, txn).ok());
  EXPECT_EQ(Read(*store, kCounts, 0, "k"), "p0");
  EXPECT_EQ(Read(*store, kCounts, 1, "k"), "p1");
  EXPECT_EQ(Read(*store, kCounts, 256, "k"), "p256");
  EXPECT_EQ(Read(*store, kCounts, 2, "k"), "<none>");
  // A scan never crosses into another partition, and hides the partition bytes.
  EXPECT_EQ(Keys(*store, kCounts, 1, ""), (std::vector<std::string>{"k", "k2"}));
  EXPECT_EQ(Keys(*store, kCounts, 2, ""), std::vector<std::string>{});
  // Nor into another store.
  EXPECT_EQ(Keys(*store, kSeen, 1, ""), std::vector<std::string>{});
}

TEST_F(StateStoreTest, DropPartitionRemovesOnlyThatPartition) {
  auto store = Open();
  auto txn = store->Begin();
  for (int p : {0, 1, 2}) {
    txn->Put(kCounts, PartitionId(p), "k", test::Numbered("v", p));
    txn->Put(kSeen, PartitionId(p), "k", test::Numbered("s", p));
    txn->SetNextOffset({"voc.raw.tickets", PartitionId(p)}, Offset(100 + p));
  }
  ASSERT_TRUE(Commit(*store, txn).ok());

  ASSERT_TRUE(store->DropPartition(PartitionId(1)).ok());
  EXPECT_EQ(Read(*store, kCounts, 1, "k"), "<none>");
  EXPECT_EQ(Read(*store, kSeen, 1, "k"), "<none>");
  EXPECT_FALSE(store->NextOffset(input1_).has_value());
  for (int p : {0, 2}) {
    EXPECT_EQ(Read(*store, kCounts, p, "k"), test::Numbered("v", p));
    EXPECT_EQ(Read(*store, kSeen, p, "k"), test::Numbered("s", p));
    EXPECT_EQ(store->NextOffset({"voc.raw.tickets", PartitionId(p)}), Offset(100 + p));
  }
}

TEST_F(StateStoreTest, TtlStoreHidesExpiredEntries) {
  auto store = Open();
  auto txn = store->Begin();
  txn->Put(kSeen, PartitionId(0), "old", "1");
  txn->Put(kCounts, PartitionId(0), "kept", "1");  // no TTL on this store
  ASSERT_TRUE(Commit(*store, txn).ok());
  EXPECT_EQ(Read(*store, kSeen, 0, "old"), "1");

  std::this_thread::sleep_for(1100ms);  // the TTL is 1 s of wall clock
  txn->Put(kSeen, PartitionId(0), "fresh", "2");
  ASSERT_TRUE(Commit(*store, txn).ok());

  EXPECT_EQ(Read(*store, kSeen, 0, "old"), "<none>");
  EXPECT_EQ(Read(*store, kSeen, 0, "fresh"), "2");
  EXPECT_EQ(Keys(*store, kSeen, 0, ""), std::vector<std::string>{"fresh"});
  EXPECT_EQ(Read(*store, kCounts, 0, "kept"), "1");

  // Rewriting an expired key makes it live again.
  txn->Put(kSeen, PartitionId(0), "old", "3");
  ASSERT_TRUE(Commit(*store, txn).ok());
  EXPECT_EQ(Read(*store, kSeen, 0, "old"), "3");
}

// A TTL in event time counts the entry's partition's event time (its processor's
// watermark), not the wall clock: the times here are of the year 2000, so a wall-clock TTL
// would have dropped everything at once.
TEST_F(StateStoreTest, AnEventTimeTtlCountsEachPartitionsEventTime) {
  StateOptions options = Options();
  options.stores.push_back({.name = "events", .ttl = 3600s, .ttl_in_event_time = true});
  const StoreId kEvents = 2;
  auto clock = std::make_shared<EventClock>();
  options.event_clock = clock;
  auto store = Open(options);
  ASSERT_NE(store, nullptr);
  constexpr int64_t kT = 946'684'800'000;  // 2000-01-01T00:00:00Z
  constexpr int64_t kHour = 3'600'000;
  clock->Advance(PartitionId(0), kT);
  clock->Advance(PartitionId(1), kT);
  auto txn = store->Begin();
  EXPECT_EQ(txn->Put(kEvents, PartitionId(0), "k", "p0"), kT) << "the write time recorded is the event time";
  txn->Put(kEvents, PartitionId(1), "k", "p1");
  txn->Put(kEvents, PartitionId(2), "k", "p2");  // its partition's event time is not known yet
  txn->PutAsWritten(kEvents, PartitionId(3), "k", "restored", kT);
  ASSERT_TRUE(Commit(*store, txn).ok());
  EXPECT_EQ(Read(*store, kEvents, 0, "k"), "p0");
  EXPECT_EQ(Read(*store, kEvents, 3, "k"), "restored") << "partition 3's event time is not known: nothing expires";
  int64_t scanned_written = 0;
  ASSERT_TRUE(store->Scan(kEvents, PartitionId(3), "", [&](std::string_view, std::string_view, int64_t written) {
                     scanned_written = written;
                     return true;
                   }).ok());
  EXPECT_EQ(scanned_written, kT) << "a scan gives each entry's write time, as Get does";

  clock->Advance(PartitionId(0), kT + kHour + 1);
  clock->Advance(PartitionId(2), kT + 100 * kHour);
  clock->Advance(PartitionId(3), kT + kHour + 1);
  clock->Advance(PartitionId(0), kT);  // event time never goes back
  EXPECT_EQ(Read(*store, kEvents, 0, "k"), "<none>") << "partition 0's event time passed the TTL";
  EXPECT_TRUE(Keys(*store, kEvents, 0, "").empty());
  EXPECT_EQ(Read(*store, kEvents, 1, "k"), "p1") << "partition 1's event time did not move";
  EXPECT_EQ(Read(*store, kEvents, 2, "k"), "p2") << "written while its event time was unknown: kept";
  EXPECT_EQ(Read(*store, kEvents, 3, "k"), "<none>") << "a restored entry keeps the write time it had";

  // Without a clock such a store cannot be opened.
  store.reset();
  options.event_clock = nullptr;
  auto refused = StateStore::Open(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("'events'"), std::string::npos) << refused.status().message();
}

TEST_F(StateStoreTest, InvalidRocksDbOptionFailsOpenNamingTheKey) {
  StateOptions options = Options();
  options.rocksdb_options = {{"max_background_jobz", "2"}};
  auto store = StateStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(store.status().message().find("max_background_jobz"), std::string::npos) << store.status().message();

  options.rocksdb_options = {{"max_background_jobs", "lots"}};
  store = StateStore::Open(options);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("max_background_jobs"), std::string::npos) << store.status().message();

  // Valid DB and column family options pass through.
  options.rocksdb_options = {{"max_background_jobs", "3"}, {"level0_file_num_compaction_trigger", "8"}};
  store = StateStore::Open(options);
  EXPECT_TRUE(store.ok()) << store.status().ToString();
}

// The options RocksDB opened each store with, as it records them in the folder's newest
// OPTIONS file: per column family, "key=value" lines.
std::map<std::string, std::map<std::string, std::string>> RecordedFamilyOptions(const std::string& path) {
  std::filesystem::path newest;
  for (const auto& entry : std::filesystem::directory_iterator(path)) {
    const std::string name = entry.path().filename().string();
    if (name.starts_with("OPTIONS-") && (newest.empty() || name > newest.filename().string())) newest = entry.path();
  }
  std::map<std::string, std::map<std::string, std::string>> families;
  std::ifstream in(newest);
  std::string line, family;
  while (std::getline(in, line)) {
    line.erase(0, line.find_first_not_of(" \t"));
    if (line.starts_with("[CFOptions \"")) {
      family = line.substr(12, line.find('"', 12) - 12);
    } else if (line.starts_with("[")) {
      family.clear();
    } else if (!family.empty() && line.find('=') != std::string::npos) {
      families[family][line.substr(0, line.find('='))] = line.substr(line.find('=') + 1);
    }
  }
  return families;
}

// Every store compacts universally, 8 sorted runs starting a compaction, its levels (for
// levelled compaction) sized for random writes, unless state.rocksdb.* says otherwise.
TEST_F(StateStoreTest, EveryStoreCompactsUniversallyUnlessConfiguredOtherwise) {
  StateOptions options = Options();
  ASSERT_NE(Open(options), nullptr);
  auto families = RecordedFamilyOptions(options.path);
  for (const char* family : {"default", "counts", "seen"}) {
    ASSERT_TRUE(families.contains(family)) << family;
    EXPECT_EQ(families[family]["compaction_style"], "kCompactionStyleUniversal") << family;
    EXPECT_EQ(families[family]["max_bytes_for_level_base"], "33554432") << family;
    EXPECT_EQ(families[family]["target_file_size_base"], "8388608") << family;
    EXPECT_EQ(families[family]["level0_file_num_compaction_trigger"], "8") << family;
  }
  options.path = dir_.path() + "/configured";
  options.rocksdb_options = {{"max_bytes_for_level_base", "268435456"},
                             {"level0_file_num_compaction_trigger", "4"},
                             {"compaction_style", "kCompactionStyleLevel"}};
  ASSERT_NE(Open(options), nullptr);
  families = RecordedFamilyOptions(options.path);
  EXPECT_EQ(families["counts"]["compaction_style"], "kCompactionStyleLevel");
  EXPECT_EQ(families["counts"]["max_bytes_for_level_base"], "268435456");
  EXPECT_EQ(families["counts"]["level0_file_num_compaction_trigger"], "4");
  EXPECT_EQ(families["counts"]["target_file_size_base"], "8388608");
}

// A folder written with levelled compaction, its data spread over several levels, opens
// under universal compaction (each level one sorted run): every value reads back, and it
// takes new writes and compactions after.
TEST_F(StateStoreTest, AFolderWrittenWithLevelledCompactionOpensUnderUniversal) {
  StateOptions levelled = Options();
  levelled.rocksdb_options = {{"compaction_style", "kCompactionStyleLevel"},
                              {"write_buffer_size", "65536"},
                              {"level0_file_num_compaction_trigger", "2"},
                              {"max_bytes_for_level_base", "262144"},
                              {"target_file_size_base", "65536"}};
  std::mt19937_64 random(11);
  std::string value(512, '\0');
  std::map<std::string, std::string> written;
  auto write = [&](StateStore& store, int from, int to) {
    auto txn = store.Begin();
    for (int i = from; i < to; ++i) {
      for (char& c : value) c = static_cast<char>('a' + random() % 26);
      const std::string key = test::Numbered("key-", static_cast<int>(random() % 100000));
      txn->Put(kCounts, PartitionId(0), key, value);
      written[key] = value;
      if (txn->pending_changes() >= 64) {
        ASSERT_TRUE(Commit(store, txn).ok());
      }
    }
    ASSERT_TRUE(Commit(store, txn).ok());
  };
  {
    auto store = Open(levelled);
    ASSERT_NE(store, nullptr);
    write(*store, 0, 8000);  // 4 MiB over a level base of 256 KiB: levels 1 to 3
  }
  // RocksDB's own log says where compactions put the data.
  const std::string log = test::FileText(levelled.path + "/LOG");
  ASSERT_NE(log.find("files to L2"), std::string::npos) << "nothing reached level 2: the test proves nothing";

  StateOptions universal = Options();
  universal.rocksdb_options = {{"write_buffer_size", "65536"}};
  auto store = Open(universal);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(RecordedFamilyOptions(universal.path)["counts"]["compaction_style"], "kCompactionStyleUniversal");
  for (const auto& [key, v] : written) ASSERT_EQ(Read(*store, kCounts, 0, key), v) << key;
  write(*store, 8000, 12000);  // more runs than start a compaction
  for (const auto& [key, v] : written) ASSERT_EQ(Read(*store, kCounts, 0, key), v) << key;
}

// A folder remembers what its state means: a build that keeps another format refuses it
// with a sentence that says how to rebuild, instead of misreading it; so does one that
// finds state written before formats were recorded. An empty folder takes any format.
TEST_F(StateStoreTest, FolderOfAnotherStateFormatIsRefusedSayingHowToRebuild) {
  StateOptions options = Options();
  options.format = "voc-test/1";
  {
    auto store = Open(options);
    ASSERT_NE(store, nullptr);
    auto txn = store->Begin();
    txn->Put(kCounts, PartitionId(0), "n", "1");
    ASSERT_TRUE(Commit(*store, txn).ok());
  }
  EXPECT_NE(Open(options), nullptr) << "the same format opens again";
  options.format = "voc-test/2";
  auto refused = StateStore::Open(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), Status::Code::kInvalidArgument);
  for (const char* part : {"'voc-test/1'", "'voc-test/2'", "delete the folder"}) {
    EXPECT_NE(refused.status().message().find(part), std::string::npos) << refused.status().message();
  }

  StateOptions unversioned = Options();
  unversioned.path = dir_.path() + "/unversioned";
  {
    auto store = Open(unversioned);
    ASSERT_NE(store, nullptr);
    auto txn = store->Begin();
    txn->Put(kCounts, PartitionId(0), "n", "1");
    ASSERT_TRUE(Commit(*store, txn).ok());
  }
  unversioned.format = "voc-test/1";
  refused = StateStore::Open(unversioned);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("did not record its state format"), std::string::npos)
      << refused.status().message();

  StateOptions empty = Options();
  empty.path = dir_.path() + "/empty";
  EXPECT_NE(Open(empty), nullptr);  // created without a format, nothing stored
  empty.format = "voc-test/2";
  EXPECT_NE(Open(empty), nullptr) << "a folder without state takes the format";
}

TEST_F(StateStoreTest, MemoryStaysWithinConfiguredCacheAndWriteBuffers) {
  StateOptions options = Options();
  options.block_cache_bytes = 4 << 20;
  options.write_buffer_bytes = 2 << 20;
  auto store = Open(options);
  const size_t bound = options.block_cache_bytes + options.write_buffer_bytes;

  // 32 MiB of incompressible values: without the bounds, memtables and cached blocks
  // would hold most of it.
  std::mt19937_64 rng(7);
  std::string value(4096, '\0');
  auto txn = store->Begin();
  constexpr int kKeys = 8192;
  uint64_t peak = 0;
  for (int i = 0; i < kKeys; ++i) {
    for (size_t j = 0; j < value.size(); j += 8) {
      uint64_t r = rng();
      std::memcpy(value.data() + j, &r, 8);
    }
    txn->Put(kCounts, PartitionId(i % 4), test::Numbered("key-", i), value);
    if (i % 256 == 255) {
      ASSERT_TRUE(Commit(*store, txn).ok());
      peak = std::max(peak, store->MemoryUsage());
    }
  }
  // Read everything back so the block cache fills as far as it may.
  std::string out;
  for (int i = 0; i < kKeys; ++i) {
    auto found = store->Get(kCounts, PartitionId(i % 4), test::Numbered("key-", i), &out);
    ASSERT_TRUE(found.ok() && *found) << i;
    ASSERT_EQ(out.size(), value.size());
    if (i % 256 == 0) peak = std::max(peak, store->MemoryUsage());
  }
  peak = std::max(peak, store->MemoryUsage());
  EXPECT_GT(peak, 1u << 20) << "the cache was never used: the test proves nothing";
  // Soft by one write buffer: a memtable being flushed counts until its flush completes,
  // which under load (another build on the two cores) can lag the next one filling up.
  EXPECT_LE(peak, bound + options.write_buffer_bytes);
  // Memtables were flushed to files rather than kept in memory.
  size_t sst_files = 0;
  for (const auto& e : std::filesystem::directory_iterator(options.path)) sst_files += e.path().extension() == ".sst";
  EXPECT_GT(sst_files, 0u);
}

// A store written once and then never again keeps its memtable, which pins every
// write-ahead log since: the logs stay bounded all the same (max_total_wal_size).
TEST_F(StateStoreTest, WriteAheadLogStaysBoundedWhenAStoreIsRarelyWritten) {
  // Each store's memtable flushes on its own at a quarter of this, long before the
  // memtables together reach it: the write buffer manager never steps in.
  StateOptions options = Options();
  options.write_buffer_bytes = 8 << 20;
  auto store = Open(options);
  auto txn = store->Begin();
  txn->Put(kCounts, PartitionId(0), "rare", "once");
  ASSERT_TRUE(Commit(*store, txn).ok());
  auto wal_bytes = [&] {
    // RocksDB deletes old logs while this walks: a file gone by then counts 0.
    uint64_t bytes = 0;
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(options.path, ec)) {
      if (e.path().extension() != ".log") continue;
      const auto size = e.file_size(ec);
      if (!ec) bytes += size;
    }
    return bytes;
  };
  // 96 MiB through the other store, a commit per 256 KiB.
  std::mt19937_64 rng(11);
  std::string value(4096, '\0');
  uint64_t peak = 0;
  for (int i = 0; i < 24 * 1024; ++i) {
    for (size_t j = 0; j < value.size(); j += 8) {
      uint64_t r = rng();
      std::memcpy(value.data() + j, &r, 8);
    }
    txn->Put(kSeen, PartitionId(0), test::Numbered("key-", i), value);
    if (i % 64 == 63) {
      ASSERT_TRUE(Commit(*store, txn).ok());
      peak = std::max(peak, wal_bytes());
    }
  }
  // The bound is twice the write buffers, 16 MiB here; RocksDB's own default would be 64
  // MiB (four times every family's memtables), and the logs then reach about 85 MiB.
  // Slack for the logs written while a flush waits for a thread (20 MiB seen on an idle
  // machine, more while the test suite runs beside it).
  EXPECT_LE(peak, uint64_t{40} << 20) << "the rarely written store pinned the write-ahead logs";
  EXPECT_EQ(Read(*store, kCounts, 0, "rare"), "once");
}

// Bytes this thread has read from files (read and pread calls), from /proc/thread-self/io.
uint64_t ThreadReadBytes() {
  std::ifstream io("/proc/thread-self/io");
  std::string name;
  uint64_t value = 0;
  while (io >> name >> value) {
    if (name == "rchar:") return value;
  }
  ADD_FAILURE() << "no rchar in /proc/thread-self/io";
  return 0;
}

// Most lookups are of keys not stored yet (a new feedback id, a new window). Once the
// state outgrows the block cache, such a lookup must still read next to nothing from the
// tables: with whole-table filters left unpinned, data blocks pushed them out and each
// lookup read and checksummed each table's whole filter again (a megabyte and more), so
// the cost per record grew with the state (issue 16).
TEST_F(StateStoreTest, LookupsOfAbsentKeysReadLittleOnceTheStateOutgrowsTheCache) {
  StateOptions options = Options();
  options.block_cache_bytes = 1 << 20;
  options.write_buffer_bytes = 2 << 20;
  auto store = Open(options);
  // About 3 million keys: tables whose whole filters are several times the cache.
  auto txn = store->Begin();
  constexpr int kKeys = 3'000'000;
  for (int i = 0; i < kKeys; ++i) {
    txn->Put(kCounts, PartitionId(0), test::Numbered("present-", i), "v");
    if (i % 100'000 == 99'999) {
      ASSERT_TRUE(Commit(*store, txn).ok());
    }
  }
  ASSERT_TRUE(Commit(*store, txn).ok());
  ASSERT_EQ(Read(*store, kCounts, 0, "present-12345"), "v");
  constexpr int kLookups = 2'000;
  const uint64_t before = ThreadReadBytes();
  for (int i = 0; i < kLookups; ++i) {
    // Among the stored keys, so every table's key range holds it and only filters rule it out.
    ASSERT_EQ(Read(*store, kCounts, 0, test::Numbered("present-", i * 1'499) + "-absent"), "<none>");
  }
  const uint64_t per_lookup = (ThreadReadBytes() - before) / kLookups;
  EXPECT_LE(per_lookup, uint64_t{16} << 10) << "bytes read from files per lookup of an absent key";
}

}  // namespace
}  // namespace voc::state
