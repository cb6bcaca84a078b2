// `vocctl produce`: a JSON-lines or CSV file into a topic, with a progress bar.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "common/kafka/kafka.h"
#include "tools/vocctl/commands.h"
#include "tools/vocctl/kafka_args.h"
#include "tools/vocctl/produce_input.h"
#include "tools/vocctl/progress.h"

namespace voc::vocctl {

int RunProduce(const ProduceArgs& args) {
  std::ifstream in(args.input, std::ios::binary);
  if (!in) {
    std::cerr << "vocctl produce: cannot read " << args.input << ": check the path given to --input\n";
    return 2;
  }
  in.seekg(0, std::ios::end);
  const auto total_bytes = static_cast<uint64_t>(in.tellg());
  in.seekg(0);
  const bool csv = args.input.size() > 4 && args.input.ends_with(".csv");
  // A cluster that does not answer is a sentence within seconds, before any record is
  // queued, not a frozen bar until the records time out.
  constexpr auto kReachTimeout = std::chrono::seconds(5);
  if (auto partitions = kafka::PartitionCount(args.client, args.topic, kReachTimeout); !partitions.ok()) {
    if (partitions.status().code() == Status::Code::kInvalidArgument) {
      std::cerr << "vocctl produce: " << partitions.status().message() << "; fix the -X or --config property\n";
      return 2;
    }
    if (partitions.status().code() == Status::Code::kNotFound) {
      std::cerr << "vocctl produce: topic " << args.topic << " does not exist on " << args.client.bootstrap_servers
                << "; create it first (deploy/README.md lists the pipeline's topics)\n";
    } else {
      std::cerr << "vocctl produce: the Kafka cluster at " << args.client.bootstrap_servers << " did not answer within "
                << kReachTimeout.count() << " s (" << partitions.status().message() << "); " << kUnreachableHint
                << "\n";
    }
    return 1;
  }
  auto producer = kafka::Producer::Create({.client = args.client});
  if (!producer.ok()) {
    std::cerr << "vocctl produce: " << producer.status().message() << "\n";
    return 2;
  }
  // The bar counts what the broker acknowledged, and is drawn only on a terminal.
  Progress progress("producing " + args.input, total_bytes, args.progress && isatty(STDERR_FILENO) == 1);
  // A CSV record may span lines: a comment with line breaks in quotes.
  ProduceInput input(in, {.csv = csv, .key_field = args.key_field, .customers = args.customers});
  uint64_t records = 0, keyless = 0;
  for (;;) {
    const ProduceInput::Result read = input.Next();
    if (read == ProduceInput::Result::kEnd) break;
    if (read == ProduceInput::Result::kError) {
      std::cerr << "\nvocctl produce: " << args.input << ", " << input.error() << "\n";
      return 2;
    }
    // A record without the key field goes without a key, spread over the partitions:
    // an empty key would put every such record on one partition.
    keyless += input.has_key() ? 0 : 1;
    const std::string_view key = input.has_key() ? std::string_view(input.key()) : std::string_view();
    if (Status s = (*producer)->Produce(args.topic, key, input.value()); !s.ok()) {
      std::cerr << "\nvocctl produce: " << s.ToString() << "\n";
      return 1;
    }
    ++records;
    (*producer)->Poll();
    progress.Update(input.bytes_read(), (*producer)->delivered());
  }
  // Flushed in slices, so the bar keeps moving while the last records are acknowledged.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  Status flushed;
  do {
    flushed = (*producer)->Flush(std::chrono::milliseconds(200));
    progress.Update(input.bytes_read(), (*producer)->delivered());
  } while (flushed.code() == Status::Code::kTimeout && std::chrono::steady_clock::now() < deadline);
  if (!flushed.ok()) {
    std::cerr << "\nvocctl produce: " << (*producer)->delivered() << " of " << records
              << " records acknowledged: " << flushed.message() << "; " << kUnreachableHint << "\n";
    return 1;
  }
  progress.Finish((*producer)->delivered());
  if (keyless > 0) {
    std::cerr << "vocctl produce: " << keyless << " of " << records << " records have no string field \""
              << args.key_field << "\": they went without a key, spread over the partitions of " << args.topic
              << ". Pass --key-field with the field that names the customer (surveys from some sources call it "
                 "customerId), so that each customer's records keep their order on one partition\n";
  }
  return 0;
}

}  // namespace voc::vocctl
