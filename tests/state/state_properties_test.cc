// StateStore's read-only view of RocksDB (the properties operators watch) and the state
// folder's size on disk, against real RocksDB on a temporary folder.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "common/state/state_store.h"
#include "tests/runtime/test_util.h"

namespace voc::state {
namespace {

using namespace std::chrono_literals;

// Small memtables flushed often, and an L0 file count that slows writes from the second
// file on: a few hundred KiB of commits make SST files and a counted slowdown.
StateOptions SmallOptions(const std::string& path) {
  StateOptions o;
  o.path = path;
  o.stores = {{"kv", 0s}};
  o.block_cache_bytes = 1 << 20;
  o.write_buffer_bytes = 8 << 20;
  o.rocksdb_options = {{"write_buffer_size", "65536"},
                       {"level0_file_num_compaction_trigger", "2"},
                       {"level0_slowdown_writes_trigger", "2"},
                       {"level0_stop_writes_trigger", "1000"}};
  return o;
}

// Rows of 1 KiB of random bytes (compression cannot shrink them).
void WriteRows(StateStore& store, int from, int to) {
  static std::mt19937_64 random(7);
  auto txn = store.Begin();
  std::string value(1024, '\0');
  for (int i = from; i < to; ++i) {
    for (char& c : value) c = static_cast<char>(random());
    txn->Put(0, PartitionId(i % 4), test::Numbered("key-", i), value);
    if (txn->pending_changes() >= 32) {
      ASSERT_TRUE(store.Commit(txn.get()).ok());
    }
  }
  ASSERT_TRUE(store.Commit(txn.get()).ok());
}

TEST(StateStoreProperties, ReportMemtablesSstFilesAndWriteSlowdowns) {
  test::TempDir dir;
  auto opened = StateStore::Open(SmallOptions(dir.path() + "/db"));
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  StateStore& store = **opened;
  const StoreProperties empty = store.Properties();
  EXPECT_EQ(empty.live_sst_bytes, 0u);
  EXPECT_FALSE(empty.write_stopped);
  EXPECT_EQ(empty.write_stops, 0u);

  WriteRows(store, 0, 40);
  EXPECT_GT(store.Properties().memtable_bytes, 40u * 1024) << "the rows are in the memtable";

  // Flushes and L0 files follow as memtables fill; from the second L0 file writes are slowed.
  StoreProperties p;
  ASSERT_TRUE(test::WaitFor(
      [&] {
        WriteRows(store, 0, 200);
        p = store.Properties();
        return p.live_sst_bytes > 0 && p.write_slowdowns > 0;
      },
      30s))
      << "live SST bytes " << p.live_sst_bytes << ", slowdowns " << p.write_slowdowns;
  EXPECT_GT(p.live_sst_bytes, 64u * 1024);
  // Stalls were counted and timed; none holds writes now that the commits returned.
  EXPECT_GT(p.write_stall_micros, 0u);
  EXPECT_FALSE(p.write_stopped);
}

// The folder's size is what its files take on disk, growing as state is written.
TEST(StateStoreProperties, DiskBytesCountsEveryFileInTheFolder) {
  test::TempDir dir;
  const std::string path = dir.path() + "/db";
  StateOptions options = SmallOptions(path);
  // Compaction would rewrite files, and delete the old ones, while the test measures.
  options.rocksdb_options["disable_auto_compactions"] = "true";
  auto opened = StateStore::Open(options);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  StateStore& store = **opened;
  const uint64_t before = store.DiskBytes();
  EXPECT_GT(before, 0u) << "a fresh database has its manifest, options and log";
  WriteRows(store, 0, 8000);  // 8 MiB of values, in the log and SST files
  const uint64_t after = store.DiskBytes();
  EXPECT_GT(after, before + (4u << 20)) << "RocksDB preallocates some MiB for its manifest and log, not 8";

  // Any file under the folder counts, not only RocksDB's own. (A MiB of slack for a
  // write-ahead log deleted after its flush.)
  std::filesystem::create_directories(path + "/extra");
  std::ofstream(path + "/extra/blob") << std::string(4 << 20, 'y');
  EXPECT_GE(store.DiskBytes(), after + (3u << 20));
}

}  // namespace
}  // namespace voc::state
