#include "common/text/theme_matcher.h"

#include <hs.h>

#include <algorithm>
#include <array>
#include <limits>
#include <string>

#include "common/text/ascii.h"
#include "common/text/simd.h"

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

constexpr bool IsWordByte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '\'' ||
         u >= 0x80;
}

// What PhraseStart walks back over, per byte: a phrase's word bytes and the [\s-]
// between its words.
enum PhraseByte : uint8_t { kPhraseWordByte = 1u << 0, kPhraseSeparator = 1u << 1 };
constexpr std::array<uint8_t, 256> kPhraseByte = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<size_t>(c)] = IsWordByte(static_cast<char>(c)) ? kPhraseWordByte : 0;
  for (int c : {' ', '-', '\t', '\n', '\r', '\f', '\v'}) t[static_cast<size_t>(c)] = kPhraseSeparator;
  return t;
}();

// Start of the `words`-word phrase ending at `end`.
uint32_t PhraseStart(std::string_view text, uint32_t end, int words) {
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  size_t p = end;
  for (int w = 0; w < words; ++w) {
    if (w > 0) {
      while (p > 0 && (kPhraseByte[in[p - 1]] & kPhraseSeparator)) --p;
    }
    while (p > 0 && (kPhraseByte[in[p - 1]] & kPhraseWordByte)) --p;
  }
  while (p < end && !IsAlnum(text[p])) ++p;  // a leading quote is not evidence
  return static_cast<uint32_t>(p);
}

// Simple phrases and literal cues are matched as plain literals, the cheap path of
// Hyperscan, in a normalised copy of the text: ASCII lowercased, each run of
// [\s\-] one space, and the typographic apostrophe U+2019 an ASCII one. Word
// boundaries and '*' endings are checked in the match callback. For a phrase of
// words that begin and end with word characters this finds exactly the matches of its
// PhraseToRegex() expression on the original text; anything else stays a regex.
struct LiteralPhrase {
  std::vector<std::string> forms;  // every spelling in the normalised text (apostrophes optional)
  bool star = false;               // ends in '*': any word characters may follow
};

bool PhraseAsLiterals(const std::string& phrase, LiteralPhrase* out) {
  std::vector<std::string> words;
  std::string word;
  for (char c : phrase) {
    if (c == ' ' || c == '-' || c == '\t') {
      if (!word.empty()) words.push_back(std::move(word));
      word.clear();
    } else {
      word.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c);
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  if (words.empty()) return false;
  out->star = false;
  if (words.back().size() > 1 && words.back().back() == '*') {
    words.back().pop_back();
    out->star = true;
  }
  std::string joined;
  int apostrophes = 0;
  // Bytes of non-ASCII letters ("não", "échec") are word bytes here as in the regex
  // path's ASCII \b: both look only at the ASCII neighbours of a match.
  const auto word_byte = [](char c) { return IsWordChar(c) || static_cast<unsigned char>(c) >= 0x80; };
  for (const std::string& w : words) {
    if (!word_byte(w.front()) || !word_byte(w.back())) return false;
    for (char c : w) {
      if (c == '\'') {
        ++apostrophes;
      } else if (!word_byte(c)) {
        return false;  // '*' inside, punctuation: leave it to the regex path
      }
    }
    if (!joined.empty()) joined.push_back(' ');
    joined += w;
  }
  if (apostrophes > 4) return false;
  // Each apostrophe is optional: 2^k spellings.
  out->forms.clear();
  for (unsigned mask = 0; mask < (1u << apostrophes); ++mask) {
    std::string form;
    int k = 0;
    for (char c : joined) {
      if (c == '\'' && !((mask >> k++) & 1u)) continue;
      form.push_back(c);
    }
    if (std::find(out->forms.begin(), out->forms.end(), form) == out->forms.end()) out->forms.push_back(form);
  }
  return true;
}

// For texts whose whitespace is all single spaces (most feedback), `\s+` is one space
// and `\s*` an optional one; Hyperscan runs these much faster. Rewrites outside
// character classes only; anything unusual is left as it is, which is always correct.
std::string SingleSpaceRegex(const std::string& re) {
  if (re.find("\\Q") != std::string::npos) return re;
  std::string out;
  bool in_class = false;
  for (size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '\\' && i + 1 < re.size()) {
      const char q = i + 2 < re.size() ? re[i + 2] : '\0';
      const char after = i + 3 < re.size() ? re[i + 3] : '\0';
      if (!in_class && re[i + 1] == 's' && (q == '+' || q == '*') && after != '?' && after != '+') {
        out += q == '+' ? " " : " ?";
        i += 2;
        continue;
      }
      out.push_back(c);
      out.push_back(re[++i]);
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out.push_back(c);
      if (i + 1 < re.size() && re[i + 1] == '^') out.push_back(re[++i]);
      if (i + 1 < re.size() && re[i + 1] == ']') out.push_back(re[++i]);  // a leading ']' is literal
      continue;
    }
    if (in_class && c == ']') in_class = false;
    out.push_back(c);
  }
  return out;
}

