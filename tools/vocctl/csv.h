// CSV as RFC 4180 writes it, read one record at a time from a stream, for `vocctl produce`.
// Fields are separated by commas and records by CRLF or LF; a field in double quotes may
// hold commas, line breaks (CRLF kept as it is) and quotes written twice (""). Survey and
// ticket exports put line breaks in comments, so a record is not a line.
//
// Leniencies, each one what spreadsheet exports do: a UTF-8 byte-order mark at the start
// is skipped; empty lines between records are skipped; a quote inside an unquoted field
// (5" screen) is kept as text. Refused, with the line: a quoted field that is never
// closed, and text after a closing quote ("a"b), which is a quote that was not doubled.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace voc::vocctl {

// NOT thread-safe: one reader per stream, on the thread that reads it.
class CsvReader {
 public:
  enum class Result { kRecord, kEnd, kError };

  explicit CsvReader(std::istream& in) : in_(in) {}

  // The next record's fields into *fields. kError: error() says what and on which line,
  // and every later call answers kError again.
  Result Read(std::vector<std::string>* fields);

  uint64_t record_line() const { return record_line_; }  // the line (from 1) the last record began on
  uint64_t bytes_read() const { return consumed_; }      // of the stream, for a progress bar
  const std::string& error() const { return error_; }

 private:
  int Get();   // the next byte, or -1 at the end
  int Peek();  // likewise, without taking it
  bool Fill();
  bool EndsRecord(int c);
  Result Fail(std::string error);

  std::istream& in_;
  std::string buffer_;  // bytes read from in_ and not yet taken: buffer_[pos_..]
  size_t pos_ = 0;
  uint64_t consumed_ = 0;
  uint64_t line_ = 1;  // the line the next byte is on
  uint64_t record_line_ = 0;
  bool started_ = false;  // the byte-order mark was looked for
  std::string error_;
};

}  // namespace voc::vocctl
