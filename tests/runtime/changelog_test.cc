// The changelog's checkpoints on the embedded broker and a real RocksDB: what a restore
// takes (complete checkpoints only), what it writes again (an unfinished checkpoint's
// records, as restored), what it refuses (a key a compaction took), and how it rebuilds
// a derived store the changelog leaves out.
#include "common/runtime/changelog.h"

#include <gtest/gtest.h>

#include "common/kafka/embedded_broker.h"
#include "common/runtime/processor_driver.h"
#include "tests/runtime/processor_harness.h"
#include "tests/runtime/test_util.h"

namespace voc::runtime {
namespace {

using namespace std::chrono_literals;

class ChangelogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = kafka::EmbeddedBroker::Start();
    ASSERT_TRUE(broker.ok());
    broker_ = std::move(broker).value();
    ASSERT_TRUE(broker_->CreateTopic("changelog", 2).ok());
    auto producer = kafka::Producer::Create({.client = {broker_->bootstrap_servers()}});
    ASSERT_TRUE(producer.ok());
    producer_ = std::move(producer).value();
    writer_ = std::make_unique<ChangelogWriter>("changelog", std::set<std::string>{"in"}, *producer_);
  }

  void Change(const std::string& key, const std::string* value, bool existed) {
    writer_->Changed(0, p_, key, value, existed, 0);
  }
  // A checkpoint: its changes acknowledged, then the marker.
  void Finish(int64_t next_offset) {
    ASSERT_TRUE(producer_->Flush(10s).ok());
    ASSERT_TRUE(writer_->WriteMarkers({{{"in", p_}, Offset(next_offset)}}).ok());
    ASSERT_TRUE(producer_->Flush(10s).ok());
  }

  // A restore into a fresh state folder; the restored values of keys.
  RestoreOutcome Restore(std::map<std::string, std::string>* values, const std::string& folder,
                         std::function<void(int64_t, int64_t)> progress = {}) {
    state::StateOptions o;
    o.path = dir_.path() + "/" + folder;
    o.stores = {{.name = "s"}};
    auto db = state::StateStore::Open(o);
    EXPECT_TRUE(db.ok());
    auto outcome = RestoreFromChangelog({broker_->bootstrap_servers()}, "changelog", {"in", p_}, {o.stores}, db->get(),
                                        writer_.get(), {.timeout = 20s, .progress = std::move(progress)});
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    for (const char* key : {"a", "b", "c", "d"}) {
      std::string value;
      auto found = (*db)->Get(0, p_, key, &value);
      if (found.ok() && *found) (*values)[key] = value;
    }
    EXPECT_TRUE(producer_->Flush(10s).ok());  // what the restore wrote again
    return outcome.ok() ? *outcome : RestoreOutcome{};
  }

  test::TempDir dir_;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  std::unique_ptr<kafka::Producer> producer_;
  std::unique_ptr<ChangelogWriter> writer_;
  const PartitionId p_{1};
};

TEST_F(ChangelogTest, RestoreTakesCompleteCheckpointsOnlyAndWritesAnUnfinishedOneAgainAsRestored) {
  const std::string v1 = "v1", v2 = "v2";
  Change("a", &v1, false);
  Change("b", &v1, false);
  Finish(10);
  Change("b", nullptr, true);  // checkpoint 2 deletes b ...
  Finish(20);
  Change("a", &v2, true);  // ... checkpoint 3 never finishes
  Change("c", &v2, false);
  ASSERT_TRUE(producer_->Flush(10s).ok());

  std::map<std::string, std::string> values;
  auto outcome = Restore(&values, "first");
  EXPECT_EQ(outcome.fallback, "");
  ASSERT_TRUE(outcome.next.has_value());
  EXPECT_EQ(outcome.next->value, 20);
  EXPECT_EQ(values, (std::map<std::string, std::string>{{"a", "v1"}})) << "b was deleted, a and c never finished";

  // The restoring instance's next checkpoint ends what it wrote again: a later restore
  // must not take checkpoint 3's records for complete.
  Finish(25);
  values.clear();
  outcome = Restore(&values, "second");
  EXPECT_EQ(outcome.fallback, "");
  EXPECT_EQ(outcome.next->value, 25);
  EXPECT_EQ(values, (std::map<std::string, std::string>{{"a", "v1"}}));
}