struct Compiled {
  hs_database_t* db = nullptr;
  std::string error;  // empty on success
  int expression = -1;
};

Compiled CompileRegexes(const std::vector<std::string>& expressions, const std::vector<unsigned>& flags,
                        const std::vector<unsigned>& ids) {
  Compiled c;
  if (expressions.empty()) return c;
  std::vector<const char*> ptrs;
  ptrs.reserve(expressions.size());
  for (const std::string& e : expressions) ptrs.push_back(e.c_str());
  hs_compile_error_t* error = nullptr;
  if (hs_compile_multi(ptrs.data(), flags.data(), ids.data(), static_cast<unsigned>(ptrs.size()), HS_MODE_BLOCK,
                       nullptr, &c.db, &error) != HS_SUCCESS) {
    c.db = nullptr;
    c.error = error != nullptr && error->message != nullptr ? error->message : "unknown error";
    c.expression = error != nullptr ? error->expression : -1;
    hs_free_compile_error(error);
  }
  return c;
}

}  // namespace

struct ThemeDatabase::Impl {
  // Regex-path patterns: ids below kSignalBase index `patterns`; from it on, cues.
  struct Pattern {
    uint32_t theme;
    int words;  // > 0: simple phrase of that many words; 0: Hyperscan reports the start
    uint8_t language;  // kPhraseLanguages index; 0 (English) patterns apply to every text
  };
  std::vector<Pattern> patterns;
  // Literal-path phrases and cues; each literal id indexes `literals`.
  struct Phrase {
    uint32_t owner;  // theme index, or the Signal of a cue
    bool cue;
    int words;
    // A verified cue's anchor (SignalCue::verify): each occurrence is checked.
    bool (*verify)(std::string_view text, size_t end) = nullptr;
  };
  struct Literal {
    uint32_t phrase;  // into `phrases`
    uint32_t length;
    bool star;
    // kPhraseLanguages index. A literal of another language than the text's is skipped;
    // an English one applies to any text, except that a '*' ending ("visual*") applies
    // only to English (it would match Portuguese "visualizador").
    uint8_t language;
  };
  std::vector<Phrase> phrases;
  std::vector<Literal> literals;
  // Over the normalised text, one per text language (kPhraseLanguages index, then
  // kOtherLanguage): the literals that apply to it, so English texts do not pay for the
  // other languages' phrases.
  std::array<hs_database_t*, kOtherLanguage + 1> literal_dbs{};
  hs_database_t* regex_db = nullptr;    // over the text
  hs_database_t* regex_single_space_db = nullptr;  // the same, for texts spaced by single spaces
  ~Impl() {
    for (hs_database_t* d : literal_dbs) hs_free_database(d);
    hs_free_database(regex_db);
    hs_free_database(regex_single_space_db);
  }
};

ThemeDatabase::~ThemeDatabase() = default;

