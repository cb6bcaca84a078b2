#include "common/config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>

extern char** environ;

namespace voc::config {
namespace {

void Flatten(const YAML::Node& node, const std::string& prefix, const std::string& origin,
             std::map<std::string, std::string>* values, std::map<std::string, std::string>* origins) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      if (!kv.first.IsScalar()) {  // "? [a, b]: x" or "{a: b}: x": as<std::string> would throw a YAML exception
        throw ConfigError("configuration file " + origin + " has a key" +
                          (prefix.empty() ? std::string() : " under '" + prefix + "'") +
                          " that is a list or a mapping; keys are names such as bootstrap_servers");
      }
      std::string key = kv.first.as<std::string>();
      Flatten(kv.second, prefix.empty() ? key : prefix + "." + key, origin, values, origins);
    }
    return;
  }
  if (node.IsSequence()) {
    std::string joined;
    for (const auto& item : node) {
      if (!item.IsScalar()) throw ConfigError("configuration key '" + prefix + "' in " + origin + " must be a list of values");
      if (!joined.empty()) joined += ",";
      joined += item.as<std::string>();
    }
    (*values)[prefix] = joined;
    (*origins)[prefix] = origin;
    return;
  }
  if (node.IsNull()) return;
  (*values)[prefix] = node.as<std::string>();
  (*origins)[prefix] = origin;
}

std::string EnvToKey(const std::string& name) {
  std::string key;
  for (size_t i = 0; i < name.size(); ++i) {
    if (name[i] == '_' && i + 1 < name.size() && name[i + 1] == '_') {
      key += '.';
      ++i;
    } else {
      key += static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
    }
  }
  return key;
}

}  // namespace

bool ParseDuration(const std::string& text, std::chrono::milliseconds* out) {
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || n < 0) return false;
  std::string unit(ptr, text.data() + text.size());
  int64_t factor = 0;
  if (unit.empty() || unit == "ms") factor = 1;
  else if (unit == "s") factor = 1000;
  else if (unit == "m") factor = 60'000;
  else if (unit == "h") factor = 3'600'000;
  else if (unit == "d") factor = 86'400'000;
  else return false;
  // At most 100 years: anything longer is a mistake, and a few hundred years of
  // nanoseconds overflow a steady_clock time point (n * factor itself overflows sooner).
  constexpr int64_t kMaxMs = 36'500LL * 86'400'000;
  if (n > kMaxMs / factor) return false;
  *out = std::chrono::milliseconds(n * factor);
  return true;
}

Config Config::Load(const std::string& path, const std::vector<std::string>& environment,
                    const std::vector<std::string>& overrides) {
  Config config;
  if (!path.empty()) {
    YAML::Node root;
    try {
      root = YAML::LoadFile(path);
    } catch (const YAML::BadFile&) {
      throw ConfigError("cannot read configuration file " + path + ": check the path given to --config");
    } catch (const YAML::Exception& e) {
      throw ConfigError("configuration file " + path + " is not valid YAML: " + e.what());
    }
    if (!root.IsNull() && !root.IsMap()) throw ConfigError("configuration file " + path + " must be a YAML mapping");
    Flatten(root, "", path, &config.values_, &config.origin_);
  }
  for (const auto& entry : environment) {
    if (entry.rfind("VOC_", 0) != 0) continue;
    auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    std::string name = entry.substr(4, eq - 4);
    std::string key = EnvToKey(name);
    config.values_[key] = entry.substr(eq + 1);
    config.origin_[key] = "environment variable VOC_" + name;
  }
  for (const auto& o : overrides) {
    auto eq = o.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw ConfigError("--set '" + o + "' is not key=value, e.g. --set kafka.bootstrap_servers=localhost:9092");
    }
    config.values_[o.substr(0, eq)] = o.substr(eq + 1);
    config.origin_[o.substr(0, eq)] = "--set";
  }
  return config;
}

std::vector<std::string> Config::ProcessEnvironment() {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) env.emplace_back(*e);
  return env;
}

void Config::Set(const std::string& key, const std::string& value) {
  values_[key] = value;
  origin_[key] = "default of this command";
}

std::string Config::String(const std::string& key, const std::string& fallback) {
  used_.insert(key);
  auto it = values_.find(key);
  return it == values_.end() ? fallback : it->second;
}

int64_t Config::Int(const std::string& key, int64_t fallback, int64_t min, int64_t max) {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  int64_t v = 0;
  const std::string& s = it->second;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || v < min || v > max) {
    throw ConfigError("configuration key '" + key + "' = '" + s + "' (from " + origin_[key] +
                      ") must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  }
  return v;
}

double Config::Double(const std::string& key, double fallback, double min, double max) {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  double v = 0;
  const std::string& s = it->second;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || !(v >= min && v <= max)) {
    char range[96];
    std::snprintf(range, sizeof range, "%g to %g", min, max);
    throw ConfigError("configuration key '" + key + "' = '" + s + "' (from " + origin_[key] +
                      ") must be a number from " + range);
  }
  return v;
}

bool Config::Bool(const std::string& key, bool fallback) {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  if (it->second == "true" || it->second == "1" || it->second == "yes") return true;
  if (it->second == "false" || it->second == "0" || it->second == "no") return false;
  throw ConfigError("configuration key '" + key + "' = '" + it->second + "' (from " + origin_[key] +
                    ") must be true or false");
}

std::chrono::milliseconds Config::Duration(const std::string& key, std::chrono::milliseconds fallback) {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  std::chrono::milliseconds d{};
  if (!ParseDuration(it->second, &d)) {
    throw ConfigError("configuration key '" + key + "' = '" + it->second + "' (from " + origin_[key] +
                      ") must be a duration such as 250ms, 30s, 5m, 1h or 7d, of at most 100 years");
  }
  return d;
}

std::vector<std::string> Config::List(const std::string& key, const std::vector<std::string>& fallback) {
  used_.insert(key);
  auto it = values_.find(key);
  if (it == values_.end()) return fallback;
  std::vector<std::string> out;
  size_t start = 0;
  const std::string& s = it->second;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string::npos) comma = s.size();
    std::string item = s.substr(start, comma - start);
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    if (!item.empty()) out.push_back(item);
    start = comma + 1;
  }
  return out;
}

std::map<std::string, std::string> Config::Section(const std::string& prefix) {
  used_prefixes_.push_back(prefix + ".");
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : values_) {
    if (key.rfind(prefix + ".", 0) == 0) out[key.substr(prefix.size() + 1)] = value;
  }
  return out;
}

void Config::RejectUnknownKeys() const {
  std::string unknown;
  for (const auto& entry : values_) {
    const std::string& key = entry.first;  // a plain reference: clang 14 cannot capture a structured binding
    if (used_.contains(key)) continue;
    if (std::any_of(used_prefixes_.begin(), used_prefixes_.end(),
                    [&](const std::string& p) { return key.rfind(p, 0) == 0; })) {
      continue;
    }
    unknown += "\n  '" + key + "' (from " + origin_.at(key) + ")";
  }
  if (!unknown.empty()) {
    throw ConfigError("unknown configuration key(s):" + unknown +
                      "\ncheck the spelling against config/*.yaml; keys are section.name, e.g. kafka.bootstrap_servers");
  }
}

}  // namespace voc::config