TEST_F(ChangelogTest, UnfinishedChangeOfAKeyWithoutACompleteValueCannotBeRestoredExactly) {
  const std::string v1 = "v1";
  Change("a", &v1, false);
  Finish(10);
  Change("d", &v1, true);  // it existed, but no complete record has it: compacted away
  ASSERT_TRUE(producer_->Flush(10s).ok());
  std::map<std::string, std::string> values;
  auto outcome = Restore(&values, "first");
  EXPECT_NE(outcome.fallback, "");
  EXPECT_TRUE(values.empty()) << "a partial restore was kept";
}

// The restore looks back from the end for the last marker, a few thousand records at a
// time: here 6,000 records of an unfinished checkpoint follow it, more than its first look.
TEST_F(ChangelogTest, RestoreFindsTheLastCheckpointFarBehindTheEnd) {
  const std::string v1 = "v1", v2 = "v2", v3 = "v3";
  Change("a", &v1, false);
  Finish(10);
  Change("b", &v2, false);
  Finish(20);
  Change("a", &v3, true);  // the unfinished checkpoint: a, and 6,000 keys never seen before
  for (int i = 0; i < 6000; ++i) Change("pending-" + std::to_string(i), &v3, false);
  ASSERT_TRUE(producer_->Flush(10s).ok());

  std::vector<std::pair<int64_t, int64_t>> progress;
  std::map<std::string, std::string> values;
  auto outcome = Restore(&values, "first", [&](int64_t read, int64_t end) { progress.emplace_back(read, end); });
  EXPECT_EQ(outcome.fallback, "");
  ASSERT_TRUE(outcome.next.has_value()) << "the last checkpoint was not found";
  ASSERT_FALSE(progress.empty()) << "the restore told nothing of its progress";
  EXPECT_EQ(progress.back(), std::make_pair(int64_t{4}, int64_t{4})) << "up to the second marker, offset 3";
  EXPECT_EQ(outcome.next->value, 20);
  EXPECT_EQ(values, (std::map<std::string, std::string>{{"a", "v1"}, {"b", "v2"}}));
  EXPECT_EQ(outcome.records, 6005u) << "three changes and two markers, then the unfinished checkpoint's records";
}

// A restore stopped halfway (kill -9) leaves some of the partition's state without its
// offsets; the next restore starts from an empty partition, not on top of it.
TEST_F(ChangelogTest, RestoreDropsWhatAnInterruptedRestoreLeft) {
  const std::string v1 = "v1";
  Change("a", &v1, false);
  Finish(10);
  state::StateOptions o;
  o.path = dir_.path() + "/interrupted";
  o.stores = {{.name = "s"}};
  auto db = state::StateStore::Open(o);
  ASSERT_TRUE(db.ok());
  auto txn = (*db)->Begin();
  txn->Put(0, p_, "c", "left by the interrupted restore");  // no offsets with it
  ASSERT_TRUE((*db)->Commit(txn.get()).ok());

  auto outcome = RestoreFromChangelog({broker_->bootstrap_servers()}, "changelog", {"in", p_}, {o.stores},
                                      db->get(), writer_.get(), {.timeout = 20s});
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  ASSERT_TRUE(outcome->next.has_value());
  std::string value;
  auto found = (*db)->Get(0, p_, "c", &value);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(*found) << "the interrupted restore's entry survived";
  found = (*db)->Get(0, p_, "a", &value);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(*found && value == "v1");
}

