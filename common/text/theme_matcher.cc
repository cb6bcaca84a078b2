#include "common/text/theme_matcher.h"

#include <hs.h>

#include <algorithm>
#include <limits>
#include <string>

namespace voc::text {
namespace {

// Pattern ids below kSignalBase index ThemeDatabase::Impl::patterns; from it on, signal cues.
constexpr unsigned kSignalBase = 1u << 24;

// A phrase made only of words (letters, digits, '_', apostrophes, '*' endings) joined by
// spaces or hyphens has a start we can find by walking back over its words from the
// match end. Such phrases skip Hyperscan's start-of-match tracking, which is what makes
// a large pattern set slow; the rest (regex patterns) keep HS_FLAG_SOM_LEFTMOST.
int SimplePhraseWords(const std::string& phrase) {
  int words = 0;
  bool in_word = false;
  for (char c : phrase) {
    const auto u = static_cast<unsigned char>(c);
    if (c == ' ' || c == '-' || c == '\t') {
      in_word = false;
    } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               c == '\'' || c == '*' || u >= 0x80) {
      if (!in_word) ++words;
      in_word = true;
    } else {
      return 0;
    }
  }
  return words;
}

bool IsWordByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '\'' ||
         u >= 0x80;
}

bool IsAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

// Start of the `words`-word phrase ending at `end`.
uint32_t PhraseStart(std::string_view text, uint32_t end, int words) {
  size_t p = end;
  for (int w = 0; w < words; ++w) {
    if (w > 0) {
      while (p > 0 && (text[p - 1] == ' ' || text[p - 1] == '-' || text[p - 1] == '\t' || text[p - 1] == '\n' ||
                       text[p - 1] == '\r' || text[p - 1] == '\f' || text[p - 1] == '\v')) {
        --p;
      }
    }
    while (p > 0 && IsWordByte(text[p - 1])) --p;
  }
  while (p < end && !IsAlnum(text[p])) ++p;  // a leading quote is not evidence
  return static_cast<uint32_t>(p);
}

}  // namespace

struct ThemeDatabase::Impl {
  struct Pattern {
    uint32_t theme;
    int words;  // > 0: simple phrase of that many words; 0: Hyperscan reports the start
  };
  std::vector<Pattern> patterns;
  hs_database_t* db = nullptr;
  ~Impl() { hs_free_database(db); }
};

ThemeDatabase::~ThemeDatabase() = default;

Result<std::unique_ptr<ThemeDatabase>> ThemeDatabase::Compile(const Taxonomy& taxonomy) {
  auto impl = std::make_unique<Impl>();
  std::vector<std::string> expressions;
  std::vector<unsigned> ids;
  std::vector<unsigned> flags;
  std::vector<std::string> owners;  // what to name in an error
  auto add_theme_pattern = [&](uint32_t theme, std::string expression, int words, std::string owner) {
    ids.push_back(static_cast<unsigned>(impl->patterns.size()));
    impl->patterns.push_back(Impl::Pattern{theme, words});
    expressions.push_back(std::move(expression));
    // A simple phrase needs only its first (earliest-ending) match: its start is found by
    // walking back. Other patterns report every match with the leftmost start.
    flags.push_back(HS_FLAG_CASELESS | (words > 0 ? HS_FLAG_SINGLEMATCH : HS_FLAG_SOM_LEFTMOST));
    owners.push_back(std::move(owner));
  };
  for (size_t t = 0; t < taxonomy.themes.size(); ++t) {
    const Theme& theme = taxonomy.themes[t];
    for (const std::string& p : theme.phrases) {
      add_theme_pattern(static_cast<uint32_t>(t), PhraseToRegex(p), SimplePhraseWords(p),
                        "theme '" + theme.id + "': phrase '" + p + "'");
    }
    for (const std::string& p : theme.patterns) {
      add_theme_pattern(static_cast<uint32_t>(t), "\\b(?:" + p + ")\\b", 0,
                        "theme '" + theme.id + "': pattern '" + p + "'");
    }
  }
  for (const SignalCue& cue : SignalCues()) {
    const std::string_view e = cue.expression;
    // A cue anchored at the start of the text keeps its anchor outside the word bounds.
    expressions.push_back(!cue.is_regex        ? PhraseToRegex(cue.expression)
                          : e.starts_with('^') ? "^(?:" + std::string(e.substr(1)) + ")\\b"
                                               : "\\b(?:" + std::string(e) + ")\\b");
    ids.push_back(kSignalBase + static_cast<unsigned>(cue.signal));
    // Cues are counted once per cue: no spans, no repeats.
    flags.push_back(HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH);
    owners.push_back(std::string("built-in cue '") + cue.expression + "'");
  }
  std::vector<const char*> ptrs;
  ptrs.reserve(expressions.size());
  for (const std::string& e : expressions) ptrs.push_back(e.c_str());

  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(ptrs.data(), flags.data(), ids.data(), static_cast<unsigned>(ptrs.size()), HS_MODE_BLOCK,
                       nullptr, &impl->db, &error) != HS_SUCCESS) {
    std::string msg = error != nullptr && error->message != nullptr ? error->message : "unknown error";
    std::string where = "taxonomy";
    if (error != nullptr && error->expression >= 0 && static_cast<size_t>(error->expression) < owners.size()) {
      where = owners[static_cast<size_t>(error->expression)];
    }
    hs_free_compile_error(error);
    return Status::InvalidArgument(taxonomy.name + ": " + where + " does not compile: " + msg);
  }
  auto db = std::unique_ptr<ThemeDatabase>(new ThemeDatabase());
  db->impl_ = std::move(impl);
  db->theme_count_ = taxonomy.themes.size();
  return db;
}

