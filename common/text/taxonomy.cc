#include "common/text/taxonomy.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "common/core/limits.h"

namespace voc::text {
namespace {

bool ValidId(const std::string& id) {
  if (id.empty() || id.front() == '.' || id.back() == '.') return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  });
}

Status StringList(const YAML::Node& node, const std::string& where, const char* key, std::vector<std::string>* out) {
  const YAML::Node list = node[key];
  if (!list) return Status::Ok();
  if (!list.IsSequence()) return Status::InvalidArgument(where + ": key '" + key + "' must be a list of strings");
  for (size_t i = 0; i < list.size(); ++i) {
    if (!list[i].IsScalar() || list[i].Scalar().empty()) {
      return Status::InvalidArgument(where + ": key '" + key + "' item " + std::to_string(i + 1) +
                                     " must be a non-empty string");
    }
    out->push_back(list[i].Scalar());
  }
  return Status::Ok();
}

Status ParseThemes(const YAML::Node& list, const std::string& source, int parent, Taxonomy* tax,
                   std::set<std::string>* ids) {
  const std::string parent_where =
      parent < 0 ? source : source + ": theme '" + tax->themes[static_cast<size_t>(parent)].id + "'";
  if (!list.IsSequence() || list.size() == 0) {
    return Status::InvalidArgument(parent_where + ": key 'themes' must be a non-empty list");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node node = list[i];
    const std::string item_where = parent_where + ": themes item " + std::to_string(i + 1);
    if (!node.IsMap()) return Status::InvalidArgument(item_where + " must be a map");
    if (!node["id"] || !node["id"].IsScalar()) return Status::InvalidArgument(item_where + ": missing key 'id'");
    Theme theme;
    theme.id = node["id"].Scalar();
    const std::string where = source + ": theme '" + theme.id + "'";
    if (!ValidId(theme.id)) {
      return Status::InvalidArgument(where + ": key 'id' must be lowercase letters, digits, '_' and '.'");
    }
    if (!ids->insert(theme.id).second) return Status::InvalidArgument(where + ": key 'id' is a duplicate");
    if (parent >= 0) {
      const Theme& p = tax->themes[static_cast<size_t>(parent)];
      if (theme.id.rfind(p.id + ".", 0) != 0) {
        return Status::InvalidArgument(where + ": key 'id' must start with its parent's id '" + p.id + ".'");
      }
    }
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.as<std::string>();
      const bool local = key.size() == 10 && key.rfind("phrases_", 0) == 0 &&
                         PhraseLanguageOf(std::string_view(key).substr(8)) > 0 &&
                         PhraseLanguageOf(std::string_view(key).substr(8)) < kOtherLanguage;
      if (key != "id" && key != "name" && key != "description" && key != "phrases" && key != "patterns" &&
          key != "themes" && key != "polarity" && !local) {
        return Status::InvalidArgument(where + ": unknown key '" + key + "'");
      }
    }
    if (!node["name"] || !node["name"].IsScalar() || node["name"].Scalar().empty()) {
      return Status::InvalidArgument(where + ": missing key 'name'");
    }
    theme.name = node["name"].Scalar();
    VOC_RETURN_IF_ERROR(StringList(node, where, "phrases", &theme.phrases));
    VOC_RETURN_IF_ERROR(StringList(node, where, "patterns", &theme.patterns));
    for (uint8_t lang = 1; lang < kPhraseLanguages.size(); ++lang) {
      const std::string key = "phrases_" + std::string(kPhraseLanguages[lang]);
      std::vector<std::string> local;
      VOC_RETURN_IF_ERROR(StringList(node, where, key.c_str(), &local));
      for (std::string& p : local) theme.local_phrases.emplace_back(lang, std::move(p));
    }
    if (const YAML::Node polarity = node["polarity"]; polarity) {
      const std::string value = polarity.IsScalar() ? polarity.Scalar() : "";
      if (value == "problem") {
        theme.implied_valence = kProblemValence;
      } else if (value == "praise") {
        theme.implied_valence = -kProblemValence;
      } else if (value != "neutral") {
        return Status::InvalidArgument(where + ": key 'polarity' must be problem, praise or neutral");
      }
    }
    theme.parent = parent;
    theme.depth = parent < 0 ? 0 : tax->themes[static_cast<size_t>(parent)].depth + 1;
    theme.path = parent < 0 ? theme.name : tax->themes[static_cast<size_t>(parent)].path + " > " + theme.name;
    const bool has_children = static_cast<bool>(node["themes"]);
    if (!has_children && theme.phrases.empty() && theme.patterns.empty() && theme.local_phrases.empty()) {
      return Status::InvalidArgument(where + ": a theme without child themes needs key 'phrases' or 'patterns'");
    }
    tax->themes.push_back(std::move(theme));
    if (has_children) {
      VOC_RETURN_IF_ERROR(ParseThemes(node["themes"], source, static_cast<int>(tax->themes.size()) - 1, tax, ids));
    }
  }
  return Status::Ok();
}

}  // namespace

