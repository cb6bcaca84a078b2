// voc-aggregate: theme mentions in; windowed theme x channel aggregates out.
#include "common/runtime/service_main.h"
#include "services/aggregate/aggregate_config.h"

int main(int argc, char** argv) {
  return voc::runtime::ServiceMain(
      argc, argv,
      {"voc-aggregate", "Aggregates theme mentions into event-time windows per theme and channel.", "0.0.0.0:9103",
       [](voc::config::Config& config, std::vector<std::string>* inputs, prometheus::Registry& registry)
           -> std::unique_ptr<voc::runtime::Processor> {
         inputs->push_back(config.String("topics.mentions", "voc.theme.mentions"));
         return std::make_unique<voc::aggregate::AggregateProcessor>(voc::aggregate::LoadAggregateOptions(config),
                                                                     registry);
       }});
}
