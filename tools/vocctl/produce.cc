// `vocctl produce`: a JSON-lines or CSV file into a topic, with a progress bar.
#include <google/protobuf/util/json_util.h>
#include <simdjson.h>

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>

#include "common/core/json.h"
#include "common/kafka/kafka.h"
#include "tools/vocctl/commands.h"
#include "tools/vocctl/csv.h"
#include "tools/vocctl/kafka_args.h"
#include "tools/vocctl/progress.h"
#include "voc/v1/customer.pb.h"

namespace voc::vocctl {
namespace {

bool IsInteger(const std::string& s) {
  if (s.empty() || s.size() > 18) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}

std::string CsvRowToJson(const std::vector<std::string>& header, const std::vector<std::string>& row) {
  std::string out = "{";
  for (size_t i = 0; i < header.size() && i < row.size(); ++i) {
    if (row[i].empty()) continue;
    if (out.size() > 1) out += ',';
    AppendJsonString(header[i], &out);
    out += ':';
    if (IsInteger(row[i])) {
      out += row[i];
    } else {
      AppendJsonString(row[i], &out);
    }
  }
  return out + "}";
}

}  // namespace

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
  simdjson::dom::parser parser;
  std::vector<std::string> header, row;
  std::string line, key, value;
  uint64_t done_bytes = 0, records = 0, line_no = 0;
  CsvReader csv_reader(in);  // a CSV record may span lines: a comment with line breaks in quotes
  for (;;) {
    std::string json;
    if (csv) {
      const CsvReader::Result read = csv_reader.Read(&row);
      if (read == CsvReader::Result::kEnd) break;
      if (read == CsvReader::Result::kError) {
        std::cerr << "\nvocctl produce: " << args.input << ", " << csv_reader.error() << "\n";
        return 2;
      }
      line_no = csv_reader.record_line();
      done_bytes = csv_reader.bytes_read();
      if (header.empty()) {
        header = row;
        continue;
      }
      if (row.size() != header.size()) {
        std::cerr << "\nvocctl produce: " << args.input << ", line " << line_no << ": " << row.size()
                  << " fields where the header has " << header.size()
                  << "; a field holding a comma or a line break must be in double quotes\n";
        return 2;
      }
      json = CsvRowToJson(header, row);
    } else {
      if (!std::getline(in, line)) break;
      ++line_no;
      done_bytes += line.size() + 1;
      if (line.empty() || (line.size() == 1 && line[0] == '\r')) continue;
      json = line;
    }
    key.clear();
    simdjson::dom::element doc;
    std::string_view key_view;
    if (parser.parse(json).get(doc) == simdjson::SUCCESS && doc[args.key_field].get(key_view) == simdjson::SUCCESS) {
      key = key_view;
    }
    value = json;
    if (args.customers) {
      voc::v1::CustomerProfile profile;
      google::protobuf::util::JsonParseOptions opts;
      opts.ignore_unknown_fields = true;
      if (!google::protobuf::util::JsonStringToMessage(json, &profile, opts).ok() || profile.customer_id().empty()) {
        std::cerr << "\nvocctl produce: line " << line_no << " of " << args.input
                  << " is not a customer profile with a customer_id; fix or remove it\n";
        return 2;
      }
      profile.set_schema_version(1);
      key = profile.customer_id();
      value = profile.SerializeAsString();
    }
    if (Status s = (*producer)->Produce(args.topic, key, value); !s.ok()) {
      std::cerr << "\nvocctl produce: " << s.ToString() << "\n";
      return 1;
    }
    ++records;
    (*producer)->Poll();
    progress.Update(done_bytes, (*producer)->delivered());
  }
  // Flushed in slices, so the bar keeps moving while the last records are acknowledged.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  Status flushed;
  do {
    flushed = (*producer)->Flush(std::chrono::milliseconds(200));
    progress.Update(done_bytes, (*producer)->delivered());
  } while (flushed.code() == Status::Code::kTimeout && std::chrono::steady_clock::now() < deadline);
  if (!flushed.ok()) {
    std::cerr << "\nvocctl produce: " << (*producer)->delivered() << " of " << records
              << " records acknowledged: " << flushed.message() << "; " << kUnreachableHint << "\n";
    return 1;
  }
  progress.Finish((*producer)->delivered());
  return 0;
}

}  // namespace voc::vocctl
