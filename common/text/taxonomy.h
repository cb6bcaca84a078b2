// A theme taxonomy: a versioned tree of themes (e.g. Reliability > Crashes), each with
// the phrases and patterns that are evidence of it. Loaded from YAML and validated once
// at start-up; errors name the theme and the key at fault.
//
//   name: software
//   version: "1.2.0"
//   themes:
//     - id: reliability
//       name: Reliability
//       themes:
//         - id: reliability.crashes
//           name: Crashes
//           phrases: ["crash*", "force close*", "keeps closing"]
//           patterns: ['shuts? (itself )?down']
//           polarity: problem   # optional: problem, praise or neutral (the default)
//           phrases_es: ["se cierra*", "se bloquea*"]   # phrases for Spanish texts
//
// Phrases are literal words, matched caseless on word boundaries; a trailing '*' on a
// word matches any ending ("crash*": crash, crashes, crashing), spaces match any run of
// spaces or hyphens, and an apostrophe is optional. Patterns are Hyperscan regular
// expressions, also caseless and word-bounded (so they must begin and end with a word
// character). A child's id extends its parent's ("reliability.crashes"). A theme whose
// polarity is "problem" gives its evidence a negative valence where the clause around it
// has no opinion word ("uses 2 GB of storage"); "praise" a positive one. `phrases_es`,
// `phrases_fr`, `phrases_de` and `phrases_pt` hold phrases matched only in texts detected
// as that language; `phrases` are English, and in a text of another language only those
// without a '*' ending apply (a prefix such as "visual*" would match Portuguese
// "visualizador").
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/core/status.h"

namespace voc::text {

// The languages a taxonomy may give phrases of their own; index 0 is English (and text
// whose language is unknown), kOtherLanguage any other detected language.
inline constexpr std::array<std::string_view, 5> kPhraseLanguages = {"en", "es", "fr", "de", "pt"};
inline constexpr uint8_t kOtherLanguage = kPhraseLanguages.size();
// The index of an ISO 639-1 code in kPhraseLanguages, 0 for "un", else kOtherLanguage.
uint8_t PhraseLanguageOf(std::string_view code);

struct Theme {
  std::string id;    // "reliability.crashes"
  std::string name;  // "Crashes"
  std::string path;  // "Reliability > Crashes"
  int parent = -1;   // index into Taxonomy::themes, -1 for a top-level theme
  int depth = 0;     // 0 for top-level themes
  std::vector<std::string> phrases;
  std::vector<std::string> patterns;
  std::vector<std::pair<uint8_t, std::string>> local_phrases;  // (kPhraseLanguages index, phrase)
  float implied_valence = 0.0f;  // from `polarity`: kProblemValence, its opposite, or 0
};

// The valence a problem theme's evidence implies, on VADER's scale (like "problem" -1.7,
// a little milder: a mention is weaker evidence than a complaint word).
inline constexpr float kProblemValence = -1.2f;

struct Taxonomy {
  std::string name;
  std::string version;
  std::vector<Theme> themes;  // parents before their children
  int max_depth() const;
};

// Parses and validates a taxonomy; `source` names it in error messages.
Result<Taxonomy> ParseTaxonomy(const std::string& yaml, const std::string& source);
Result<Taxonomy> LoadTaxonomy(const std::string& path);

// The Hyperscan expression for one phrase (see the format above).
std::string PhraseToRegex(const std::string& phrase);

}  // namespace voc::text
