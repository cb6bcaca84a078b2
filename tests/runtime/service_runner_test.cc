// ServiceRunner end to end on the embedded broker and a real RocksDB state store, with a
// small stateful processor that copies each input to an output topic and counts records.
#include "common/runtime/service_runner.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <ctime>
#include <mutex>
#include <set>
#include <thread>

#include "common/kafka/embedded_broker.h"
#include "tests/runtime/processor_harness.h"
#include "tests/runtime/test_util.h"
#include "voc/v1/dead_letter.pb.h"

namespace voc::runtime {
namespace {

using namespace std::chrono_literals;
using test::RunningService;
using ::testing::HasSubstr;

constexpr state::StoreId kCounts = 0;

// What the processor saw, shared with the test thread.
struct Observed {
  std::mutex mu;
  std::vector<int64_t> offsets;  // guarded by mu
  std::atomic<state::StateStore*> store{nullptr};
  std::function<void(const kafka::Record&)> on_record;  // runs on the processing thread
  std::function<void()> on_end_batch;                   // likewise, at the end of every batch
  // Records from a partition that the context's list of held partitions did not hold.
  std::atomic<int> unlisted{0};

  std::vector<int64_t> Offsets() {
    std::lock_guard lock(mu);
    return offsets;
  }
};

// Copies every input record to "out" and counts records per partition in its store;
// throws for a record whose value is "boom".
class CopyAndCountProcessor final : public Processor {
 public:
  explicit CopyAndCountProcessor(std::shared_ptr<Observed> observed) : observed_(std::move(observed)) {}

  void Open(Setup& setup) override { counts_ = setup.Store<test::Counter>({.name = "counts"}); }
  void EndBatch(Context&) override {
    if (observed_->on_end_batch) observed_->on_end_batch();
  }

  void Process(const kafka::Record& record, Context& ctx) override {
    if (observed_->on_record) observed_->on_record(record);
    if (std::find(ctx.assigned.begin(), ctx.assigned.end(), record.partition) == ctx.assigned.end()) {
      ++observed_->unlisted;
    }
    if (record.value == "boom") throw std::runtime_error("cannot digest boom");
    ctx.out.Emit("out", record.key, record.value);
    counts_->Update(record.partition, "n").n++;
    std::lock_guard lock(observed_->mu);
    observed_->offsets.push_back(record.offset.value);
  }

 private:
  std::shared_ptr<Observed> observed_;
  state::KeyValueStore<test::Counter>* counts_ = nullptr;
};

class ServiceRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto broker = kafka::EmbeddedBroker::Start();
    ASSERT_TRUE(broker.ok()) << broker.status().ToString();
    broker_ = std::move(broker).value();
    for (const char* topic : {"in", "out", "dlq"}) ASSERT_TRUE(broker_->CreateTopic(topic, 1).ok());
  }

  RuntimeOptions Options(const std::string& group_id) const {
    RuntimeOptions o;
    o.service = "voc-test";
    o.kafka = {broker_->bootstrap_servers()};
    o.group_id = group_id;  // empty: no group, every partition assigned at once (no 3 s join)
    o.input_topics = {"in"};
    o.dead_letter_topic = "dlq";
    o.consumer_properties = {{"session.timeout.ms", "6000"}};
    o.producer_properties = {{"reconnect.backoff.ms", "50"}, {"reconnect.backoff.max.ms", "250"}};
    o.state.path = dir_.path() + "/state";
    o.state.block_cache_bytes = 8 << 20;
    o.state.write_buffer_bytes = 8 << 20;
    o.batch_max_wait = 20ms;
    o.flush_timeout = 300ms;
    return o;
  }

  std::unique_ptr<ServiceRunner> MakeRunner(RuntimeOptions options, std::shared_ptr<Observed> observed) {
    auto runner = ServiceRunner::Create(std::move(options), std::make_unique<CopyAndCountProcessor>(observed),
                                        registry_);
    EXPECT_TRUE(runner.ok()) << runner.status().ToString();
    if (!runner.ok()) return nullptr;
    observed->store = (*runner)->state();
    return std::move(runner).value();
  }