TEST_F(ChangelogTest, PartitionWithoutAnyCheckpointHasNothingToRestore) {
  std::map<std::string, std::string> values;
  auto outcome = Restore(&values, "first");
  EXPECT_FALSE(outcome.next.has_value());
  EXPECT_EQ(outcome.fallback, "");
}

// A restore writes only what its store would show: an entry whose TTL ran out by the wall
// clock is left out (read back without the TTL, the folder does not hold it); one whose
// TTL counts event time is kept, the partition's event time being unknown until its
// processor names it.
TEST_F(ChangelogTest, RestoreLeavesOutWhatItsStoreWouldNotShow) {
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch()).count();
  constexpr int64_t kHour = 3'600'000;
  const std::string v = "v";
  writer_->Changed(0, p_, "a", &v, false, now - 2 * kHour);  // wall store: expired
  writer_->Changed(0, p_, "b", &v, false, now);
  writer_->Changed(1, p_, "a", &v, false, 946'684'800'000);  // event-time store, year 2000
  Finish(10);

  state::StateOptions o;
  o.path = dir_.path() + "/ttl";
  o.stores = {{.name = "wall", .ttl = std::chrono::hours(1)},
              {.name = "event", .ttl = std::chrono::hours(1), .ttl_in_event_time = true}};
  o.event_clock = std::make_shared<state::EventClock>();
  const auto holds = [&](state::StateStore& db, state::StoreId store, const std::string& key) {
    std::string value;
    auto found = db.Get(store, p_, key, &value);
    return found.ok() && *found;
  };
  {
    auto db = state::StateStore::Open(o);
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto outcome = RestoreFromChangelog({broker_->bootstrap_servers()}, "changelog", {"in", p_}, {o.stores}, db->get(),
                                        writer_.get(), {.timeout = 20s});
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    EXPECT_TRUE(holds(**db, 1, "a")) << "the event-time entry was dropped though its partition's time is unknown";
  }
  o.stores = {{.name = "wall"}, {.name = "event"}};  // the same folder read without TTLs
  o.event_clock = nullptr;
  auto db = state::StateStore::Open(o);
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  EXPECT_FALSE(holds(**db, 0, "a")) << "the restore wrote an entry whose TTL had run out";
  EXPECT_TRUE(holds(**db, 0, "b"));
}

// Keeps counts by key, and their totals by the key's first letter as a derived store.
class CountsWithTotals final : public Processor {
 public:
  static constexpr state::StoreId kCounts = 0, kTotals = 1;
  void Open(Setup& setup) override {
    setup.StateFormat("counts-with-totals/2");
    counts_ = setup.Store<test::Counter>({.name = "counts", .ttl = std::chrono::hours(1), .ttl_in_event_time = true});
    setup.DerivedStore<test::Counter>({.name = "totals", .ttl = std::chrono::hours(1), .ttl_in_event_time = true},
                                      counts_,
                                      [](std::string_view key, const test::Counter& c, Derived<test::Counter>& out) {
                                        out.Update(key.substr(0, 1)).n += c.n;
                                      });
  }
  void Process(const kafka::Record&, Context&) override {}

 private:
  state::KeyValueStore<test::Counter>* counts_ = nullptr;
};

std::unique_ptr<ProcessorDriver> OpenCountsWithTotals(const std::string& path) {
  DriverOptions options;
  options.service = "test";
  options.state.path = path;
  auto driver = ProcessorDriver::Open(std::move(options), std::make_unique<CountsWithTotals>());
  EXPECT_TRUE(driver.ok()) << driver.status().ToString();
  return driver.ok() ? std::move(driver).value() : nullptr;
}

StateLayout Layout(const ProcessorDriver& driver) {
  return {driver.store_specs(), driver.derivations(), driver.state_format()};
}

