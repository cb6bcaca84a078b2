// Hyperscan databases of every theme phrase and pattern of a taxonomy and the built-in
// feedback-type and urgency cues, compiled once: simple phrases as plain literals
// (scanned in a lowercased, separator-collapsed copy of the text, word boundaries checked
// per match), regexes in a second database. Scanning a text reports the leftmost evidence
// span of each theme and which cue signals occur. Hyperscan stays inside theme_matcher.cc.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "common/core/status.h"
#include "common/text/signals.h"
#include "common/text/taxonomy.h"

namespace voc::text {

struct ThemeHit {
  uint32_t theme = 0;  // index into Taxonomy::themes
  uint32_t begin = 0;  // first evidence span, byte offsets
  uint32_t end = 0;
};

// The compiled database: immutable, shareable between threads.
class ThemeDatabase {
 public:
  ~ThemeDatabase();
  ThemeDatabase(const ThemeDatabase&) = delete;
  ThemeDatabase& operator=(const ThemeDatabase&) = delete;

  // Compiles the taxonomy's phrases and patterns plus the signal cues. A pattern that
  // does not compile is reported with its theme id and the pattern.
  static Result<std::unique_ptr<ThemeDatabase>> Compile(const Taxonomy& taxonomy);

  size_t theme_count() const { return theme_count_; }

 private:
  friend class ThemeScanner;
  ThemeDatabase() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
  size_t theme_count_ = 0;
};

// Per-thread scanner with its own Hyperscan scratch. NOT thread-safe.
class ThemeScanner {
 public:
  ~ThemeScanner();
  static Result<std::unique_ptr<ThemeScanner>> Create(const ThemeDatabase* db);

  // Fills *hits (ordered by evidence start, one per theme) and *cues. Never throws.
  // `language` (PhraseLanguageOf the text's language) selects the phrases that apply.
  void Scan(std::string_view text, std::vector<ThemeHit>* hits, SignalCounts* cues, uint8_t language = 0);

 private:
  ThemeScanner() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace voc::text