  void ProduceInputs(const std::vector<std::string>& values) {
    auto producer = kafka::Producer::Create({.client = {broker_->bootstrap_servers()}});
    ASSERT_TRUE(producer.ok());
    for (const auto& v : values) ASSERT_TRUE((*producer)->Produce("in", "key-" + v, v).ok());
    ASSERT_TRUE((*producer)->Flush(10s).ok());
  }

  static std::vector<std::string> Values(const std::string& prefix, int from, int to) {
    std::vector<std::string> out;
    for (int i = from; i < to; ++i) out.push_back(prefix + std::to_string(i));
    return out;
  }

  static std::string Count(state::StateStore& store) {
    std::string value;
    auto found = store.Get(kCounts, PartitionId(0), "n", &value);
    return found.ok() && *found ? value : "<none>";
  }

  const TopicPartition input_{"in", PartitionId(0)};
  test::TempDir dir_;
  std::unique_ptr<kafka::EmbeddedBroker> broker_;
  std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
};

// While the broker is down the batch's outputs cannot be acknowledged, so neither its
// state nor its next offsets may be committed; once the broker is back, all are.
TEST_F(ServiceRunnerTest, CommitsStateAndOffsetsOnlyAfterOutputsAreAcknowledged) {
  ProduceInputs(Values("v", 0, 20));
  auto observed = std::make_shared<Observed>();
  std::atomic<bool> broker_down{false};
  observed->on_record = [&](const kafka::Record&) {
    if (!broker_down.exchange(true)) {
      ASSERT_TRUE(broker_->SetBrokerDown(1).ok());
    }
  };
  auto runner = MakeRunner(Options(""), observed);
  ASSERT_NE(runner, nullptr);
  state::StateStore* store = observed->store;
  ASSERT_NE(store, nullptr);
  RunningService service(*runner);

  ASSERT_TRUE(test::WaitFor([&] { return test::MetricValue(*registry_, "voc_flush_retries_total") >= 2; }, 15s))
      << "the runtime never waited for the broker";
  EXPECT_FALSE(observed->Offsets().empty());
  EXPECT_FALSE(store->NextOffset(input_).has_value()) << "offsets committed before the outputs were acknowledged";
  EXPECT_EQ(Count(*store), "<none>") << "state committed before the outputs were acknowledged";

  ASSERT_TRUE(broker_->SetBrokerUp(1).ok());
  ASSERT_TRUE(test::WaitFor([&] { return store->NextOffset(input_) == Offset(20); }, 30s));
  ASSERT_TRUE(service.Stop().ok());
  EXPECT_EQ(Count(*store), "20");
  EXPECT_EQ(observed->Offsets().size(), 20u);

  std::set<std::string> outputs;
  for (const auto& r : test::ReadTopic({broker_->bootstrap_servers()}, "out")) outputs.insert(r.value);
  auto want = Values("v", 0, 20);
  EXPECT_EQ(outputs, std::set<std::string>(want.begin(), want.end()));
  EXPECT_GE(test::MetricValue(*registry_, "voc_records_produced_total", {{"topic", "out"}}), 20);
}

