// The records `vocctl produce` sends, read from a JSON-lines or CSV stream one at a time:
// a JSON line goes as it is; a CSV row (csv.h) becomes a JSON object keyed by the header's
// names (each once), a whole number without leading zeros as a number and anything else
// as a string, an empty field left out;
// with `customers`, each record is read as a CustomerProfile and sent as its protobuf.
// The record key is the key field's string value, when the record has one (has_key).
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include <simdjson.h>

#include "tools/vocctl/csv.h"

namespace voc::vocctl {

struct ProduceInputOptions {
  bool csv = false;                        // RFC 4180 with a header row; JSON lines otherwise
  std::string key_field = "customer_id";  // whose string value keys each record
  bool customers = false;                  // records are customer profiles, sent as protobuf
};

// NOT thread-safe: one reader per stream, on the thread that reads it.
class ProduceInput {
 public:
  enum class Result { kRecord, kEnd, kError };

  ProduceInput(std::istream& in, ProduceInputOptions options);

  // The next record into key() and value(). kError: error() says what, from "line N: ",
  // and the input is not read further.
  Result Next();

  const std::string& key() const { return key_; }
  bool has_key() const { return has_key_; }
  const std::string& value() const { return value_; }
  const std::string& error() const { return error_; }
  uint64_t bytes_read() const { return options_.csv ? csv_.bytes_read() : bytes_read_; }

 private:
  Result Fail(std::string error);

  std::istream& in_;
  ProduceInputOptions options_;
  CsvReader csv_;
  simdjson::dom::parser parser_;
  std::vector<std::string> header_, row_;
  std::string line_, json_, key_, value_, error_;
  bool has_key_ = false;
  uint64_t bytes_read_ = 0;
  uint64_t line_no_ = 0;
};

}  // namespace voc::vocctl
