// `vocctl gen`: synthetic feedback as files of JSON lines, one per raw topic, with the
// customer table and the ground truth beside them.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "tools/vocctl/commands.h"
#include "tools/vocctl/progress.h"

namespace voc::vocctl {

int RunGen(const GenArgs& args) {
  std::error_code ec;
  std::filesystem::create_directories(args.out_dir, ec);
  if (ec) {
    std::cerr << "vocctl gen: cannot create " << args.out_dir << ": " << ec.message() << "\n";
    return 2;
  }
  gen::GenOptions options = args.options;
  options.protobuf_share = 0;  // files of JSON lines carry JSON only
  options.planned_count = args.count;
  options.truth_feedback = false;  // ground_truth.json holds the counts only
  gen::Generator generator(options);
  const auto path = [&](const char* name) { return (std::filesystem::path(args.out_dir) / name).string(); };
  std::ofstream customers(path("customers.jsonl"));
  for (const auto& c : generator.customers()) customers << gen::CustomerJson(c) << "\n";
  std::map<std::string, std::ofstream> files;
  const runtime::PipelineTopicNames& n = options.topics;
  files[n.raw_tickets].open(path("tickets.jsonl"));
  files[n.raw_surveys].open(path("surveys.jsonl"));
  files[n.raw_reviews].open(path("reviews.jsonl"));
  Progress progress("generating", args.count, args.count >= 100000);
  for (size_t i = 0; i < args.count; ++i) {
    auto r = generator.Next();
    files[r.topic] << r.value << "\n";
    progress.Update(i + 1, i + 1);
  }
  std::ofstream truth(path("ground_truth.json"));
  truth << generator.truth().ToJson() << "\n";
  for (auto& [topic, f] : files) {
    f.flush();
    if (!f) {
      std::cerr << "vocctl gen: writing to " << args.out_dir << " failed (disk full?)\n";
      return 1;
    }
  }
  std::cerr << "vocctl gen: " << args.count << " records for " << generator.customers().size() << " customers in "
            << args.out_dir << " (tickets.jsonl, surveys.jsonl, reviews.jsonl, customers.jsonl, ground_truth.json)\n";
  return 0;
}

}  // namespace voc::vocctl
