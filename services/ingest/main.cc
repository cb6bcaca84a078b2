// voc-ingest: raw channel topics in; canonical Feedback and dead letters out.
#include "common/runtime/service_main.h"
#include "services/ingest/ingest_config.h"

int main(int argc, char** argv) {
  return voc::runtime::ServiceMain(
      argc, argv,
      {"voc-ingest", "Validates and canonicalises raw customer feedback into voc.feedback.", "0.0.0.0:9101",
       [](voc::config::Config& config, std::vector<std::string>* inputs, prometheus::Registry&)
           -> std::unique_ptr<voc::runtime::Processor> {
         auto options = voc::ingest::LoadIngestOptions(config);
         for (const auto& in : options.inputs) inputs->push_back(in.topic);
         return std::make_unique<voc::ingest::IngestProcessor>(std::move(options));
       }});
}
