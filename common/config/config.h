// Configuration: one YAML file, then environment variables, then --set flags, flattened
// into dotted keys ("kafka.bootstrap_servers"). A service reads the keys it knows with
// typed getters and defaults; any key left unread is an error that names it, so a typo
// fails at start-up instead of being ignored.
//
// Environment: VOC_<KEY> with dots as double underscores, upper case:
//   VOC_KAFKA__BOOTSTRAP_SERVERS=host:9092  sets  kafka.bootstrap_servers
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace voc::config {

// Thrown only at start-up; the message names the key and says what to do.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// NOT thread-safe: used while a service starts.
class Config {
 public:
  // Loads path (may be empty), then the environment (envp-style "K=V" list), then
  // overrides ("key=value" each).
  static Config Load(const std::string& path, const std::vector<std::string>& environment,
                     const std::vector<std::string>& overrides);
  static std::vector<std::string> ProcessEnvironment();

  void Set(const std::string& key, const std::string& value);

  std::string String(const std::string& key, const std::string& fallback);
  int64_t Int(const std::string& key, int64_t fallback, int64_t min, int64_t max);
  double Double(const std::string& key, double fallback, double min, double max);
  bool Bool(const std::string& key, bool fallback);
  // "250ms", "30s", "5m", "1h", "7d"; a bare number is milliseconds; at most 100 years.
  std::chrono::milliseconds Duration(const std::string& key, std::chrono::milliseconds fallback);
  std::vector<std::string> List(const std::string& key, const std::vector<std::string>& fallback);
  // Every key under prefix (a pass-through section such as kafka.consumer), prefix removed.
  std::map<std::string, std::string> Section(const std::string& prefix);

  // Keys under prefix belong to another reader (another service's section in a shared
  // file): not this reader's to reject.
  void Ignore(const std::string& prefix) { used_prefixes_.push_back(prefix + "."); }

  // Throws ConfigError naming every key no getter asked for.
  void RejectUnknownKeys() const;

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, std::string> origin_;  // key -> where it was set, for messages
  std::set<std::string> used_;
  std::vector<std::string> used_prefixes_;
};

// Parses "30s"-style durations; false when malformed or longer than 100 years.
bool ParseDuration(const std::string& text, std::chrono::milliseconds* out);

}  // namespace voc::config
