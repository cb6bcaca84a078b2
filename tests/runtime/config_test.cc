// Config: YAML file, then VOC_* environment variables, then --set, with typed getters
// whose errors name the key and where it was set.
#include "common/config/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "common/runtime/runtime_config.h"
#include "tests/runtime/test_util.h"

namespace voc::config {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;
using ::testing::Not;

class ConfigTest : public ::testing::Test {
 protected:
  std::string WriteFile(const std::string& yaml) {
    std::string path = dir_.path() + "/config.yaml";
    std::ofstream(path) << yaml;
    return path;
  }

  // The message of the ConfigError fn throws; fails the test when it throws none.
  template <typename Fn>
  std::string ErrorOf(Fn&& fn) {
    try {
      fn();
    } catch (const ConfigError& e) {
      return e.what();
    }
    ADD_FAILURE() << "no ConfigError thrown";
    return "";
  }

  test::TempDir dir_;
};

TEST_F(ConfigTest, SetBeatsEnvironmentBeatsFile) {
  std::string path = WriteFile(
      "kafka:\n"
      "  bootstrap_servers: from-file:9092\n"
      "  consumer:\n"
      "    fetch.wait.max.ms: 10\n"
      "service:\n"
      "  group_id: from-file\n"
      "  http_listen: from-file\n");
  Config c = Config::Load(path,
                          {"VOC_SERVICE__GROUP_ID=from-env", "VOC_KAFKA__BOOTSTRAP_SERVERS=from-env:9092",
                           "PATH=/usr/bin", "VOCX_SERVICE__HTTP_LISTEN=not-ours"},
                          {"kafka.bootstrap_servers=from-set:9092"});
  EXPECT_EQ(c.String("kafka.bootstrap_servers", ""), "from-set:9092");
  EXPECT_EQ(c.String("service.group_id", ""), "from-env");
  EXPECT_EQ(c.String("service.http_listen", ""), "from-file");
  EXPECT_EQ(c.String("service.absent", "fallback"), "fallback");
  EXPECT_EQ(c.Section("kafka.consumer"), (std::map<std::string, std::string>{{"fetch.wait.max.ms", "10"}}));
  c.RejectUnknownKeys();  // every key was read
}

TEST_F(ConfigTest, EnvironmentNamesMapToDottedKeys) {
  Config c = Config::Load("", {"VOC_STATE__ROCKSDB__MAX_BACKGROUND_JOBS=4", "VOC_BATCH__MAX_RECORDS=7"}, {});
  EXPECT_EQ(c.Section("state.rocksdb"), (std::map<std::string, std::string>{{"max_background_jobs", "4"}}));
  EXPECT_EQ(c.Int("batch.max_records", 1, 1, 100), 7);
}

TEST_F(ConfigTest, IntOutOfRangeNamesTheKeyAndOrigin) {
  Config c = Config::Load("", {}, {"batch.max_records=0", "batch.other=12abc"});
  std::string error = ErrorOf([&] { c.Int("batch.max_records", 5000, 1, 1'000'000); });
  EXPECT_THAT(error, HasSubstr("'batch.max_records'"));
  EXPECT_THAT(error, HasSubstr("--set"));
  EXPECT_THAT(error, HasSubstr("from 1 to 1000000"));
  EXPECT_THAT(ErrorOf([&] { c.Int("batch.other", 1, 0, 100); }), HasSubstr("'batch.other'"));
  EXPECT_EQ(c.Int("batch.absent", 9, 1, 10), 9);
}

TEST_F(ConfigTest, DoubleReadsDecimalsAndRefusesWhatIsNotANumberInRange) {
  Config c = Config::Load("", {}, {"aggregate.insights.z_threshold=3.5", "a.b=0.5", "a.c=4x", "a.d=nan"});
  EXPECT_EQ(c.Double("aggregate.insights.z_threshold", 4.0, 1.0, 20.0), 3.5);
  EXPECT_EQ(c.Double("a.absent", 4.0, 1.0, 20.0), 4.0);
  std::string error = ErrorOf([&] { c.Double("a.b", 4.0, 1.0, 20.0); });
  EXPECT_THAT(error, HasSubstr("'a.b'"));
  EXPECT_THAT(error, HasSubstr("from 1 to 20"));
  EXPECT_THAT(ErrorOf([&] { c.Double("a.c", 4.0, 1.0, 20.0); }), HasSubstr("'a.c'"));
  EXPECT_THAT(ErrorOf([&] { c.Double("a.d", 4.0, 1.0, 20.0); }), HasSubstr("'a.d'"));
}

TEST_F(ConfigTest, UnknownKeyIsRejectedNamingKeyAndOrigin) {
  std::string path = WriteFile("kafka:\n  bootstrap_servrs: typo:9092\n");
  Config c = Config::Load(path, {"VOC_SERVICE__GROUPID=typo"}, {"batch.max_recrods=5"});
  c.String("kafka.bootstrap_servers", "");
  std::string error = ErrorOf([&] { c.RejectUnknownKeys(); });
  EXPECT_THAT(error, HasSubstr("'kafka.bootstrap_servrs' (from " + path + ")"));
  EXPECT_THAT(error, HasSubstr("'service.groupid' (from environment variable VOC_SERVICE__GROUPID)"));
  EXPECT_THAT(error, HasSubstr("'batch.max_recrods' (from --set)"));
}

TEST_F(ConfigTest, ParsesDurations) {
  std::chrono::milliseconds d{};
  const std::vector<std::pair<std::string, std::chrono::milliseconds>> good = {
      {"250ms", 250ms}, {"30s", 30s}, {"5m", 5min}, {"1h", 1h}, {"7d", 7 * 24h}, {"100", 100ms}, {"0s", 0ms}};
  for (const auto& [text, want] : good) {
    ASSERT_TRUE(ParseDuration(text, &d)) << text;
    EXPECT_EQ(d, want) << text;
  }
  for (const char* bad : {"", "s", "5x", "-1s", "1.5s", "5 s", "ms5"}) EXPECT_FALSE(ParseDuration(bad, &d)) << bad;

  Config c = Config::Load("", {"VOC_BATCH__MAX_WAIT=soon"}, {"batch.flush_timeout=2m"});
  EXPECT_EQ(c.Duration("batch.flush_timeout", 1s), 2min);
  EXPECT_EQ(c.Duration("batch.absent", 3s), 3s);
  std::string error = ErrorOf([&] { c.Duration("batch.max_wait", 50ms); });
  EXPECT_THAT(error, HasSubstr("'batch.max_wait' = 'soon'"));
  EXPECT_THAT(error, HasSubstr("VOC_BATCH__MAX_WAIT"));
}

TEST_F(ConfigTest, IgnoredSectionIsNotRejected) {
  Config c = Config::Load("", {}, {"enrich.taxonomy=x.yaml", "enrichment.typo=1"});
  c.Ignore("enrich");
  std::string error = ErrorOf([&] { c.RejectUnknownKeys(); });
  EXPECT_THAT(error, Not(HasSubstr("enrich.taxonomy")));
  // The prefix is a whole section name, not any key that starts with the same letters.
  EXPECT_THAT(error, HasSubstr("'enrichment.typo'"));
}

TEST_F(ConfigTest, InvalidBoolAndMissingFileAreErrors) {
  Config c = Config::Load("", {}, {"state.sync_writes=maybe"});
  EXPECT_THAT(ErrorOf([&] { c.Bool("state.sync_writes", false); }), HasSubstr("'state.sync_writes'"));
  EXPECT_THAT(ErrorOf([&] { Config::Load(dir_.path() + "/missing.yaml", {}, {}); }), HasSubstr("missing.yaml"));
  EXPECT_THAT(ErrorOf([&] { Config::Load("", {}, {"no-equals-sign"}); }), HasSubstr("no-equals-sign"));
  EXPECT_THAT(ErrorOf([&] { Config::Load(WriteFile("a: [1, {b: 2}]\n"), {}, {}); }), HasSubstr("'a'"));
}

// The caches that grow with the work are sized from the memory budget; a setting of its
// own wins, in any section librdkafka reads.
TEST_F(ConfigTest, CachesAreSizedFromTheMemoryBudgetUnlessSetThemselves) {
  Config c = Config::Load("", {}, {"service.memory_budget_mb=256"});
  auto o = runtime::LoadRuntimeOptions(c, "voc-test", {"in"}, "");
  EXPECT_EQ(o.memory_budget_bytes, uint64_t{256} << 20);
  // Shares of what is left after the process's own 48 MiB: 208 MiB.
  EXPECT_EQ(o.state_cache_bytes, size_t{52} << 20);
  EXPECT_EQ(o.state.block_cache_bytes, size_t{26} << 20);
  EXPECT_EQ(o.state.write_buffer_bytes, size_t{26} << 20);
  // librdkafka's buffers, bounded in bytes and in records (half of each share for each).
  EXPECT_EQ(o.consumer_properties.at("queued.max.messages.kbytes"), "6656");
  EXPECT_EQ(o.consumer_properties.at("queued.min.messages"), "13312");
  EXPECT_EQ(o.consumer_properties.at("fetch.max.bytes"), "6815744");
  EXPECT_EQ(o.producer_properties.at("queue.buffering.max.kbytes"), "13312");
  EXPECT_EQ(o.producer_properties.at("queue.buffering.max.messages"), "53248");
  // A restore's consumer: an eighth (26 MiB), at most librdkafka's 64 MiB, in bytes only.
  EXPECT_EQ(o.restore_properties, (kafka::Properties{{"queued.max.messages.kbytes", "26624"}}));
  Config large = Config::Load("", {}, {"service.memory_budget_mb=4096"});
  EXPECT_EQ(runtime::LoadRuntimeOptions(large, "voc-test", {"in"}, "").restore_properties,
            (kafka::Properties{{"queued.max.messages.kbytes", "65536"}}));
  Config defaults = Config::Load("", {}, {});
  EXPECT_EQ(runtime::LoadRuntimeOptions(defaults, "voc-test", {"in"}, "").memory_budget_bytes, uint64_t{512} << 20);
  Config own = Config::Load("", {}, {"service.memory_budget_mb=256", "state.cache_mb=10",
                                     "kafka.client.queued.max.messages.kbytes=1000"});
  o = runtime::LoadRuntimeOptions(own, "voc-test", {"in"}, "");
  EXPECT_EQ(o.state_cache_bytes, size_t{10} << 20);
  EXPECT_FALSE(o.consumer_properties.contains("queued.max.messages.kbytes")) << "it would override kafka.client's";
  EXPECT_FALSE(o.restore_properties.contains("queued.max.messages.kbytes")) << "it would override kafka.client's";
}

TEST_F(ConfigTest, RuntimeOptionsPassRocksDbAndKafkaSectionsThrough) {
  Config c = Config::Load(WriteFile("state:\n  dir: /var/lib/voc\n  block_cache_mb: 8\n"
                                    "  rocksdb:\n    max_background_jobs: 4\n"
                                    "kafka:\n  producer:\n    linger.ms: 50\n"),
                          {}, {"batch.max_wait=100ms"});
  auto o = runtime::LoadRuntimeOptions(c, "voc-test", {"in"}, "127.0.0.1:0");
  EXPECT_EQ(o.state.path, "/var/lib/voc");
  EXPECT_EQ(o.state.block_cache_bytes, 8u << 20);
  EXPECT_EQ(o.state.rocksdb_options, (std::map<std::string, std::string>{{"max_background_jobs", "4"}}));
  EXPECT_EQ(o.producer_properties.at("linger.ms"), "50");
  EXPECT_EQ(o.batch_max_wait, 100ms);
  EXPECT_EQ(o.group_id, "voc-test");
  c.RejectUnknownKeys();

  Config zero = Config::Load("", {}, {"batch.max_wait=0ms"});
  EXPECT_THAT(ErrorOf([&] { runtime::LoadRuntimeOptions(zero, "voc-test", {"in"}, ""); }),
              HasSubstr("'batch.max_wait'"));
}

// The common kafka.client section reaches every handle; consumer and producer sections
// add what differs.
TEST_F(ConfigTest, KafkaClientSectionIsTheClientConfigOfEveryHandle) {
  Config c = Config::Load("", {},
                          {"kafka.bootstrap_servers=broker:9092", "kafka.client.security.protocol=SASL_SSL",
                           "kafka.consumer.fetch.wait.max.ms=100"});
  auto o = runtime::LoadRuntimeOptions(c, "voc-test", {"in"}, "127.0.0.1:0");
  EXPECT_EQ(o.kafka.bootstrap_servers, "broker:9092");
  EXPECT_EQ(o.kafka.properties, (kafka::Properties{{"security.protocol", "SASL_SSL"}}));
  EXPECT_EQ(o.consumer_properties.at("fetch.wait.max.ms"), "100");
  c.RejectUnknownKeys();
}

// The runtime's guarantees rest on these: refused at start-up, naming the key.
TEST_F(ConfigTest, PropertiesTheGuaranteesRestOnCannotBeOverridden) {
  for (const char* key : {"group.id", "enable.auto.commit", "enable.auto.offset.store", "auto.offset.reset",
                          "partition.assignment.strategy"}) {
    for (const char* section : {"kafka.consumer.", "kafka.client."}) {
      const std::string full = std::string(section) + key;
      Config c = Config::Load("", {}, {full + "=x"});
      EXPECT_THAT(ErrorOf([&] { runtime::LoadRuntimeOptions(c, "voc-test", {"in"}, ""); }),
                  HasSubstr("'" + full + "' is not allowed"));
    }
  }
}

}  // namespace
}  // namespace voc::config
