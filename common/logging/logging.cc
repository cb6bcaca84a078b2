#include "common/logging/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <cstdlib>
#include <ctime>

#include "common/core/json.h"

namespace voc::logging {
namespace {

// The fields of the line being written on this thread, for the JSON formatter: sinks
// write synchronously on the logging thread, so the formatter sees the caller's fields.
thread_local const std::initializer_list<Field>* tl_fields = nullptr;

// Whether the process logs JSON lines, which decides how Log() passes its fields on.
std::atomic<bool> g_json{false};
// Set once the process has begun to exit, before the logger is destroyed: a thread that
// outlives main (a Kafka client given up at shutdown) must not log through it then.
std::atomic<bool> g_exiting{false};

bool ParseLevel(const std::string& text, spdlog::level::level_enum* level) {
  static constexpr std::array<std::pair<const char*, spdlog::level::level_enum>, 6> kNames = {{
      {"trace", spdlog::level::trace},
      {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},
      {"off", spdlog::level::off},
  }};
  for (const auto& [name, value] : kNames) {
    if (text == name) {
      *level = value;
      return true;
    }
  }
  return false;
}

const char* LevelName(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "trace";
    case spdlog::level::debug: return "debug";
    case spdlog::level::info: return "info";
    case spdlog::level::warn: return "warn";
    case spdlog::level::err: return "error";
    case spdlog::level::critical: return "critical";
    default: return "off";
  }
}

// {"time":"2026-12-04T21:45:49.123Z","level":"info","service":"voc-ingest","message":"...","fields":{...}}
class JsonFormatter final : public spdlog::formatter {
 public:
  explicit JsonFormatter(std::string program) : program_(std::move(program)) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    line_.clear();
    const auto since_epoch = msg.time.time_since_epoch();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch).count();
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char time[64];
    std::snprintf(time, sizeof time, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms % 1000));
    line_.append("{\"time\":\"").append(time).append("\",\"level\":\"").append(LevelName(msg.level));
    line_.append("\",\"service\":");
    AppendJsonString(program_, &line_);
    line_.append(",\"message\":");
    AppendJsonString(std::string_view(msg.payload.data(), msg.payload.size()), &line_);
    line_.append(",\"fields\":{");
    bool first = true;
    for (const Field& f : tl_fields != nullptr ? *tl_fields : std::initializer_list<Field>{}) {
      if (!first) line_.push_back(',');
      first = false;
      AppendJsonString(f.key, &line_);
      line_.push_back(':');
      AppendJsonString(f.value, &line_);
    }
    line_.append("}}\n");
    dest.append(line_.data(), line_.data() + line_.size());
  }

  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(program_); }

 private:
  std::string program_;
  std::string line_;
};

spdlog::level::level_enum ToSpdlog(Level level) {
  switch (level) {
    case Level::kTrace: return spdlog::level::trace;
    case Level::kDebug: return spdlog::level::debug;
    case Level::kInfo: return spdlog::level::info;
    case Level::kWarn: return spdlog::level::warn;
    case Level::kError: return spdlog::level::err;
    case Level::kCritical: return spdlog::level::critical;
  }
  return spdlog::level::info;
}

}  // namespace

Status Init(const Options& options) {
  spdlog::level::level_enum level;
  if (!ParseLevel(options.level, &level)) {
    return Status::InvalidArgument("log level '" + options.level + "' is not one of " + kLevels);
  }
  if (options.format != "text" && options.format != "json") {
    return Status::InvalidArgument("log format '" + options.format + "' is not one of " + kFormats);
  }
  auto logger = spdlog::get("vocstream");
  if (!logger) logger = spdlog::stderr_color_mt("vocstream");
  // Registered after spdlog's registry exists, so it runs before the registry is destroyed.
  static const bool exit_hook = std::atexit([] { g_exiting.store(true); }) == 0;
  (void)exit_hook;
  spdlog::set_default_logger(logger);
  spdlog::set_level(level);
  const bool json = options.format == "json";
  g_json.store(json);
  if (json) {
    spdlog::set_formatter(std::make_unique<JsonFormatter>(options.program));
  } else {
    spdlog::set_pattern(std::string(options.clear_terminal_line ? "\r\033[K" : "") + "%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  }
  return Status::Ok();
}

void Log(Level level, std::string_view message, std::initializer_list<Field> fields) {
  const auto spd = ToSpdlog(level);
  if (g_exiting.load(std::memory_order_relaxed) || !spdlog::should_log(spd)) return;
  if (g_json.load(std::memory_order_relaxed)) {
    tl_fields = &fields;
    spdlog::log(spd, "{}", message);
    tl_fields = nullptr;
    return;
  }
  std::string line(message);
  for (const Field& f : fields) {
    line.append(" ").append(f.key).append("=").append(f.value);
  }
  spdlog::log(spd, "{}", line);
}

}  // namespace voc::logging