TEST_F(ChangelogTest, WriterLeavesDerivedStoresOut) {
  auto driver = OpenCountsWithTotals(dir_.path() + "/writer");
  ASSERT_TRUE(driver);
  ASSERT_EQ(driver->derivations().size(), 1u);
  EXPECT_TRUE(driver->store_specs()[CountsWithTotals::kTotals].derived);
  ChangelogWriter writer("changelog", {"in"}, *producer_, {CountsWithTotals::kTotals});
  const std::string v = "7";
  writer.Changed(CountsWithTotals::kTotals, p_, "x", &v, false, 0);
  ASSERT_TRUE(producer_->Flush(10s).ok());
  auto marks = kafka::Watermarks({broker_->bootstrap_servers()}, {"changelog", p_}, 10s);
  ASSERT_TRUE(marks.ok()) << marks.status().ToString();
  EXPECT_EQ(marks->second.value, 0) << "a derived store's change reached the changelog";
  writer.Changed(CountsWithTotals::kCounts, p_, "x1", &v, false, 0);
  ASSERT_TRUE(producer_->Flush(10s).ok());
  marks = kafka::Watermarks({broker_->bootstrap_servers()}, {"changelog", p_}, 10s);
  ASSERT_TRUE(marks.ok()) << marks.status().ToString();
  EXPECT_EQ(marks->second.value, 1) << "the source store's change did not reach the changelog";
}

// The fixture's writer names no state format, as releases before formats were named in
// markers did: a restore of any format takes its checkpoints (the tests above and below).
// One that names another format is refused whole.
TEST_F(ChangelogTest, RestoreRefusesCheckpointsOfAnotherStateFormat) {
  ChangelogWriter writer("changelog", {"in"}, *producer_, {CountsWithTotals::kTotals}, "counts-with-totals/1");
  const std::string two = "2";
  writer.Changed(CountsWithTotals::kCounts, p_, "x1", &two, false, 1000);
  ASSERT_TRUE(producer_->Flush(10s).ok());
  ASSERT_TRUE(writer.WriteMarkers({{{"in", p_}, Offset(10)}}).ok());
  ASSERT_TRUE(producer_->Flush(10s).ok());

  auto driver = OpenCountsWithTotals(dir_.path() + "/restored");
  ASSERT_TRUE(driver);
  auto outcome = RestoreFromChangelog({broker_->bootstrap_servers()}, "changelog", {"in", p_}, Layout(*driver),
                                      driver->db(), &writer, {.timeout = 20s});
  ASSERT_FALSE(outcome.ok()) << "a checkpoint of another state format was restored";
  EXPECT_EQ(outcome.status().code(), Status::Code::kFailedPrecondition);
  for (const char* named : {"counts-with-totals/1", "counts-with-totals/2", "state.changelog_topic"}) {
    EXPECT_NE(outcome.status().message().find(named), std::string::npos) << outcome.status().ToString();
  }
  std::string value;
  auto found = driver->db()->Get(CountsWithTotals::kCounts, p_, "x1", &value);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(*found) << "a refused restore wrote state";

  // The same release's checkpoints restore.
  ASSERT_TRUE(broker_->CreateTopic("changelog-same", 2).ok());
  ChangelogWriter same("changelog-same", {"in"}, *producer_, {CountsWithTotals::kTotals}, "counts-with-totals/2");
  same.Changed(CountsWithTotals::kCounts, p_, "x1", &two, false, 1000);
  ASSERT_TRUE(producer_->Flush(10s).ok());
  ASSERT_TRUE(same.WriteMarkers({{{"in", p_}, Offset(10)}}).ok());
  ASSERT_TRUE(producer_->Flush(10s).ok());
  outcome = RestoreFromChangelog({broker_->bootstrap_servers()}, "changelog-same", {"in", p_}, Layout(*driver),
                                 driver->db(), &same, {.timeout = 20s});
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  found = driver->db()->Get(CountsWithTotals::kCounts, p_, "x1", &value);
  ASSERT_TRUE(found.ok());
  EXPECT_TRUE(*found && value == "2") << "a checkpoint of the same state format was not restored";
}

