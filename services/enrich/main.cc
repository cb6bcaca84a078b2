// voc-enrich: Feedback in; deduplicated, enriched feedback, theme mentions and alerts out.
#include <prometheus/registry.h>

#include "common/runtime/service_main.h"
#include "services/enrich/enrich_config.h"

int main(int argc, char** argv) {
  return voc::runtime::ServiceMain(
      argc, argv,
      {"voc-enrich", "Deduplicates and enriches feedback from voc.feedback.", "0.0.0.0:9102",
       [](voc::config::Config& config, std::vector<std::string>* inputs, prometheus::Registry& registry)
           -> std::unique_ptr<voc::runtime::Processor> {
         auto options = voc::enrich::LoadEnrichOptions(config);
         inputs->push_back(config.String("topics.feedback", "voc.feedback"));
         auto analyzer = voc::text::Analyzer::Create(options.analyzer);
         if (!analyzer.ok()) throw voc::config::ConfigError(analyzer.status().ToString());
         return std::make_unique<voc::enrich::EnrichProcessor>(std::move(options), std::move(analyzer).value(),
                                                               registry);
       }});
}
