// Logging for every vocstream program: one process-wide logger (spdlog's default), to
// stderr so stdout stays for data (vocctl tail and score print JSON there), as text
// lines or as JSON lines a log pipeline can take: one object a line with time, level,
// service, message and fields. Code logs with spdlog::info(...) etc.; Log() adds fields.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "common/core/status.h"

namespace voc::logging {

struct Options {
  std::string program;          // "voc-ingest": the "service" of each JSON line
  std::string level = "info";   // trace, debug, info, warn, error, off
  std::string format = "text";  // text, json
  // Start each text line by clearing the terminal's current line, so a progress bar
  // redrawn in place on stderr never runs into a log line.
  bool clear_terminal_line = false;
};

// The levels and formats Init takes, for help texts.
inline constexpr const char* kLevels = "trace, debug, info, warn, error, off";
inline constexpr const char* kFormats = "text, json";

// Sets up the process's logger. An unknown level or format is InvalidArgument naming it
// and the choices; the logger is then left as it was.
Status Init(const Options& options);

enum class Level { kTrace, kDebug, kInfo, kWarn, kError, kCritical };

struct Field {
  std::string_view key;
  std::string_view value;
};

// One line with structured fields: appended as key=value to a text line, the "fields"
// object of a JSON line. Thread-safe.
void Log(Level level, std::string_view message, std::initializer_list<Field> fields);

}  // namespace voc::logging
