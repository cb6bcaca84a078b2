// The memory guard: near the budget it sheds the stores' caches (clean entries, read back
// when next used), at most once a second, and has the allocator give freed pages back at
// once; without a budget it does nothing.
#include "common/runtime/memory_budget.h"

#include <gtest/gtest.h>

#include "common/metrics/process_metrics.h"
#include "tests/runtime/processor_harness.h"
#include "tests/runtime/temp_dir.h"
#include "tests/runtime/test_util.h"

namespace voc::runtime {
namespace {

// Counts every key it sees in its store (one cache entry per key) and says the count.
class KeyCounter final : public Processor {
 public:
  void Open(Setup& setup) override { counts_ = setup.Store<test::Counter>({.name = "counts"}); }
  void Process(const kafka::Record& record, Context& ctx) override {
    const int64_t n = ++counts_->Update(record.partition, record.key).n;
    ctx.out.Emit("out", record.key, std::to_string(n));
  }

 private:
  state::KeyValueStore<test::Counter>* counts_ = nullptr;
};

TEST(MemoryGuard, NearTheBudgetItShedsTheCachesAtMostOnceASecond) {
  test::TempDir dir;
  test::ProcessorHarness harness([] { return std::make_unique<KeyCounter>(); }, dir.path(),
                                 {{"in", PartitionId(0)}});
  ASSERT_TRUE(harness.Start().ok());
  std::vector<test::Input> inputs;
  for (int i = 0; i < 20'000; ++i) inputs.push_back({"in", 0, test::Numbered("key-", i), "v"});
  harness.Batch(inputs);  // with its checkpoint: every entry is clean
  const size_t before = harness.driver().cached_bytes();
  ASSERT_GT(before, size_t{1} << 20);

  MemoryGuard no_budget(0);
  EXPECT_FALSE(no_budget.AfterCheckpoint(harness.driver()));
  MemoryGuard roomy(metrics::ResidentBytes() * 4);
  EXPECT_FALSE(roomy.AfterCheckpoint(harness.driver())) << "far under its budget the process keeps its caches";
  EXPECT_EQ(harness.driver().cached_bytes(), before);

  MemoryGuard tight(metrics::ResidentBytes());  // the process is at its budget
  EXPECT_TRUE(tight.AfterCheckpoint(harness.driver()));
  EXPECT_LE(harness.driver().cached_bytes(), before / 2 + 4096);
  EXPECT_FALSE(tight.AfterCheckpoint(harness.driver())) << "a second shed within the second";

  // What was shed is read back from the store when used again.
  const auto again = harness.Batch({{"in", 0, "key-7", "v"}});
  ASSERT_EQ(again.outputs.size(), 1u);
  EXPECT_EQ(again.outputs[0].value, "2");
}

// The allocator keeps freed pages for reuse while the process is far from its budget, and
// gives them back at once near it: a page given back and used again faults in anew, so
// giving back everything at once made the whole pipeline 2.5x slower where the budget
// was no concern.
TEST(MemoryGuard, FreedPagesAreKeptFarFromTheBudgetAndGivenBackNearIt) {
  if (!FreedMemoryDelay()) GTEST_SKIP() << "built without jemalloc: glibc's malloc keeps freed pages until trimmed";
  test::TempDir dir;
  test::ProcessorHarness harness([] { return std::make_unique<KeyCounter>(); }, dir.path(),
                                 {{"in", PartitionId(0)}});
  ASSERT_TRUE(harness.Start().ok());
  harness.Batch({{"in", 0, "key", "v"}});

  MemoryGuard tight(metrics::ResidentBytes());
  tight.AfterCheckpoint(harness.driver());
  EXPECT_EQ(FreedMemoryDelay()->count(), 0) << "at its budget the process gives freed pages back at once";
  MemoryGuard halfway(metrics::ResidentBytes() * 9 / 4);  // at 44% of it: between the two lines
  halfway.AfterCheckpoint(harness.driver());
  EXPECT_EQ(FreedMemoryDelay()->count(), 0) << "no switching back and forth near the line";
  MemoryGuard roomy(metrics::ResidentBytes() * 4);
  roomy.AfterCheckpoint(harness.driver());
  EXPECT_EQ(*FreedMemoryDelay(), kFreedMemoryKeptFor) << "far from its budget it keeps them for reuse";
  MemoryGuard halfway_again(metrics::ResidentBytes() * 9 / 4);  // a guard checks at most once a second
  halfway_again.AfterCheckpoint(harness.driver());
  EXPECT_EQ(*FreedMemoryDelay(), kFreedMemoryKeptFor);
}

// The line leaves room under the budget for what the last seconds freed (tens of MiB,
// however large the budget): half of a small budget, kFreedMemoryRoom under a mid-sized
// one, three quarters of a large one; a tenth of the budget lower, pages are kept again.
TEST(MemoryGuard, FreedPagesAreGivenBackOnlyWhenTheBudgetLeavesLittleRoomForThem) {
  constexpr uint64_t kMiB = 1 << 20;
  const FreedMemoryLines small = FreedMemoryLinesFor(160 * kMiB);
  EXPECT_EQ(small.give_back_bytes, 80 * kMiB);
  EXPECT_EQ(small.keep_bytes, 64 * kMiB);
  const FreedMemoryLines mid = FreedMemoryLinesFor(512 * kMiB);
  EXPECT_EQ(mid.give_back_bytes, 512 * kMiB - kFreedMemoryRoom) << "the default budget keeps pages up to 384 MiB";
  EXPECT_LT(mid.keep_bytes, mid.give_back_bytes);
  EXPECT_GT(mid.keep_bytes, 256 * kMiB) << "at half the default budget freed pages are still kept";
  const FreedMemoryLines large = FreedMemoryLinesFor(4096 * kMiB);
  EXPECT_EQ(large.give_back_bytes, 3072 * kMiB) << "never above three quarters: the guard sheds from 85%";
}

}  // namespace
}  // namespace voc::runtime