uint8_t PhraseLanguageOf(std::string_view code) {
  if (code == "un") return 0;
  for (uint8_t i = 0; i < kPhraseLanguages.size(); ++i) {
    if (kPhraseLanguages[i] == code) return i;
  }
  return kOtherLanguage;
}

int Taxonomy::max_depth() const {
  int d = 0;
  for (const Theme& t : themes) d = std::max(d, t.depth + 1);
  return d;
}

Result<Taxonomy> ParseTaxonomy(const std::string& yaml, const std::string& source) {
  // yaml-cpp reports syntax errors by exception; they end here, as a Status.
  try {
    const YAML::Node root = YAML::Load(yaml);
    if (!root.IsMap()) return Status::InvalidArgument(source + ": the top level must be a map");
    Taxonomy tax;
    if (!root["name"] || !root["name"].IsScalar() || root["name"].Scalar().empty()) {
      return Status::InvalidArgument(source + ": missing key 'name'");
    }
    if (!root["version"] || !root["version"].IsScalar() || root["version"].Scalar().empty()) {
      return Status::InvalidArgument(source + ": missing key 'version'");
    }
    tax.name = root["name"].Scalar();
    tax.version = root["version"].Scalar();
    if (!root["themes"]) return Status::InvalidArgument(source + ": missing key 'themes'");
    std::set<std::string> ids;
    VOC_RETURN_IF_ERROR(ParseThemes(root["themes"], source, -1, &tax, &ids));
    if (tax.themes.size() > kMaxThemesPerFeedback) {
      return Status::InvalidArgument(source + ": " + std::to_string(tax.themes.size()) + " themes; a taxonomy holds at most " +
                                     std::to_string(kMaxThemesPerFeedback) + " (split it, or merge rarely used themes)");
    }
    return tax;
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(source + ": YAML error: " + e.what());
  }
}

Result<Taxonomy> LoadTaxonomy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("taxonomy not found: " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ParseTaxonomy(ss.str(), path);
}

std::string PhraseToRegex(const std::string& phrase) {
  std::string re = "\\b";
  bool pending_space = false;
  for (size_t i = 0; i < phrase.size(); ++i) {
    const char c = phrase[i];
    if (c == ' ' || c == '-' || c == '\t') {
      pending_space = true;
      continue;
    }
    if (pending_space && re.size() > 2) re += "[\\s\\-]+";
    pending_space = false;
    if (c == '*') {
      re += "\\w*";
    } else if (c == '\'') {
      re += "(?:'|\\xE2\\x80\\x99)?";  // ASCII or typographic apostrophe, or none
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               static_cast<unsigned char>(c) >= 0x80) {
      re += c;
    } else {
      re += '\\';
      re += c;
    }
  }
  re += "\\b";
  return re;
}

}  // namespace voc::text
