// Target taxonomy_yaml: any bytes as a taxonomy file through ParseTaxonomy, the load
// voc-enrich and `vocctl score` do at start-up (LoadTaxonomy reads the file, then this).
//
// Contract: a taxonomy that loads holds together (a name and version; themes with valid,
// distinct ids, each child after its parent and under its parent's id, the display path
// built from the names, a leaf with phrases (of any language) or patterns, no empty
// phrase; every phrase turns into a word-bounded expression); one that does not is a
// Status whose message starts with the file's name and says what is wrong. Never a crash,
// never an exception.
//
// Compiling the taxonomy into Hyperscan databases (ThemeDatabase::Compile) is left out:
// it builds the built-in cue databases too and takes most of a second per taxonomy.
#include <set>

#include "common/text/taxonomy.h"
#include "tests/fuzz/fuzz_target.h"

VOC_FUZZ_TARGET(taxonomy_yaml) {
  using namespace voc::fuzz;
  static const std::string kSource = "fuzz/taxonomy.yaml";
  const std::string yaml(reinterpret_cast<const char*>(data), size);
  voc::Result<voc::text::Taxonomy> parsed = voc::Status::Internal("not parsed");
  try {
    parsed = voc::text::ParseTaxonomy(yaml, kSource);
  } catch (const std::exception& e) {
    Fail(__FILE__, __LINE__, std::string("ParseTaxonomy threw: ") + e.what());
  }
  if (!parsed.ok()) {
    const std::string& message = parsed.status().message();
    VOC_FUZZ_EXPECT(message.rfind(kSource + ": ", 0) == 0 && message.size() > kSource.size() + 2,
                    "a refused taxonomy whose message does not name the file and the fault: " + Excerpt(message));
    return 0;
  }
  const voc::text::Taxonomy& t = parsed.value();
  VOC_FUZZ_EXPECT(!t.name.empty() && !t.version.empty(), "a taxonomy without a name or version");
  VOC_FUZZ_EXPECT(!t.themes.empty(), "a taxonomy without themes");
  std::set<std::string> ids;
  for (size_t i = 0; i < t.themes.size(); ++i) {
    const auto& theme = t.themes[i];
    VOC_FUZZ_EXPECT(!theme.id.empty() && theme.id.front() != '.' && theme.id.back() != '.' &&
                        theme.id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.") == std::string::npos,
                    "an invalid theme id " + Excerpt(theme.id));
    VOC_FUZZ_EXPECT(ids.insert(theme.id).second, "theme id " + theme.id + " twice");
    VOC_FUZZ_EXPECT(!theme.name.empty(), "theme " + theme.id + " without a name");
    if (theme.parent < 0) {
      VOC_FUZZ_EXPECT(theme.depth == 0 && theme.path == theme.name, "top-level theme " + theme.id + " out of shape");
    } else {
      VOC_FUZZ_EXPECT(static_cast<size_t>(theme.parent) < i, "theme " + theme.id + " before its parent");
      const auto& parent = t.themes[static_cast<size_t>(theme.parent)];
      VOC_FUZZ_EXPECT(theme.id.rfind(parent.id + ".", 0) == 0, "theme " + theme.id + " not under its parent's id");
      VOC_FUZZ_EXPECT(theme.depth == parent.depth + 1 && theme.path == parent.path + " > " + theme.name,
                      "theme " + theme.id + ": depth or path not its parent's plus one");
    }
    const auto expect_phrase = [&](const std::string& phrase) {
      VOC_FUZZ_EXPECT(!phrase.empty(), "an empty phrase in theme " + theme.id);
      const std::string re = voc::text::PhraseToRegex(phrase);
      VOC_FUZZ_EXPECT(re.rfind("\\b", 0) == 0 && re.size() >= 4 && re.compare(re.size() - 2, 2, "\\b") == 0,
                      "phrase " + Excerpt(phrase) + " is not a word-bounded expression: " + Excerpt(re));
    };
    for (const std::string& phrase : theme.phrases) expect_phrase(phrase);
    for (const auto& [language, phrase] : theme.local_phrases) {
      VOC_FUZZ_EXPECT(language > 0 && language < voc::text::kOtherLanguage,
                      "a phrase of language " + std::to_string(language) + " in theme " + theme.id);
      expect_phrase(phrase);
    }
    for (const std::string& pattern : theme.patterns) VOC_FUZZ_EXPECT(!pattern.empty(), "an empty pattern");
  }
  for (size_t i = 0; i < t.themes.size(); ++i) {
    bool has_child = false;
    for (const auto& other : t.themes) has_child |= other.parent == static_cast<int>(i);
    VOC_FUZZ_EXPECT(has_child || !t.themes[i].phrases.empty() || !t.themes[i].patterns.empty() ||
                        !t.themes[i].local_phrases.empty(),
                    "leaf theme " + t.themes[i].id + " without phrases or patterns");
  }
  return 0;
}