Result<std::unique_ptr<ThemeDatabase>> ThemeDatabase::Compile(const Taxonomy& taxonomy) {
  auto impl = std::make_unique<Impl>();
  std::vector<std::string> expressions;
  std::vector<unsigned> ids;
  std::vector<unsigned> flags;
  std::vector<std::string> owners;  // what to name in an error
  std::vector<std::string> literal_forms;
  LiteralPhrase lp;
  auto add_literals = [&](uint32_t owner, bool cue, int words, uint8_t language,
                          bool (*verify)(std::string_view, size_t) = nullptr) {
    const auto phrase = static_cast<uint32_t>(impl->phrases.size());
    impl->phrases.push_back(Impl::Phrase{owner, cue, words, verify});
    for (std::string& form : lp.forms) {
      impl->literals.push_back(Impl::Literal{phrase, static_cast<uint32_t>(form.size()), lp.star, language});
      literal_forms.push_back(std::move(form));
    }
  };
  auto add_theme_pattern = [&](uint32_t theme, std::string expression, int words, std::string owner,
                               uint8_t language) {
    ids.push_back(static_cast<unsigned>(impl->patterns.size()));
    impl->patterns.push_back(Impl::Pattern{theme, words, language});
    expressions.push_back(std::move(expression));
    // A simple phrase needs only its first (earliest-ending) match: its start is found by
    // walking back. Other patterns report every match with the leftmost start.
    flags.push_back(HS_FLAG_CASELESS | (words > 0 ? HS_FLAG_SINGLEMATCH : HS_FLAG_SOM_LEFTMOST));
    owners.push_back(std::move(owner));
  };
  for (size_t t = 0; t < taxonomy.themes.size(); ++t) {
    const Theme& theme = taxonomy.themes[t];
    auto add_phrase = [&](const std::string& p, uint8_t language) {
      const int words = SimplePhraseWords(p);
      if (words > 0 && PhraseAsLiterals(p, &lp)) {
        add_literals(static_cast<uint32_t>(t), false, words, language);
        return;
      }
      add_theme_pattern(static_cast<uint32_t>(t), PhraseToRegex(p), words,
                        "theme '" + theme.id + "': phrase '" + p + "'", language);
    };
    // A phrase with alternatives ("(?:won't|can't) (?:open|load)*") stands for each of its
    // spellings: they take the literal path, where a regex with them would need
    // start-of-match tracking.
    auto add_phrases = [&](const std::string& p, uint8_t language) -> Status {
      if (p.find("(?:") == std::string::npos) {
        add_phrase(p, language);
        return Status::Ok();
      }
      const bool star = p.size() > 1 && p.back() == '*';
      const std::vector<std::string> spellings = ExpandAlternatives(star ? p.substr(0, p.size() - 1) : p);
      if (spellings.empty()) {
        return Status::InvalidArgument(taxonomy.name + ": theme '" + theme.id + "': phrase '" + p +
                                       "' has alternatives other than (?:a|b), '?' and spaces");
      }
      for (const std::string& spelling : spellings) add_phrase(star ? spelling + "*" : spelling, language);
      return Status::Ok();
    };
    for (const std::string& p : theme.phrases) VOC_RETURN_IF_ERROR(add_phrases(p, 0));
    for (const auto& [language, p] : theme.local_phrases) VOC_RETURN_IF_ERROR(add_phrases(p, language));
    for (const std::string& p : theme.patterns) {
      add_theme_pattern(static_cast<uint32_t>(t), "\\b(?:" + p + ")\\b", 0,
                        "theme '" + theme.id + "': pattern '" + p + "'", 0);
    }
  }
  for (const SignalCue& cue : SignalCues()) {
    const std::string_view e = cue.expression;
    if (cue.verify != nullptr && !cue.alternatives) {
      return Status::Internal(std::string("built-in cue '") + cue.expression + "' is verified but names no anchors");
    }
    if (cue.alternatives) {
      // A '*' ending applies to every alternative ("crash*").
      const bool star = e.size() > 1 && e.back() == '*';
      const std::vector<std::string> phrases = ExpandAlternatives(star ? e.substr(0, e.size() - 1) : e);
      if (phrases.empty()) return Status::Internal(std::string("built-in cue '") + cue.expression + "' does not expand");
      for (const std::string& spelling : phrases) {
        const std::string phrase = star ? spelling + "*" : spelling;
        if (!PhraseAsLiterals(phrase, &lp)) {
          return Status::Internal(std::string("built-in cue '") + cue.expression + "': '" + phrase + "' is no phrase");
        }
        add_literals(static_cast<uint32_t>(cue.signal), true, 0, cue.language, cue.verify);
      }
      continue;
    }
    if (!cue.is_regex && PhraseAsLiterals(cue.expression, &lp)) {
      add_literals(static_cast<uint32_t>(cue.signal), true, 0, cue.language);
      continue;
    }
    // Regex cues carry no language: every one of them is English and applies to any text.
    if (cue.language != 0) {
      return Status::Internal(std::string("built-in cue '") + cue.expression + "' of another language is no phrase");
    }
    // A cue anchored at the start of the text keeps its anchor outside the word bounds.
    expressions.push_back(!cue.is_regex        ? PhraseToRegex(cue.expression)
                          : e.starts_with('^') ? "^(?:" + std::string(e.substr(1)) + ")\\b"
                                               : "\\b(?:" + std::string(e) + ")\\b");
    ids.push_back(kSignalBase + static_cast<unsigned>(cue.signal));
    // Cues are counted once per cue: no spans, no repeats.
    flags.push_back(HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH);
    owners.push_back(std::string("built-in cue '") + cue.expression + "'");
  }

  Compiled regex = CompileRegexes(expressions, flags, ids);
  if (!regex.error.empty()) {
    std::string where = "taxonomy";
    if (regex.expression >= 0 && static_cast<size_t>(regex.expression) < owners.size()) {
      where = owners[static_cast<size_t>(regex.expression)];
    }
    return Status::InvalidArgument(taxonomy.name + ": " + where + " does not compile: " + regex.error);
  }
  impl->regex_db = regex.db;
  std::vector<std::string> single_space;
  single_space.reserve(expressions.size());
  for (const std::string& e : expressions) single_space.push_back(SingleSpaceRegex(e));
  if (single_space != expressions) {
    Compiled fast = CompileRegexes(single_space, flags, ids);
    // Should a rewrite not compile, every text takes the exact database.
    impl->regex_single_space_db = fast.db;
  }

  for (uint8_t language = 0; language <= kOtherLanguage; ++language) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    std::vector<unsigned> lit_ids;
    for (size_t i = 0; i < literal_forms.size(); ++i) {
      const Impl::Literal& lit = impl->literals[i];
      if (lit.language != language && (lit.language != 0 || lit.star)) continue;
      ptrs.push_back(literal_forms[i].data());
      lens.push_back(literal_forms[i].size());
      lit_ids.push_back(static_cast<unsigned>(i));
    }
    if (ptrs.empty()) continue;
    std::vector<unsigned> lit_flags(ptrs.size(), 0);
    hs_compile_error_t* error = nullptr;
    if (hs_compile_lit_multi(ptrs.data(), lit_flags.data(), lit_ids.data(), lens.data(),
                             static_cast<unsigned>(ptrs.size()), HS_MODE_BLOCK, nullptr,
                             &impl->literal_dbs[language], &error) != HS_SUCCESS) {
      std::string msg = error != nullptr && error->message != nullptr ? error->message : "unknown error";
      hs_free_compile_error(error);
      return Status::InvalidArgument(taxonomy.name + ": phrases do not compile: " + msg);
    }
  }
  auto db = std::unique_ptr<ThemeDatabase>(new ThemeDatabase());
  db->impl_ = std::move(impl);
  db->theme_count_ = taxonomy.themes.size();
  return db;
}

