// Target service_config: any bytes as the YAML configuration file of each service, loaded
// the way ServiceMain loads it: Config::Load, the service's own keys (and, for the two
// services whose processors are cheap to build, the processor and its state stores),
// the runtime's keys, the topic names, the other services' sections ignored, unknown
// keys refused. voc-enrich's analyzer (which reads the taxonomy and lexicon files the
// configuration names) is left out.
//
// Contract: the load succeeds with values the services can use (window sizes of a second
// or more, positive waits, non-negative durations and TTLs), or it throws a
// config::ConfigError, which ServiceMain turns into one sentence and exit code 2, whose
// message names the file or the key at fault. Any other exception would end the process
// with std::terminate; undefined behaviour (an overflowing duration) is a sanitizer report.
#include <prometheus/registry.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <optional>

#include "common/runtime/runtime_config.h"
#include "services/aggregate/aggregate_config.h"
#include "services/aggregate/aggregate_processor.h"
#include "services/enrich/enrich_config.h"
#include "services/ingest/ingest_config.h"
#include "tests/fuzz/fuzz_target.h"
#include "tests/runtime/temp_dir.h"

namespace voc::fuzz {
namespace {

enum class Service { kIngest, kEnrich, kAggregate };

// What a processor declares in its Open, collected without opening any store.
class Declarations final : public runtime::Setup {
 public:
  std::vector<state::StoreSpec> stores;
  std::optional<std::chrono::milliseconds> timer;

  void StateFormat(std::string) override {}
  void ReadContentType() override {}
  void Timer(std::chrono::milliseconds every) override { timer = every; }

 protected:
  state::StoreId next_store_id() const override { return static_cast<state::StoreId>(stores.size()); }
  void AddStore(std::unique_ptr<state::CachedStore> store) override {
    stores.push_back(store->spec());
    kept_.push_back(std::move(store));  // the processor holds pointers to them
  }
  void AddTable(runtime::TableSpec, std::shared_ptr<void>) override {}
  void AddDerivation(runtime::Derivation) override {}

 private:
  std::vector<std::unique_ptr<state::CachedStore>> kept_;
};

// ServiceMain's configuration steps for one service, after Config::Load (done once per
// input: each service gets its own copy, as each process loads its own).
void Load(config::Config config, Service service) {
  const char* name = service == Service::kIngest ? "voc-ingest" : service == Service::kEnrich ? "voc-enrich"
                                                                                             : "voc-aggregate";
  std::vector<std::string> inputs;
  prometheus::Registry registry;
  switch (service) {
    case Service::kIngest: {
      auto options = ingest::LoadIngestOptions(config);
      for (const auto& in : options.inputs) {
        inputs.push_back(in.topic);
        VOC_FUZZ_EXPECT(in.channel != voc::v1::CHANNEL_UNSPECIFIED, "an ingest input without a channel");
      }
      VOC_FUZZ_EXPECT(options.max_record_bytes >= 1024 && options.canonical.max_text_bytes >= 256,
                      "ingest limits below their minimum");
      VOC_FUZZ_EXPECT(options.canonical.max_future_skew_ms >= 0, "a negative ingest.max_future_skew");
      ingest::IngestProcessor processor(std::move(options));
      break;
    }
    case Service::kEnrich: {
      auto options = enrich::LoadEnrichOptions(config);
      inputs.push_back(config.String("topics.feedback", "voc.feedback"));
      VOC_FUZZ_EXPECT(options.dedupe_ttl.count() > 0, "enrich.dedupe_ttl not above 0");
      VOC_FUZZ_EXPECT(options.near_duplicate_horizon.count() >= 0 && options.customer_catch_up.count() >= 0,
                      "a negative enrich duration");
      break;
    }
    case Service::kAggregate: {
      inputs.push_back(config.String("topics.mentions", "voc.theme.mentions"));
      auto options = aggregate::LoadAggregateOptions(config);
      VOC_FUZZ_EXPECT(!options.window_sizes.empty(), "no window size");
      for (auto size : options.window_sizes) VOC_FUZZ_EXPECT(size.count() >= 1000, "a window under a second");
      VOC_FUZZ_EXPECT(aggregate::NestedWindowSizes(options.window_sizes), "a window size that does not divide the largest");
      VOC_FUZZ_EXPECT(options.retention.count() >= 0 && options.allowed_lateness.count() >= 0 &&
                          options.emit_interval.count() >= 0,
                      "a negative aggregate duration");
      aggregate::AggregateProcessor processor(options, registry);
      Declarations declared;
      processor.Open(declared);
      for (const auto& store : declared.stores) {
        VOC_FUZZ_EXPECT(store.ttl.count() >= 0, "store " + store.name + " with a negative TTL");
      }
      VOC_FUZZ_EXPECT(declared.timer && declared.timer->count() >= 0, "no timer, or a negative one");
      break;
    }
  }
  auto runtime = runtime::LoadRuntimeOptions(config, name, inputs, "0.0.0.0:9101");
  VOC_FUZZ_EXPECT(runtime.batch_max_wait.count() > 0 && runtime.commit_interval.count() >= 0 &&
                      runtime.flush_timeout.count() >= 0,
                  "runtime durations out of range");
  VOC_FUZZ_EXPECT(runtime.batch_max_records >= 1 && runtime.memory_budget_bytes > 0, "runtime limits out of range");
  runtime::LoadTopicNames(config);
  for (const char* section : {"ingest", "enrich", "aggregate", "demo", "gen"}) {
    if (std::string(name) != std::string("voc-") + section) config.Ignore(section);
  }
  config.RejectUnknownKeys();
}

}  // namespace
}  // namespace voc::fuzz

VOC_FUZZ_TARGET(service_config) {
  using namespace voc::fuzz;
  // Rewritten for every input: on tmpfs where there is one, since ext4 flushes a file
  // truncated and rewritten at each close, which took a third of the time.
  static voc::test::TempDir dir(std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "");
  static const std::string path = dir.path() + "/service.yaml";
  {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    if (!file) Fail(__FILE__, __LINE__, "cannot write " + path);
  }
  const auto check = [&](auto&& load) {
    try {
      load();
    } catch (const voc::config::ConfigError& e) {
      const std::string what = e.what();
      VOC_FUZZ_EXPECT(what.find(path) != std::string::npos || what.find('\'') != std::string::npos ||
                          what.find("aggregate.windows") != std::string::npos,
                      "a configuration error that names neither the file nor a key: " + Excerpt(what, 300));
    } catch (const std::exception& e) {
      Fail(__FILE__, __LINE__,
           std::string("the configuration load threw something other than a ConfigError, which ends the service "
                       "with std::terminate: ") +
               e.what());
    }
  };
  std::optional<voc::config::Config> config;
  check([&] { config = voc::config::Config::Load(path, {}, {}); });
  if (!config) return 0;
  for (Service service : {Service::kIngest, Service::kEnrich, Service::kAggregate}) {
    check([&] { Load(*config, service); });
  }
  return 0;
}