// Batches between checkpoints are committed together: while the commit interval has not
// passed, batch after batch is processed and nothing is committed; the stop checkpoints
// them all at once. (Each output is still counted as soon as it is acknowledged.)
TEST_F(ServiceRunnerTest, BatchesBetweenCheckpointsCommitTogetherAtTheNextCheckpoint) {
  auto options = Options("");
  options.commit_interval = std::chrono::hours(1);
  options.batch_max_records = 5;
  auto observed = std::make_shared<Observed>();
  auto runner = MakeRunner(options, observed);
  ASSERT_NE(runner, nullptr);
  state::StateStore* store = observed->store;
  RunningService service(*runner);
  ProduceInputs(Values("v", 0, 20));
  ASSERT_TRUE(test::WaitFor([&] { return observed->Offsets().size() == 20; }, 30s));
  ASSERT_TRUE(test::WaitFor([&] { return test::MetricValue(*registry_, "voc_records_produced_total", {{"topic", "out"}}) == 20; }, 30s))
      << "outputs are counted as they are acknowledged, not at the checkpoint";
  EXPECT_GE(test::MetricValue(*registry_, "voc_batches_total"), 4);
  EXPECT_EQ(test::MetricValue(*registry_, "voc_checkpoints_total"), 0);
  EXPECT_FALSE(store->NextOffset(input_).has_value()) << "committed before the commit interval passed";
  EXPECT_EQ(Count(*store), "<none>");
  ASSERT_TRUE(service.Stop().ok());
  EXPECT_EQ(test::MetricValue(*registry_, "voc_checkpoints_total"), 1);
  EXPECT_EQ(store->NextOffset(input_), Offset(20));
  EXPECT_EQ(Count(*store), "20");
}

// With nothing to read, the loop waits in the consumer for the rest of each batch window
// instead of polling without a wait: the last fraction of a millisecond of every window
// once spun on zero-wait polls, a fifth of a core at a 5 ms batch.max_wait.
TEST_F(ServiceRunnerTest, IdleLoopWaitsInsteadOfSpinning) {
  auto observed = std::make_shared<Observed>();
  std::atomic<int64_t> first_cpu_ns{-1}, last_cpu_ns{-1};
  observed->on_end_batch = [&] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    const int64_t ns = int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
    int64_t unset = -1;
    first_cpu_ns.compare_exchange_strong(unset, ns);
    last_cpu_ns = ns;
  };
  auto options = Options("");
  options.batch_max_wait = 5ms;
  auto runner = MakeRunner(options, observed);
  ASSERT_NE(runner, nullptr);
  RunningService service(*runner);
  ASSERT_TRUE(test::WaitFor([&] { return first_cpu_ns >= 0; }, 10s));
  std::this_thread::sleep_for(2s);
  ASSERT_TRUE(service.Stop().ok());
  const double cpu_ms = static_cast<double>(last_cpu_ns - first_cpu_ns) / 1e6;
  EXPECT_LT(cpu_ms, 150) << "the idle loop used " << cpu_ms << " ms of CPU in 2 s";
}

// The group assigns the partition inside a batch's poll (the mock's join takes 3 s, and
// a batch here lasts up to 2 s): the batch's context lists it from then on, so its records
// (and a timer at the batch's end) see the partitions held now, not those held when the
// batch began. The list was once fixed at the batch's start: a rebalance that grew it
// left the context reading freed memory, one that shrank it listed revoked partitions.
TEST_F(ServiceRunnerTest, PartitionsAssignedInsideABatchAreListedInItsContext) {
  ProduceInputs(Values("v", 0, 10));
  auto options = Options("voc-test");
  options.batch_max_wait = 2s;
  auto observed = std::make_shared<Observed>();
  auto runner = MakeRunner(options, observed);
  ASSERT_NE(runner, nullptr);
  RunningService service(*runner);
  ASSERT_TRUE(test::WaitFor([&] { return observed->Offsets().size() == 10; }, 30s));
  ASSERT_TRUE(service.Stop().ok());
  EXPECT_EQ(observed->unlisted.load(), 0) << "records came from a partition the batch's context did not list";
}

