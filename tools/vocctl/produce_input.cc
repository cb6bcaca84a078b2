#include "tools/vocctl/produce_input.h"

#include <google/protobuf/util/json_util.h>

#include <set>

#include "common/core/json.h"
#include "voc/v1/customer.pb.h"

namespace voc::vocctl {
namespace {

// A JSON integer: an optional minus, then digits without a leading zero ("007" stays the
// string "007", as an id or a zip code must; as a number it was not JSON at all).
bool IsInteger(const std::string& s) {
  if (s.empty() || s.size() > 18) return false;
  size_t i = s[0] == '-' ? 1 : 0;
  if (i == s.size() || (s[i] == '0' && i + 1 < s.size())) return false;
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

ProduceInput::ProduceInput(std::istream& in, ProduceInputOptions options)
    : in_(in), options_(std::move(options)), csv_(in) {}

ProduceInput::Result ProduceInput::Fail(std::string error) {
  error_ = std::move(error);
  return Result::kError;
}

ProduceInput::Result ProduceInput::Next() {
  if (!error_.empty()) return Result::kError;
  for (;;) {
    if (options_.csv) {
      const CsvReader::Result read = csv_.Read(&row_);
      if (read == CsvReader::Result::kEnd) return Result::kEnd;
      if (read == CsvReader::Result::kError) return Fail(csv_.error());
      line_no_ = csv_.record_line();
      if (header_.empty()) {
        // Each name once, compared as the keys a JSON reader sees (bytes that are not UTF-8
        // become U+FFFD, so "\xff" and "\xef\xbf\xbd" are one key): voc-ingest refuses a
        // record that gives a key twice.
        std::set<std::string, std::less<>> keys;
        for (const std::string& name : row_) {
          std::string quoted;
          AppendJsonString(name, &quoted);
          std::string_view key;
          if (parser_.parse(quoted).get(key) != simdjson::SUCCESS || !keys.emplace(key).second) {
            return Fail("line " + std::to_string(line_no_) + ": column " + quoted +
                        " is named twice in the header; name each column once");
          }
        }
        header_ = row_;
        continue;
      }
      if (row_.size() != header_.size()) {
        return Fail("line " + std::to_string(line_no_) + ": " + std::to_string(row_.size()) +
                    " fields where the header has " + std::to_string(header_.size()) +
                    "; a field holding a comma or a line break must be in double quotes");
      }
      json_ = CsvRowToJson(header_, row_);
    } else {
      if (!std::getline(in_, line_)) return Result::kEnd;
      ++line_no_;
      bytes_read_ += line_.size() + 1;
      if (line_.empty() || (line_.size() == 1 && line_[0] == '\r')) continue;
      json_ = line_;
    }
    break;
  }
  key_.clear();
  simdjson::dom::element doc;
  std::string_view key_view;
  has_key_ = parser_.parse(json_).get(doc) == simdjson::SUCCESS &&
             doc[options_.key_field].get(key_view) == simdjson::SUCCESS;
  if (has_key_) key_ = key_view;
  value_ = json_;
  if (options_.customers) {
    voc::v1::CustomerProfile profile;
    google::protobuf::util::JsonParseOptions opts;
    opts.ignore_unknown_fields = true;
    if (!google::protobuf::util::JsonStringToMessage(json_, &profile, opts).ok() || profile.customer_id().empty()) {
      return Fail("line " + std::to_string(line_no_) + ": not a customer profile with a customer_id; fix or remove it");
    }
    profile.set_schema_version(1);
    key_ = profile.customer_id();
    has_key_ = true;
    value_ = profile.SerializeAsString();
  }
  return Result::kRecord;
}

}  // namespace voc::vocctl
