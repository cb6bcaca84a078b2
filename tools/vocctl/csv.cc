#include "tools/vocctl/csv.h"

namespace voc::vocctl {

bool CsvReader::Fill() {
  if (pos_ < buffer_.size()) return true;
  buffer_.resize(64 << 10);
  in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
  buffer_.resize(static_cast<size_t>(in_.gcount()));
  pos_ = 0;
  return !buffer_.empty();
}

int CsvReader::Peek() { return Fill() ? static_cast<unsigned char>(buffer_[pos_]) : -1; }

int CsvReader::Get() {
  if (!Fill()) return -1;
  ++consumed_;
  return static_cast<unsigned char>(buffer_[pos_++]);
}

CsvReader::Result CsvReader::Fail(std::string error) {
  error_ = std::move(error);
  return Result::kError;
}

// Whether c, just taken, ends the record: the end of the stream, LF, CRLF (its LF taken
// too) or a CR at the very end. A CR anywhere else is text.
bool CsvReader::EndsRecord(int c) {
  if (c == '\r') {
    if (Peek() == '\n') {
      Get();
    } else if (Peek() != -1) {
      return false;
    }
  } else if (c != '\n') {
    return c == -1;
  }
  ++line_;
  return true;
}

CsvReader::Result CsvReader::Read(std::vector<std::string>* fields) {
  fields->clear();
  if (!error_.empty()) return Result::kError;
  if (!started_) {
    started_ = true;
    if (Fill() && buffer_.compare(0, 3, "\xEF\xBB\xBF") == 0) {
      pos_ += 3;
      consumed_ += 3;
    }
  }
  // Empty lines between records are no records (nor is a stray CR there).
  for (int c = Peek(); c == '\n' || c == '\r'; c = Peek()) {
    Get();
    if (c == '\r' && Peek() == '\n') Get();
    ++line_;
  }
  if (Peek() == -1) return Result::kEnd;
  record_line_ = line_;
  fields->emplace_back();
  for (;;) {  // one field a turn, into fields->back()
    std::string& field = fields->back();
    int c = Get();
    if (c == '"') {
      const uint64_t opened = line_;
      for (c = Get(); c != '"' || Peek() == '"'; c = Get()) {
        if (c == -1) {
          return Fail("line " + std::to_string(opened) +
                      ": a quoted field opens here and is never closed; a quote inside a quoted field is written "
                      "twice (\"\")");
        }
        if (c == '"') Get();  // "" is one quote
        if (c == '\n') ++line_;
        field += static_cast<char>(c);
      }
      c = Get();
      if (c != ',' && !EndsRecord(c)) {
        return Fail("line " + std::to_string(line_) + ": text after the closing quote of field " +
                    std::to_string(fields->size()) + "; a quote inside a quoted field is written twice (\"\")");
      }
    } else {
      for (; c != ',' && !EndsRecord(c); c = Get()) field += static_cast<char>(c);
    }
    if (c != ',') return Result::kRecord;
    fields->emplace_back();
  }
}

}  // namespace voc::vocctl