// A restart, in a group that has committed nothing, starts from the offset stored with
// the state: nothing is processed twice and the count goes on. (The first run has no
// group, so the group cannot know any offset; it also saves the mock's 3 s join.)
TEST_F(ServiceRunnerTest, RestartResumesFromStoredOffsetWithoutReprocessing) {
  ProduceInputs(Values("a", 0, 10));
  {
    auto observed = std::make_shared<Observed>();
    auto runner = MakeRunner(Options(""), observed);
    ASSERT_NE(runner, nullptr);
    state::StateStore* store = observed->store;
    RunningService service(*runner);
    ASSERT_TRUE(test::WaitFor([&] { return store->NextOffset(input_) == Offset(10); }, 30s));
    ASSERT_TRUE(service.Stop().ok());
    EXPECT_EQ(Count(*store), "10");
  }
  ProduceInputs(Values("b", 0, 5));

  registry_ = std::make_shared<prometheus::Registry>();
  auto observed = std::make_shared<Observed>();
  auto runner = MakeRunner(Options("voc-test"), observed);
  ASSERT_NE(runner, nullptr);
  state::StateStore* store = observed->store;
  EXPECT_EQ(store->NextOffset(input_), Offset(10));
  RunningService service(*runner);
  ASSERT_TRUE(test::WaitFor([&] { return store->NextOffset(input_) == Offset(15); }, 30s));
  ASSERT_TRUE(service.Stop().ok());
  EXPECT_EQ(observed->Offsets(), (std::vector<int64_t>{10, 11, 12, 13, 14}));
  EXPECT_EQ(Count(*store), "15");

  auto outputs = test::ReadTopic({broker_->bootstrap_servers()}, "out");
  EXPECT_EQ(outputs.size(), 15u) << "an input was processed twice";
}

// A batch gathers records for up to batch.max_wait, so a rebalance can take a partition
// away in the middle of one: what the batch did for it must be checkpointed while the
// partition is still this instance's, not at the batch's end (by then another instance
// owns it, and the processor has dropped what it held for it).
TEST_F(ServiceRunnerTest, RevokeInTheMiddleOfABatchCheckpointsWhatTheBatchDid) {
  ASSERT_TRUE(broker_->CreateTopic("in2", 2).ok());
  {
    auto producer = kafka::Producer::Create({.client = {broker_->bootstrap_servers()}});
    ASSERT_TRUE(producer.ok());
    for (int i = 0; i < 40; ++i) ASSERT_TRUE((*producer)->Produce("in2", "key-" + std::to_string(i), "v").ok());
    ASSERT_TRUE((*producer)->Flush(10s).ok());
  }
  auto options = Options("voc-test");
  options.input_topics = {"in2"};
  options.batch_max_wait = 60s;  // the first instance's batch outlasts the rebalance
  auto first_seen = std::make_shared<Observed>();
  auto first = MakeRunner(options, first_seen);
  ASSERT_NE(first, nullptr);
  state::StateStore* first_store = first_seen->store;
  RunningService first_service(*first);
  ASSERT_TRUE(test::WaitFor([&] { return first_seen->Offsets().size() == 40; }, 30s));
  for (int p = 0; p < 2; ++p) {
    EXPECT_FALSE(first_store->NextOffset({"in2", PartitionId(p)}).has_value()) << "the batch ended early";
  }

  options.state.path = dir_.path() + "/second";
  options.batch_max_wait = 20ms;
  auto second_seen = std::make_shared<Observed>();
  auto second = MakeRunner(options, second_seen);
  ASSERT_NE(second, nullptr);
  RunningService second_service(*second);
  // The second instance rebuilds the partition it gets by replaying it from the start.
  ASSERT_TRUE(test::WaitFor([&] { return !second_seen->Offsets().empty(); }, 30s)) << "no rebalance";
  state::StateStore* second_store = second_seen->store;
  ASSERT_TRUE(test::WaitFor(
      [&] {
        return second_store->NextOffset({"in2", PartitionId(0)}).has_value() ||
               second_store->NextOffset({"in2", PartitionId(1)}).has_value();
      },
      30s));
  int checkpointed = 0;
  for (int p = 0; p < 2; ++p) checkpointed += first_store->NextOffset({"in2", PartitionId(p)}).has_value();
  EXPECT_GE(checkpointed, 1) << "the revoked partition's part of the batch was not checkpointed at the revoke";
  ASSERT_TRUE(second_service.Stop().ok());
  ASSERT_TRUE(first_service.Stop().ok());
}