// The derived values are folded from the restored entries of their source, each written
// with the latest write time among them; the derived store's own records (an earlier
// release logged them) and the source's deleted entries count for nothing. A restore
// whose derived values outgrow its chunk writes them early and reads them back to add to
// them: with a chunk of one byte, after every entry, the values are the same.
TEST_F(ChangelogTest, RestoreRebuildsDerivedStoresFromTheEntriesItRestores) {
  const std::string two = "2", three = "3", four = "4", stale = "999";
  writer_->Changed(CountsWithTotals::kCounts, p_, "x1", &two, false, 1000);
  writer_->Changed(CountsWithTotals::kCounts, p_, "x2", &three, false, 5000);
  writer_->Changed(CountsWithTotals::kCounts, p_, "y1", &four, false, 2000);
  writer_->Changed(CountsWithTotals::kCounts, p_, "z1", &four, false, 2000);
  writer_->Changed(CountsWithTotals::kTotals, p_, "x", &stale, false, 9000);
  Finish(10);
  writer_->Changed(CountsWithTotals::kCounts, p_, "z1", nullptr, true, 0);
  Finish(20);

  for (const size_t chunk : {RestoreOptions().chunk_bytes, size_t{1}}) {
    SCOPED_TRACE("chunks of " + std::to_string(chunk) + " bytes");
    auto driver = OpenCountsWithTotals(dir_.path() + "/restored-" + std::to_string(chunk));
    ASSERT_TRUE(driver);
    auto outcome = RestoreFromChangelog({broker_->bootstrap_servers()}, "changelog", {"in", p_}, Layout(*driver),
                                        driver->db(), writer_.get(), {.timeout = 20s, .chunk_bytes = chunk});
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    EXPECT_EQ(outcome->fallback, "");
    const auto total = [&](const std::string& key, int64_t* written) -> std::string {
      std::string value;
      auto found = driver->db()->Get(CountsWithTotals::kTotals, p_, key, &value, written);
      return found.ok() && *found ? value : "(none)";
    };
    int64_t written = 0;
    EXPECT_EQ(total("x", &written), "5");
    EXPECT_EQ(written, 5000) << "the derived value's write time is not the latest of its entries'";
    EXPECT_EQ(total("y", &written), "4");
    EXPECT_EQ(written, 2000);
    EXPECT_EQ(total("z", nullptr), "(none)") << "a deleted entry was folded in";
  }
}

TEST_F(ChangelogTest, SourceEntryThatDoesNotDecodeFailsTheRestoreAndWritesNoDerivedValue) {
  const std::string two = "2", junk = "not a count";
  writer_->Changed(CountsWithTotals::kCounts, p_, "x1", &two, false, 1000);
  writer_->Changed(CountsWithTotals::kCounts, p_, "x2", &junk, false, 1000);
  Finish(10);
  auto driver = OpenCountsWithTotals(dir_.path() + "/restored");
  ASSERT_TRUE(driver);
  auto outcome = RestoreFromChangelog({broker_->bootstrap_servers()}, "changelog", {"in", p_}, Layout(*driver),
                                      driver->db(), writer_.get(), {.timeout = 20s});
  ASSERT_FALSE(outcome.ok());
  EXPECT_NE(outcome.status().message().find("does not read as one"), std::string::npos) << outcome.status().ToString();
  std::string value;
  auto found = driver->db()->Get(CountsWithTotals::kTotals, p_, "x", &value);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(*found) << "a failed restore left a derived value";
  found = driver->db()->Get(CountsWithTotals::kCounts, p_, "x1", &value);
  ASSERT_TRUE(found.ok());
  EXPECT_FALSE(*found) << "a failed restore left the entries it had written";
}

}  // namespace
}  // namespace voc::runtime