struct ThemeScanner::Impl {
  const ThemeDatabase* db = nullptr;
  hs_scratch_t* scratch = nullptr;  // sized for all three databases
  // Per-theme first evidence of the current scan; `seen` stamps avoid clearing them.
  std::vector<uint32_t> seen;
  std::vector<ThemeHit> best;
  uint32_t generation = 0;
  std::vector<ThemeHit>* hits = nullptr;
  SignalCounts* cues = nullptr;
  std::string_view text;
  uint8_t language = 0;  // kPhraseLanguages index of the text, or kOtherLanguage
  // The normalised text; from each shift's `from` on, a byte of it lies `delta` bytes
  // further on in `text` (collapsed separators and apostrophes make it shorter).
  struct Shift {
    uint32_t from;
    uint32_t delta;
  };
  std::vector<char> norm;
  uint32_t norm_size = 0;
  std::vector<Shift> shifts;
  // Per literal-path phrase: stamp and earliest end (in the normalised text).
  std::vector<uint32_t> phrase_seen;
  std::vector<uint32_t> phrase_end;
  std::vector<uint32_t> matched_phrases;
  // Every occurrence of a verified cue's anchor: its phrase and end (normalised text).
  std::vector<std::pair<uint32_t, uint32_t>> anchors;
  ~Impl() { hs_free_scratch(scratch); }