TEST_F(ServiceRunnerTest, ThrowingRecordGoesToDeadLettersAndLaterRecordsFlow) {
  ProduceInputs({"r0", "r1", "boom", "r3", "r4"});
  RuntimeOptions options = Options("");
  options.http_listen = "127.0.0.1:0";
  auto observed = std::make_shared<Observed>();
  auto runner = MakeRunner(options, observed);
  ASSERT_NE(runner, nullptr);
  state::StateStore* store = observed->store;
  const int port = runner->http_port();
  ASSERT_GT(port, 0);
  EXPECT_EQ(metrics::HttpGet(port, "/readyz").status, 503) << "ready before it was assigned anything";

  RunningService service(*runner);
  ASSERT_TRUE(test::WaitFor([&] { return store->NextOffset(input_) == Offset(5); }, 20s));
  EXPECT_TRUE(test::WaitFor([&] { return metrics::HttpGet(port, "/readyz").status == 200; }, 5s));
  auto metrics = metrics::HttpGet(port, "/metrics");
  EXPECT_THAT(metrics.body, HasSubstr("voc_dead_letters_total{"));
  ASSERT_TRUE(service.Stop().ok());
  EXPECT_EQ(metrics::HttpGet(port, "/readyz").status, 503) << "still ready after it stopped";

  std::vector<std::string> outputs;
  for (const auto& r : test::ReadTopic({broker_->bootstrap_servers()}, "out")) outputs.push_back(r.value);
  EXPECT_EQ(outputs, (std::vector<std::string>{"r0", "r1", "r3", "r4"}));
  EXPECT_EQ(Count(*store), "4");

  auto letters = test::ReadTopic({broker_->bootstrap_servers()}, "dlq");
  ASSERT_EQ(letters.size(), 1u);
  voc::v1::DeadLetter letter;
  ASSERT_TRUE(letter.ParseFromString(letters[0].value));
  EXPECT_EQ(letter.reason(), "PROCESSING_ERROR");
  EXPECT_THAT(letter.detail(), HasSubstr("cannot digest boom"));
  EXPECT_EQ(letter.service(), "voc-test");
  EXPECT_EQ(letter.origin_topic(), "in");
  EXPECT_EQ(letter.origin_partition(), 0);
  EXPECT_EQ(letter.origin_offset(), 2);
  EXPECT_EQ(letter.payload(), "boom");
  EXPECT_EQ(letter.key(), "key-boom");
  EXPECT_FALSE(letter.payload_truncated());
  EXPECT_EQ(letters[0].key, "key-boom");
  EXPECT_EQ(test::MetricValue(*registry_, "voc_dead_letters_total", {{"reason", "PROCESSING_ERROR"}}), 1);
  EXPECT_EQ(test::MetricValue(*registry_, "voc_processing_errors_total"), 1);
}

// A FatalError (the store failed) stops the service without committing the batch in hand,
// and leaving the group afterwards (a revoke) must not commit it either.
TEST_F(ServiceRunnerTest, FatalErrorStopsWithoutCommittingEvenWhenTheGroupIsLeftAfterwards) {
  ProduceInputs({"r0", "r1", "fatal", "r3"});
  auto observed = std::make_shared<Observed>();
  std::atomic<bool> failed{false};
  observed->on_record = [&](const kafka::Record& r) {
    if (r.value != "fatal") return;
    failed = true;
    throw FatalError("the state store failed");
  };
  auto options = Options("voc-test");
  options.batch_max_wait = 2s;  // all four records in one batch
  options.flush_timeout = 10s;  // a checkpoint that wrongly ran would get its acknowledgements
  const auto state_path = options.state.path;
  auto runner = MakeRunner(options, observed);
  ASSERT_NE(runner, nullptr);
  {
    RunningService service(*runner);
    ASSERT_TRUE(test::WaitFor([&] { return failed.load(); }, 20s));
    const Status stopped = service.Stop();
    EXPECT_EQ(stopped.code(), Status::Code::kInternal) << stopped.ToString();
  }
  runner.reset();  // closes the consumer: the group is left and the partition revoked

  state::StateOptions so;
  so.path = state_path;
  so.stores = {{"counts", 0s}};
  auto store = state::StateStore::Open(so);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_FALSE((*store)->NextOffset(input_).has_value()) << "the failed batch was committed";
  EXPECT_EQ(Count(**store), "<none>");
}

