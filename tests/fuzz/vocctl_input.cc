// Target vocctl_input: any bytes as the file `vocctl produce` reads, through ProduceInput,
// the reader RunProduce sends from. Input: [selector byte][file]; the selector picks CSV
// or JSON lines, plain records or customer profiles, and the key field.
//
// Contract: the reader ends, or stops at an error that names the line ("line N: ..."),
// after at most one record per input line or CSV row, its progress never running
// backwards or past the file. A JSON line goes as it is; a CSV row goes as a JSON object
// that parses, in UTF-8, each header name once; the key is the key field's string value;
// a customer profile goes as a voc.v1.CustomerProfile keyed by its non-empty customer id.
#include <simdjson.h>

#include <set>
#include <sstream>

#include "tests/fuzz/fuzz_target.h"
#include "tools/vocctl/produce_input.h"
#include "voc/v1/customer.pb.h"

VOC_FUZZ_TARGET(vocctl_input) {
  using namespace voc::fuzz;
  using voc::vocctl::ProduceInput;
  if (size < 1) return 0;
  const uint8_t selector = data[0];
  const voc::vocctl::ProduceInputOptions options{
      .csv = (selector & 1) != 0, .key_field = (selector & 4) != 0 ? "id" : "customer_id", .customers = (selector & 2) != 0};
  const std::string file(reinterpret_cast<const char*>(data + 1), size - 1);
  std::istringstream in(file);
  ProduceInput input(in, options);
  static simdjson::dom::parser parser;
  uint64_t progress = 0;
  size_t records = 0;
  for (;;) {
    const ProduceInput::Result read = input.Next();
    VOC_FUZZ_EXPECT(input.bytes_read() >= progress && input.bytes_read() <= file.size() + 1,
                    "progress ran backwards or past the file");
    progress = input.bytes_read();
    if (read == ProduceInput::Result::kEnd) break;
    if (read == ProduceInput::Result::kError) {
      const std::string& error = input.error();
      VOC_FUZZ_EXPECT(error.rfind("line ", 0) == 0 && error.find(": ") != std::string::npos,
                      "an error that does not name its line: " + Excerpt(error));
      VOC_FUZZ_EXPECT(input.Next() == ProduceInput::Result::kError, "the reader went on after an error");
      break;
    }
    VOC_FUZZ_EXPECT(++records <= file.size(), "more records than bytes");
    const std::string& value = input.value();
    VOC_FUZZ_EXPECT(!value.empty(), "an empty record");
    if (options.customers) {
      voc::v1::CustomerProfile profile;
      VOC_FUZZ_EXPECT(profile.ParseFromString(value), "a customer row that is not a voc.v1.CustomerProfile");
      VOC_FUZZ_EXPECT(!profile.customer_id().empty() && input.has_key() && input.key() == profile.customer_id(),
                      "a customer row not keyed by its customer id");
      continue;
    }
    if (!options.csv) {
      VOC_FUZZ_EXPECT(value.find('\n') == std::string::npos && value != "\r" &&
                          file.find(value) != std::string::npos,
                      "a JSON line that is not a line of the file: " + Excerpt(value));
    }
    simdjson::dom::element doc;
    simdjson::dom::object object;
    if (parser.parse(value).get(doc) != simdjson::SUCCESS || doc.get(object) != simdjson::SUCCESS) {
      VOC_FUZZ_EXPECT(!options.csv, "a CSV row became JSON that does not parse as an object: " + Excerpt(value, 300));
      VOC_FUZZ_EXPECT(!input.has_key() && input.key().empty(), "a key from a line that is not a JSON object");
      continue;
    }
    if (options.csv) {
      VOC_FUZZ_EXPECT(IsValidUtf8(value), "a CSV row became JSON that is not UTF-8");
      std::set<std::string_view> keys;
      for (auto field : object) {
        VOC_FUZZ_EXPECT(keys.insert(field.key).second,
                        "a CSV row became JSON with key " + Excerpt(field.key) + " twice, which voc-ingest refuses");
      }
    }
    std::string_view key;
    const bool has_key = object[options.key_field].get(key) == simdjson::SUCCESS;
    VOC_FUZZ_EXPECT(input.has_key() == has_key && input.key() == (has_key ? key : std::string_view()),
                    "the record key is not the key field's value");
  }
  return 0;
}