  void AddEvidence(uint32_t theme, uint32_t begin, uint32_t end) {
    ThemeHit& b = best[theme];
    if (seen[theme] != generation) {
      seen[theme] = generation;
      b = ThemeHit{theme, begin, end};
      hits->push_back(b);
    } else if (begin < b.begin || (begin == b.begin && end < b.end)) {
      b.begin = begin;
      b.end = end;
    }
  }
  // A signal counts once however many of its cues match: all its cues shared one
  // single-match Hyperscan id, and ClassifyFeedback's rules were tuned that way.
  void CountCue(uint32_t signal) { cues->count[signal] = 1; }
  // Fills norm and shifts; returns whether every whitespace run is one ' '.
  bool Normalise(std::string_view t);
  // Offset in `text` of byte k of the normalised text.
  uint32_t SourceOffset(uint32_t k) const;
};

namespace {

// The normalised form of each byte: ASCII lowercase, a [\s\-] separator a space.
constexpr std::array<char, 256> kNormChar = [] {
  std::array<char, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<size_t>(c)] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  for (int c : {'\t', '\n', '\v', '\f', '\r', ' ', '-'}) t[static_cast<size_t>(c)] = ' ';
  return t;
}();

// 0: any other byte; 1: ' '; 2: another [\s\-] separator, or 0xE2 (U+2019 starts with it).
constexpr std::array<uint8_t, 256> kNormKind = [] {
  std::array<uint8_t, 256> t{};
  for (int c : {0x09, 0x0A, 0x0B, 0x0C, 0x0D, int{'-'}, 0xE2}) t[static_cast<size_t>(c)] = 2;
  t[' '] = 1;
  return t;
}();

constexpr std::array<bool, 256> kRegexWord = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) {
    t[static_cast<size_t>(c)] =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  }
  return t;
}();


}  // namespace

bool ThemeScanner::Impl::Normalise(std::string_view t) {
  const size_t n = t.size();
  if (norm.size() < n) norm.resize(n);
  char* out = norm.data();
  const auto* in = reinterpret_cast<const unsigned char*>(t.data());
  shifts.clear();
  size_t o = 0;
  uint32_t delta = 0;
  bool single_spaces = true;
  bool in_sep = false;
  size_t i = 0;
  while (i < n) {
#ifdef __SSE2__
    // Sixteen bytes at once while they hold no hyphen, no whitespace but lone spaces
    // and no 0xE2: then normalising is lowercasing.
    if (i > 0 && i + 16 <= n) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
      const __m128i before = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i - 1));
      const __m128i hyphen_or_ws = _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('-')), ByteInRange(v, 0x09, 0x0D));
      const __m128i sep = _mm_or_si128(hyphen_or_ws, _mm_cmpeq_epi8(v, _mm_set1_epi8(' ')));
      const __m128i sep_before = _mm_or_si128(
          _mm_or_si128(_mm_cmpeq_epi8(before, _mm_set1_epi8('-')), ByteInRange(before, 0x09, 0x0D)),
          _mm_cmpeq_epi8(before, _mm_set1_epi8(' ')));
      const __m128i special = _mm_or_si128(_mm_or_si128(hyphen_or_ws, _mm_and_si128(sep, sep_before)),
                                           _mm_cmpeq_epi8(v, _mm_set1_epi8(static_cast<char>(0xE2))));
      if (_mm_movemask_epi8(special) == 0) {
        const __m128i upper = _mm_and_si128(ByteInRange(v, 'A', 'Z'), _mm_set1_epi8(0x20));
        _mm_storeu_si128(reinterpret_cast<__m128i*>(out + o), _mm_add_epi8(v, upper));
        o += 16;
        i += 16;
        in_sep = in[i - 1] == ' ';
        continue;
      }
    }