// A dead letter copies the record's key twice (into the letter and as its own record
// key): a huge key is capped, and the letter says so, so that it still fits on the topic.
TEST_F(ServiceRunnerTest, DeadLetterOfARecordWithAHugeKeyCapsTheKeyAndSaysSo) {
  const std::string huge_key(900'000, 'k');  // fits a record; twice it would not fit a dead letter
  {
    auto producer = kafka::Producer::Create({.client = {broker_->bootstrap_servers()}});
    ASSERT_TRUE(producer.ok());
    ASSERT_TRUE((*producer)->Produce("in", huge_key, "boom").ok());
    ASSERT_TRUE((*producer)->Produce("in", "key-r1", "r1").ok());
    ASSERT_TRUE((*producer)->Flush(10s).ok());
  }
  auto observed = std::make_shared<Observed>();
  auto runner = MakeRunner(Options(""), observed);
  ASSERT_NE(runner, nullptr);
  state::StateStore* store = observed->store;
  RunningService service(*runner);
  ASSERT_TRUE(test::WaitFor([&] { return store->NextOffset(input_) == Offset(2); }, 20s))
      << "the dead letter was never acknowledged";
  ASSERT_TRUE(service.Stop().ok());

  std::vector<std::string> outputs;
  for (const auto& r : test::ReadTopic({broker_->bootstrap_servers()}, "out")) outputs.push_back(r.value);
  EXPECT_EQ(outputs, std::vector<std::string>{"r1"});
  auto letters = test::ReadTopic({broker_->bootstrap_servers()}, "dlq");
  ASSERT_EQ(letters.size(), 1u);
  voc::v1::DeadLetter letter;
  ASSERT_TRUE(letter.ParseFromString(letters[0].value));
  EXPECT_EQ(letter.reason(), "PROCESSING_ERROR");
  EXPECT_EQ(letter.origin_offset(), 0);
  EXPECT_TRUE(letter.key_truncated());
  EXPECT_EQ(letter.key_size(), 900'000);
  EXPECT_EQ(letter.key().size(), 64u << 10);
  EXPECT_EQ(letter.key(), huge_key.substr(0, 64 << 10)) << "the head of the key";
  EXPECT_EQ(letters[0].key, letter.key()) << "the dead letter's record key is capped the same way";
  EXPECT_EQ(letter.payload(), "boom");
  EXPECT_FALSE(letter.payload_truncated());
  EXPECT_LT(letters[0].key.size() + letters[0].value.size(), 1'000'000u);
}

// Keys of a usual size are copied whole and not flagged.
TEST_F(ServiceRunnerTest, DeadLetterKeepsAKeyUpToTheCapWhole) {
  const std::string key(64 << 10, 'q');
  {
    auto producer = kafka::Producer::Create({.client = {broker_->bootstrap_servers()}});
    ASSERT_TRUE(producer.ok());
    ASSERT_TRUE((*producer)->Produce("in", key, "boom").ok());
    ASSERT_TRUE((*producer)->Flush(10s).ok());
  }
  auto observed = std::make_shared<Observed>();
  auto runner = MakeRunner(Options(""), observed);
  ASSERT_NE(runner, nullptr);
  state::StateStore* store = observed->store;
  RunningService service(*runner);
  ASSERT_TRUE(test::WaitFor([&] { return store->NextOffset(input_) == Offset(1); }, 20s));
  ASSERT_TRUE(service.Stop().ok());
  auto letters = test::ReadTopic({broker_->bootstrap_servers()}, "dlq");
  ASSERT_EQ(letters.size(), 1u);
  voc::v1::DeadLetter letter;
  ASSERT_TRUE(letter.ParseFromString(letters[0].value));
  EXPECT_FALSE(letter.key_truncated());
  EXPECT_EQ(letter.key_size(), static_cast<int64_t>(key.size()));
  EXPECT_EQ(letter.key(), key);
  EXPECT_EQ(letters[0].key, key);
}

}  // namespace
}  // namespace voc::runtime