struct ThemeScanner::Impl {
  const ThemeDatabase* db = nullptr;
  hs_scratch_t* scratch = nullptr;
  // Per-theme first evidence of the current scan; `seen` stamps avoid clearing them.
  std::vector<uint32_t> seen;
  std::vector<ThemeHit> best;
  uint32_t generation = 0;
  std::vector<ThemeHit>* hits = nullptr;
  SignalCounts* cues = nullptr;
  std::string_view text;
  ~Impl() { hs_free_scratch(scratch); }
};

ThemeScanner::~ThemeScanner() = default;

Result<std::unique_ptr<ThemeScanner>> ThemeScanner::Create(const ThemeDatabase* db) {
  auto impl = std::make_unique<Impl>();
  impl->db = db;
  if (hs_alloc_scratch(db->impl_->db, &impl->scratch) != HS_SUCCESS) {
    return Status::Internal("hyperscan: cannot allocate scratch space");
  }
  impl->seen.assign(db->theme_count(), 0);
  impl->best.assign(db->theme_count(), ThemeHit{});
  auto scanner = std::unique_ptr<ThemeScanner>(new ThemeScanner());
  scanner->impl_ = std::move(impl);
  return scanner;
}

void ThemeScanner::Scan(std::string_view text, std::vector<ThemeHit>* hits, SignalCounts* cues) {
  hits->clear();
  *cues = SignalCounts{};
  Impl& s = *impl_;
  if (text.empty() || text.size() > std::numeric_limits<unsigned>::max()) return;
  if (++s.generation == 0) {  // wrapped: forget every stamp once
    std::fill(s.seen.begin(), s.seen.end(), 0);
    s.generation = 1;
  }
  s.hits = hits;
  s.cues = cues;
  s.text = text;
  auto on_match = [](unsigned id, unsigned long long from, unsigned long long to, unsigned,
                     void* ctx) -> int {
    Impl& st = *static_cast<Impl*>(ctx);
    if (id >= kSignalBase) {
      uint16_t& c = st.cues->count[id - kSignalBase];
      if (c < std::numeric_limits<uint16_t>::max()) ++c;
      return 0;
    }
    const ThemeDatabase::Impl::Pattern& pattern = st.db->impl_->patterns[id];
    const auto t = static_cast<uint32_t>(to);
    const uint32_t f = pattern.words > 0 ? PhraseStart(st.text, t, pattern.words) : static_cast<uint32_t>(from);
    id = pattern.theme;
    ThemeHit& b = st.best[id];
    if (st.seen[id] != st.generation) {
      st.seen[id] = st.generation;
      b = ThemeHit{id, f, t};
      st.hits->push_back(b);
    } else if (f < b.begin || (f == b.begin && t < b.end)) {
      b.begin = f;
      b.end = t;
    }
    return 0;
  };
  // A scan error (none expected in block mode) leaves what was found so far.
  (void)hs_scan(s.db->impl_->db, text.data(), static_cast<unsigned>(text.size()), 0, s.scratch, on_match, &s);
  for (ThemeHit& h : *hits) h = s.best[h.theme];
  std::sort(hits->begin(), hits->end(), [](const ThemeHit& a, const ThemeHit& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.theme < b.theme;
  });
}

}  // namespace voc::text