#endif
    // Byte by byte up to the next block: a space after a non-separator (kind 1) and
    // every other byte (kind 0) take the short path; hyphens, other whitespace, runs of
    // separators and U+2019 (kind 2, or kind 1 after a separator) branch off.
    const size_t stop = std::min(n, i + 16);
    for (; i < stop; ++i) {
      const unsigned char c = in[i];
      const unsigned kind = kNormKind[c];
      if (kind + in_sep >= 2) [[unlikely]] {
        if (c == 0xE2) {
          in_sep = false;
          out[o++] = static_cast<char>(c);
          if (i + 2 < n && in[i + 1] == 0x80 && in[i + 2] == 0x99) {
            out[o - 1] = '\'';
            i += 2;
            delta += 2;
            shifts.push_back(Shift{static_cast<uint32_t>(o), delta});
          }
          continue;
        }
        // Whitespace other than a lone ' ' needs the exact regex database.
        if (c != '-' && (c != ' ' || (i > 0 && in[i - 1] == ' '))) single_spaces = false;
        if (in_sep) {
          ++delta;
          shifts.push_back(Shift{static_cast<uint32_t>(o), delta});
          continue;
        }
        out[o++] = ' ';
        in_sep = true;
        continue;
      }
      out[o++] = kNormChar[c];
      in_sep = kind != 0;
    }
  }
  norm_size = static_cast<uint32_t>(o);
  return single_spaces;
}

uint32_t ThemeScanner::Impl::SourceOffset(uint32_t k) const {
  auto it = std::upper_bound(shifts.begin(), shifts.end(), k, [](uint32_t v, const Shift& s) { return v < s.from; });
  return it == shifts.begin() ? k : k + std::prev(it)->delta;
}

ThemeScanner::~ThemeScanner() = default;

Result<std::unique_ptr<ThemeScanner>> ThemeScanner::Create(const ThemeDatabase* db) {
  auto impl = std::make_unique<Impl>();
  impl->db = db;
  std::vector<const hs_database_t*> dbs(db->impl_->literal_dbs.begin(), db->impl_->literal_dbs.end());
  dbs.push_back(db->impl_->regex_db);
  dbs.push_back(db->impl_->regex_single_space_db);
  for (const hs_database_t* d : dbs) {
    if (d != nullptr && hs_alloc_scratch(d, &impl->scratch) != HS_SUCCESS) {
      return Status::Internal("hyperscan: cannot allocate scratch space");
    }
  }
  impl->seen.assign(db->theme_count(), 0);
  impl->best.assign(db->theme_count(), ThemeHit{});
  impl->phrase_seen.assign(db->impl_->phrases.size(), 0);
  impl->phrase_end.assign(db->impl_->phrases.size(), 0);
  auto scanner = std::unique_ptr<ThemeScanner>(new ThemeScanner());
  scanner->impl_ = std::move(impl);
  return scanner;
}

void ThemeScanner::Scan(std::string_view text, std::vector<ThemeHit>* hits, SignalCounts* cues, uint8_t language) {
  hits->clear();
  *cues = SignalCounts{};
  Impl& s = *impl_;
  if (text.empty() || text.size() > std::numeric_limits<unsigned>::max()) return;
  if (++s.generation == 0) {  // wrapped: forget every stamp once
    std::fill(s.seen.begin(), s.seen.end(), 0);
    std::fill(s.phrase_seen.begin(), s.phrase_seen.end(), 0);
    s.generation = 1;
  }
  s.hits = hits;
  s.cues = cues;
  s.text = text;
  s.language = language;
  const ThemeDatabase::Impl& db = *s.db->impl_;
  const bool single_spaces = s.Normalise(text);

  const hs_database_t* literal_db = db.literal_dbs[std::min<uint8_t>(language, kOtherLanguage)];
  if (literal_db != nullptr && s.norm_size > 0) {
    s.matched_phrases.clear();
    s.anchors.clear();
    auto on_literal = [](unsigned id, unsigned long long, unsigned long long to, unsigned, void* ctx) -> int {
      Impl& st = *static_cast<Impl*>(ctx);
      const ThemeDatabase::Impl::Literal& lit = st.db->impl_->literals[id];
      const char* norm = st.norm.data();
      const uint32_t n = st.norm_size;
      auto end = static_cast<uint32_t>(to);
      const uint32_t begin = end - lit.length;
      // \b before the first word and after the last (or after its '*' ending).
      if (begin > 0 && kRegexWord[static_cast<unsigned char>(norm[begin - 1])]) return 0;
      if (lit.star) {
        while (end < n && kRegexWord[static_cast<unsigned char>(norm[end])]) ++end;
      } else if (end < n && kRegexWord[static_cast<unsigned char>(norm[end])]) {
        return 0;
      }
      const uint32_t p = lit.phrase;
      if (st.db->impl_->phrases[p].verify != nullptr) {
        st.anchors.emplace_back(p, end);
        return 0;
      }
      if (st.phrase_seen[p] != st.generation) {
        st.phrase_seen[p] = st.generation;
        st.phrase_end[p] = end;
        st.matched_phrases.push_back(p);
      } else if (end < st.phrase_end[p]) {
        st.phrase_end[p] = end;
      }
      return 0;
    };
    (void)hs_scan(literal_db, s.norm.data(), s.norm_size, 0, s.scratch, on_literal, &s);
    for (const uint32_t p : s.matched_phrases) {
      const ThemeDatabase::Impl::Phrase& phrase = db.phrases[p];
      if (phrase.cue) {
        s.CountCue(phrase.owner);
        continue;
      }
      // Each phrase counts by its earliest match, as Hyperscan's single-match mode did.
      const uint32_t end = s.SourceOffset(s.phrase_end[p] - 1) + 1;
      s.AddEvidence(phrase.owner, PhraseStart(text, end, phrase.words), end);
    }
    for (const auto& [p, end] : s.anchors) {
      const ThemeDatabase::Impl::Phrase& phrase = db.phrases[p];
      if (cues->count[phrase.owner] != 0) continue;  // counted already: a signal counts once
      if (phrase.verify(text, s.SourceOffset(end - 1) + 1)) s.CountCue(phrase.owner);
    }
  }

  const hs_database_t* regex_db =
      single_spaces && db.regex_single_space_db != nullptr ? db.regex_single_space_db : db.regex_db;
  if (regex_db != nullptr) {
    auto on_match = [](unsigned id, unsigned long long from, unsigned long long to, unsigned,
                       void* ctx) -> int {
      Impl& st = *static_cast<Impl*>(ctx);
      if (id >= kSignalBase) {
        st.CountCue(id - kSignalBase);
        return 0;
      }
      const ThemeDatabase::Impl::Pattern& pattern = st.db->impl_->patterns[id];
      if (pattern.language != 0 && pattern.language != st.language) return 0;
      const auto t = static_cast<uint32_t>(to);
      const uint32_t f = pattern.words > 0 ? PhraseStart(st.text, t, pattern.words) : static_cast<uint32_t>(from);
      st.AddEvidence(pattern.theme, f, t);
      return 0;
    };
    // A scan error (none expected in block mode) leaves what was found so far.
    (void)hs_scan(regex_db, text.data(), static_cast<unsigned>(text.size()), 0, s.scratch, on_match, &s);
  }
  for (ThemeHit& h : *hits) h = s.best[h.theme];
  std::sort(hits->begin(), hits->end(), [](const ThemeHit& a, const ThemeHit& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.theme < b.theme;
  });
}

}  // namespace voc::text
