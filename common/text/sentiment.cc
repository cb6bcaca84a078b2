#include "common/text/sentiment.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "common/text/one_of.h"
#include "common/text/simd.h"

namespace voc::text {
namespace {

// VADER's empirically derived constants (Hutto & Gilbert 2014, vaderSentiment 3.3).
constexpr float kCapsIncrement = 0.733f;   // ALL-CAPS word among mixed-case text
constexpr float kNegationScalar = -0.74f;  // negated valence keeps 74% of its size
constexpr float kExclaimIncrement = 0.292f;
constexpr float kQuestionIncrement = 0.18f;
constexpr double kNormalizeAlpha = 15.0;
// Contrast: the clause before "but" counts half, the one after it one and a half.
constexpr float kBeforeContrast = 0.5f;
constexpr float kAfterContrast = 1.5f;
// A sentence that opens with "But" takes back more of the one before it: the writer
// built it up to knock it down ("Great cast, great idea. But the execution is a flop.").
constexpr float kBeforeSentenceContrast = 0.25f;
// Valences of constructions, on VADER's scale: a plain complaint ("won't open", "takes
// forever") like "broken" or "problem", a milder one ("takes 20 seconds") like "slow".
constexpr float kComplaint = -1.6f;
constexpr float kMildComplaint = -1.0f;
constexpr float kMildRelief = 0.6f;  // "could be worse"
constexpr float kPraise = 1.3f;
// Aspect sentiment: an opinion word d tokens from the aspect counts 1 / (1 + decay * d);
// a clause without one takes this share of its sentence's score.
constexpr double kAspectDistanceDecay = 0.2;
constexpr double kAspectSentenceShare = 0.5;

constexpr bool IsAsciiPunct(unsigned char c) {
  return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
}

// What the tokenizer needs to know of a byte, OR-ed over a token as it is copied.
enum ByteClass : uint8_t {
  kByteSpace = 1u << 0,       // ASCII whitespace: ends a token
  kByteUpper = 1u << 1,       // A-Z
  kByteLower = 1u << 2,       // a-z
  kBytePunct = 1u << 3,       // ASCII punctuation: stripped from the ends of a token
  kByteEmphasis = 1u << 4,    // '!' or '?'
  kByteApostrophe = 1u << 5,  // only a token with one can hold "n't"
  kByteCurly = 1u << 6,       // a token holds a typographic quote or apostrophe (U+2018/19/1C/1D)
};

// A typographic quote at k ("‘’“”", E2 80 98/99/9C/9D); `apostrophe` for ‘ and ’ only.
inline bool CurlyAt(const unsigned char* in, size_t k, size_t end, bool apostrophe) {
  return k + 3 <= end && in[k] == 0xE2 && in[k + 1] == 0x80 &&
         (in[k + 2] == 0x98 || in[k + 2] == 0x99 || (!apostrophe && (in[k + 2] == 0x9C || in[k + 2] == 0x9D)));
}

constexpr std::array<uint8_t, 256> kByteClass = [] {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 128; ++c) {
    uint8_t k = 0;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') k |= kByteSpace;
    if (c >= 'A' && c <= 'Z') k |= kByteUpper;
    if (c >= 'a' && c <= 'z') k |= kByteLower;
    if (IsAsciiPunct(static_cast<unsigned char>(c))) k |= kBytePunct;
    if (c == '!' || c == '?') k |= kByteEmphasis;
    if (c == '\'') k |= kByteApostrophe;
    t[static_cast<size_t>(c)] = k;
  }
  return t;
}();

constexpr std::array<char, 256> kLowerByte = [] {
  std::array<char, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<size_t>(c)] = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return t;
}();


// out[i] = in[i] with A-Z lowered, as Python's str.lower() does for ASCII.
void LowercaseAscii(const unsigned char* in, size_t n, char* out) {
  size_t i = 0;
#ifdef __SSE2__
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    const __m128i upper = _mm_and_si128(ByteInRange(v, 'A', 'Z'), _mm_set1_epi8(0x20));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + i), _mm_add_epi8(v, upper));
  }
#endif
  for (; i < n; ++i) out[i] = kLowerByte[in[i]];
}

// Whether some letter a-z occurs three times in a row: the mark of an elongated word
// ("loooove"), checked before the collapsing passes that most unknown words would waste.
bool HasLetterRunOfThree(std::string_view w) {
  unsigned found = 0;
  for (size_t k = 2; k < w.size(); ++k) {
    const char c = w[k];
    found |= static_cast<unsigned>(c == w[k - 1]) & static_cast<unsigned>(c == w[k - 2]) &
             static_cast<unsigned>(c >= 'a' && c <= 'z');
  }
  return found != 0;
}

// Whether some byte of w equals the two after it, eight bytes at a time: a cheap filter
// in front of HasLetterRunOfThree, as most words have no such run. w.data() must be
// followed by at least 8 readable bytes (the lexicon's padding).
bool MayHaveRunOfThree(std::string_view w) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHighs = 0x8080808080808080ull;
  // Windows of eight bytes overlapping by two, so that every run of three lies in one.
  for (size_t k = 0; k + 2 < w.size(); k += 6) {
    uint64_t x;
    std::memcpy(&x, w.data() + k, 8);
    const uint64_t pair = x ^ (x >> 8);         // byte i zero: bytes i and i+1 equal
    const uint64_t triple = pair | (pair >> 8);  // byte i zero: bytes i, i+1, i+2 equal
    // Only runs starting at window bytes 0..5 that end inside the word count.
    const size_t starts = std::min<size_t>(6, w.size() - 2 - k);
    const uint64_t t = triple | ~((uint64_t{1} << (starts * 8)) - 1);
    if (((t - kOnes) & ~t & kHighs) != 0) return true;  // some byte of t is zero
  }
  return false;
}


// Length of the UTF-8 sequence at text[i], or 1 for a byte that does not start a valid
// one, so invalid input degrades to opaque bytes instead of being skipped or trusted.
size_t Utf8Length(std::string_view text, size_t i) {
  const unsigned char c = static_cast<unsigned char>(text[i]);
  size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 1;
  if (len == 1 || i + len > text.size()) return 1;
  for (size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return 1;
  }
  return len;
}

// Unicode spaces and joiners that separate tokens: NBSP, U+2000..U+200D, U+202F,
// U+3000, and the emoji variation selector U+FE0F.
bool IsUnicodeSeparator(std::string_view cp) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(cp[k]); };
  if (cp.size() == 2) return b(0) == 0xC2 && b(1) == 0xA0;
  if (cp.size() != 3) return false;
  if (b(0) == 0xE2 && b(1) == 0x80 && (b(2) <= 0x8D || b(2) == 0xAF)) return true;
  if (b(0) == 0xE3 && b(1) == 0x80 && b(2) == 0x80) return true;
  return b(0) == 0xEF && b(1) == 0xB8 && b(2) == 0x8F;
}

// The number a word says, in digits ("45", saturating at 9999: only "20 seconds" vs "2"
// matters) or in words ("three", "twenty"), or -1.
int NumberValue(std::string_view word) {
  if (!word.empty() && word.find_first_not_of("0123456789") == std::string_view::npos) {
    int v = 0;
    for (const char c : word) v = std::min(9999, v * 10 + (c - '0'));
    return v;
  }
  static constexpr std::array<std::pair<std::string_view, int>, 17> kWords = {{
      {"two", 2}, {"three", 3}, {"four", 4}, {"five", 5}, {"six", 6}, {"seven", 7}, {"eight", 8}, {"nine", 9},
      {"ten", 10}, {"eleven", 11}, {"twelve", 12}, {"fifteen", 15}, {"twenty", 20}, {"thirty", 30},
      {"forty", 40}, {"fifty", 50}, {"sixty", 60}}};
  for (const auto& [w, v] : kWords) {
    if (w == word) return v;
  }
  return -1;
}

// Per SpecialWord: 1 for a first-person word, 2 for a second-person one.
constexpr std::array<uint8_t, kSpecialWordNames.size()> kPersonOf = [] {
  std::array<uint8_t, kSpecialWordNames.size()> t{};
  for (SpecialWord w : {kWordI, kWordMe, kWordMy, kWordWe, kWordOur}) t[w] = 1;
  for (SpecialWord w : {kWordYou, kWordYour}) t[w] = 2;
  return t;
}();

}  // namespace

double NormalizeCompound(double sum) {
  const double c = sum / std::sqrt(sum * sum + kNormalizeAlpha);
  return std::clamp(c, -1.0, 1.0);
}

double SentimentScorer::Score(std::string_view text) {
  Tokenize(text);
  return ScoreAll();
}

void SentimentScorer::AddEmojiToken(uint32_t begin, uint32_t end, const LexEntry* entry) {
  SentimentToken t;
  t.begin = begin;
  t.end = end;
  t.lower = begin;
  t.lower_len = 0;
  t.entry = *entry;
  t.phrase_first = static_cast<uint32_t>(tokens_.size());
  // Its form is empty: ResolvePhrases filters on the empty form's hash.
  pending_.push_back(Pending{Lexicon::HashPadded(std::string_view(lower_.data() + begin, 0)), begin, 0, false, true});
  tokens_.push_back(t);
}

// Inlined into Tokenize's loop: one call per token was a tenth of its cost.
// Typographic quotes are stripped from a token's ends like ASCII punctuation (“great”),
// with the ASCII punctuation around them ("“great”!").
void SentimentScorer::StripCurlyQuotes(uint32_t* sb, uint32_t* se) const {
  const auto* in = reinterpret_cast<const unsigned char*>(text_.data());
  for (;;) {
    if (*sb < *se && (kByteClass[in[*sb]] & kBytePunct)) {
      ++*sb;
    } else if (CurlyAt(in, *sb, *se, false)) {
      *sb += 3;
    } else {
      break;
    }
  }
  for (;;) {
    if (*se > *sb && (kByteClass[in[*se - 1]] & kBytePunct)) {
      --*se;
    } else if (*se >= *sb + 3 && CurlyAt(in, *se - 3, *se, false)) {
      *se -= 3;
    } else {
      break;
    }
  }
}

// A typographic apostrophe inside a token counts as ' (iOS types "doesn’t"): the lowered
// form is written with ' in its place, so it is shorter than the token. Returns the
// token's byte classes, with kByteApostrophe when it had one.
unsigned SentimentScorer::CompactCurlyApostrophes(SentimentToken& t, unsigned classes) {
  const auto* in = reinterpret_cast<const unsigned char*>(text_.data());
  char* lw = lower_.data();
  const uint32_t se = t.lower + t.lower_len;
  uint32_t w = t.lower;
  for (uint32_t r = t.lower; r < se;) {
    if (CurlyAt(in, r, se, true)) {
      lw[w++] = '\'';
      classes |= kByteApostrophe;
      r += 3;
    } else {
      lw[w++] = lw[r++];
    }
  }
  t.lower_len = w - t.lower;
  return classes;
}

[[gnu::always_inline]] inline void SentimentScorer::AddToken(uint32_t begin, uint32_t end, unsigned classes) {
  // The lowercased raw token is at lower_[begin, end); the stripped form is a sub-range.
  // Filled in place: a local copy pushed afterwards costs a store-forwarding stall.
  SentimentToken& t = tokens_.emplace_back();
  t.begin = begin;
  t.end = end;
  t.phrase_first = static_cast<uint32_t>(tokens_.size() - 1);
  const bool has_upper = classes & kByteUpper;
  const bool has_lower = classes & kByteLower;
  if (has_upper && !has_lower) {
    t.flags |= kTokAllCaps;
    ++all_caps_count_;
  }
  if (has_upper || has_lower) t.flags |= kTokWord;

  uint32_t sb = begin;
  uint32_t se = end;
  if (classes & kByteCurly) [[unlikely]] StripCurlyQuotes(&sb, &se);
  if (classes & kBytePunct) {
    const auto* in = reinterpret_cast<const unsigned char*>(text_.data());
    while (sb < se && (kByteClass[in[sb]] & kBytePunct)) ++sb;
    while (se > sb && (kByteClass[in[se - 1]] & kBytePunct)) --se;
    for (uint32_t k = se; k < end; ++k) {
      const char c = text_[k];
      if (c == '.' || c == '!' || c == '?' || c == ';') {
        t.flags |= kTokSentenceEnd;
      } else if (c == ',' || c == ':' || c == '-') {
        t.flags |= kTokClauseEnd;
      }
    }
    if (classes & kByteEmphasis) {
      // Counts saturate at 15: ScoreRange caps both at 4.
      unsigned exclaims = 0;
      unsigned questions = 0;
      for (uint32_t k = begin; k < end; ++k) {
        exclaims += text_[k] == '!';
        questions += text_[k] == '?';
      }
      t.emphasis = static_cast<uint8_t>(std::min(exclaims, 15u) | std::min(questions, 15u) << 4);
    }
  }

  // The lookup happens in a second pass (ResolveTokens) so that the hash-table slots of all
  // tokens are prefetched first: their cache misses then overlap instead of queueing.
  t.lower = sb;
  t.lower_len = se - sb;
  if (classes & kByteCurly) [[unlikely]] classes = CompactCurlyApostrophes(t, classes);
  const uint64_t hash = Lexicon::HashPadded(std::string_view(lower_.data() + t.lower, t.lower_len));
  lexicon_->Prefetch(hash);
  Pending& p = pending_.emplace_back();
  p.hash = hash;
  p.raw_lower = begin;
  p.raw_len = end - begin;
  p.apostrophe = (classes & kByteApostrophe) != 0;
  if (classes & kByteCurly) [[unlikely]] {
    // The raw token as lowered is for emoticons; a compacted one has only its stripped form.
    p.raw_lower = t.lower;
    p.raw_len = t.lower_len;
  }
}

// The hot loop of every score: aligned to a cache line so that code added elsewhere does
// not move it (a pass added after it once cost the benchmark 2-3% by placement alone).
[[gnu::aligned(64)]] void SentimentScorer::Tokenize(std::string_view text) {
  text_ = text;
  tokens_.clear();
  pending_.clear();
  word_count_ = 0;
  stopword_count_ = 0;
  lexicon_word_count_ = 0;
  all_caps_count_ = 0;
  cue_mask_ = 0;
  implicit_pending_ = false;
  questions_marked_ = false;
  // The text lowercased at the same offsets; the lexicon reads keys as padded words, so
  // kPadding bytes of slack follow it.
  const size_t n = text.size();
  if (lower_.size() < n + Lexicon::kPadding) lower_.resize(n + Lexicon::kPadding);
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  LowercaseAscii(in, n, lower_.data());

  size_t i = 0;
  while (i < n) {
    if (kByteClass[in[i]] & kByteSpace) {
      ++i;
      continue;
    }
    // One token: ASCII runs are delimited (and their byte classes gathered) sixteen
    // bytes at a time; a byte >= 0x80 stops the run to be looked at as a code point.
    const size_t start = i;
    unsigned classes = 0;
    size_t stop_len = 0;  // a Unicode separator or an emoji ends the token
    const LexEntry* emoji = nullptr;
    for (;;) {
#ifdef __SSE2__
      bool stopped = false;
      while (i + 16 <= n) {
        const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
        const unsigned stop = static_cast<unsigned>(_mm_movemask_epi8(
            _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8(' ')), ByteInRange(v, 0x09, 0x0D)), v)));
        const unsigned keep = stop == 0 ? 0xFFFFu : (1u << __builtin_ctz(stop)) - 1;
        const auto any = [&](__m128i m) { return (static_cast<unsigned>(_mm_movemask_epi8(m)) & keep) != 0; };
        if (any(ByteInRange(v, 'A', 'Z'))) classes |= kByteUpper;
        if (any(ByteInRange(v, 'a', 'z'))) classes |= kByteLower;
        const __m128i punct = _mm_or_si128(_mm_or_si128(ByteInRange(v, '!', '/'), ByteInRange(v, ':', '@')),
                                           _mm_or_si128(ByteInRange(v, '[', '`'), ByteInRange(v, '{', '~')));
        if (any(punct)) {
          classes |= kBytePunct;
          if (any(_mm_cmpeq_epi8(v, _mm_set1_epi8('\'')))) classes |= kByteApostrophe;
          if (any(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('!')), _mm_cmpeq_epi8(v, _mm_set1_epi8('?'))))) {
            classes |= kByteEmphasis;
          }
        }
        if (stop != 0) {
          i += static_cast<size_t>(__builtin_ctz(stop));
          stopped = true;
          break;
        }
        i += 16;
      }
      if (!stopped) {
#endif
        while (i < n && in[i] < 0x80 && !(kByteClass[in[i]] & kByteSpace)) classes |= kByteClass[in[i++]];
#ifdef __SSE2__
      }
#endif
      if (i >= n || in[i] < 0x80) break;  // whitespace or the end: the token is complete
      const size_t len = Utf8Length(text, i);
      if (len == 3 && CurlyAt(in, i, n, false)) classes |= kByteCurly;
      if (len >= 2) {
        const std::string_view cp = text.substr(i, len);
        const LexEntry* e = len >= 3 ? lexicon_->Find(cp) : nullptr;
        const bool is_emoji = e != nullptr && (e->flags & kLexEmoji);
        if (is_emoji || IsUnicodeSeparator(cp)) {
          stop_len = len;
          emoji = is_emoji ? e : nullptr;
          break;
        }
      }
      i += len;  // part of the word (its bytes are their own lowercase)
    }
    if (i > start) AddToken(static_cast<uint32_t>(start), static_cast<uint32_t>(i), classes);
    if (stop_len > 0) {
      if (emoji != nullptr) AddEmojiToken(static_cast<uint32_t>(i), static_cast<uint32_t>(i + stop_len), emoji);
      i += stop_len;
    }
  }
  ResolveTokens();
  ResolvePhrases();
  const size_t count = tokens_.size();
  for (size_t i = 0; i < count; ++i) {
    SentimentToken& t = tokens_[i];
    if ((t.entry.flags & kLexContrast) && !(t.flags & kTokConsumed)) t.flags |= kTokContrast;
    // VADER scores a booster word as nothing of its own, only as what it adds to the word
    // it modifies. One with a valence of its own that modifies no opinion word says it
    // itself: "the display is exceptional", "super!", "it performs terribly".
    constexpr uint16_t kBoosterWithValence = kLexBooster | kLexValence;
    if ((t.entry.flags & kBoosterWithValence) == kBoosterWithValence && t.entry.valence != 0.0f &&
        !(t.flags & kTokConsumed)) {
      // A word the feedback lexicon sets to 0 ("support", "pay") is no opinion word.
      const LexEntry* next = i + 1 < count && !(t.flags & kTokSentenceEnd) ? &tokens_[i + 1].entry : nullptr;
      const bool modifies =
          next != nullptr && ((next->flags & kLexBooster) || ((next->flags & kLexValence) && next->valence != 0.0f));
      if (!modifies) t.entry.flags = static_cast<uint16_t>(t.entry.flags & ~kLexBooster);
    }
  }
  if (MayHoldConstruction()) ApplyConstructions();
  if (cue_mask_ & (uint64_t{1} << kCueSpeed)) ApplySpeedOfBadThings();
  if (cue_mask_ & ((uint64_t{1} << kCueWould) | (uint64_t{1} << kCueWish))) ApplyWants();
  if (cue_mask_ & ((uint64_t{1} << kCueUntil) | (uint64_t{1} << kCueCould) | (uint64_t{1} << kCueBetter))) {
    ApplyChangeAndExtremes();
  }

  cap_differential_ = all_caps_count_ > 0 && all_caps_count_ < tokens_.size();
  whole_text_valences_ready_ = false;
  clause_scores_.clear();
}

void SentimentScorer::ResolveTokens() {
  for (size_t i = 0; i < tokens_.size(); ++i) {
    Pending& p = pending_[i];
    if (p.resolved) continue;
    SentimentToken& t = tokens_[i];
    char* out = lower_.data() + p.raw_lower;
    const std::string_view raw(out, p.raw_len);
    const std::string_view stripped(lower_.data() + t.lower, t.lower_len);
    std::string_view form = stripped;
    const LexEntry* e = stripped.empty() ? nullptr : lexicon_->FindPadded(stripped, p.hash);
    // Emoticons (":)", ":-(", ":p") are mostly punctuation: as VADER does, a token whose
    // stripped form is at most two characters is also looked up whole.
    if (stripped.size() != raw.size() && stripped.size() <= 2 && e == nullptr) {
      if (const LexEntry* r = lexicon_->FindPadded(raw); r != nullptr) {
        e = r;
        form = raw;
      }
    }
    if (e == nullptr && stripped.size() >= 4 && stripped.size() <= 64 && MayHaveRunOfThree(stripped) &&
        HasLetterRunOfThree(stripped)) {
      // Elongation ("loooove", "soooo") is emphasis on a lexicon word: collapse runs of
      // three or more letters to two, then to one, and look again.
      char buf[64 + Lexicon::kPadding];
      std::memcpy(buf, stripped.data(), stripped.size());
      size_t cur = stripped.size();
      for (size_t keep = 2; keep >= 1 && e == nullptr; --keep) {
        size_t len = 0;
        size_t run = 0;
        for (size_t k = 0; k < cur; ++k) {
          const char c = buf[k];
          run = (len > 0 && buf[len - 1] == c) ? run + 1 : 1;
          if (run > keep && c >= 'a' && c <= 'z') continue;
          buf[len++] = c;
        }
        if (len == cur && keep == 2) break;  // no run of three: nothing elongated (not reached)
        cur = len;
        if (const LexEntry* x = lexicon_->FindPadded(std::string_view(buf, cur)); x != nullptr) {
          e = x;
          // The collapsed form is shorter than the stripped one: store it in its place.
          char* w = lower_.data() + t.lower;
          std::memcpy(w, buf, cur);
          form = std::string_view(w, cur);
          t.flags |= kTokElongated;
        }
      }
    }
    if (e != nullptr) t.entry = *e;  // a copy: scoring then never goes back to the table
    t.lower = static_cast<uint32_t>(form.data() - lower_.data());
    t.lower_len = static_cast<uint32_t>(form.size());
    // Every special word is in the lexicon, so one not found is none.
    t.word = e != nullptr ? e->word : kWordNone;
    // ResolvePhrases looks the next word up in the lexicon's phrase filter.
    if (form.data() != stripped.data() || form.size() != stripped.size()) p.hash = Lexicon::HashPadded(form);
    if ((e != nullptr && (e->flags & kLexNegator)) ||
        (p.apostrophe && form.find("n't") != std::string_view::npos)) {
      t.flags |= kTokNegated;
    }
    const unsigned has_letter = (t.flags & kTokWord) != 0;
    const uint16_t found = e != nullptr ? e->flags : 0;
    cue_mask_ |= uint64_t{1} << t.entry.cue;

    word_count_ += has_letter;
    stopword_count_ += (found & kLexStopword) != 0;
    lexicon_word_count_ += has_letter & ((found & kLexValence) != 0);
  }
}

void SentimentScorer::ResolvePhrases() {
  // Longest phrase first (Lexicon::kMaxPhraseWords words, down to two), never across a
  // sentence end.
  char key[128 + Lexicon::kPadding];
  const size_t n = tokens_.size();
  for (size_t i = 0; i + 1 < n; ++i) {
    const SentimentToken& t = tokens_[i];
    if (!(t.entry.flags & kLexPhraseStart) || (t.flags & kTokSentenceEnd)) continue;
    // Most phrase-start words ("the", "a", "not") start none here: skip them unless the
    // next word is the second word of some phrase.
    if (!lexicon_->MaybePhraseSecondWord(pending_[i + 1].hash)) continue;
    // Nor unless the two words start a phrase: "of my", "on the" start none.
    {
      const SentimentToken& second = tokens_[i + 1];
      if (t.lower_len + 1 + second.lower_len > sizeof(key) - Lexicon::kPadding) continue;
      std::memcpy(key, lower_.data() + t.lower, t.lower_len);
      key[t.lower_len] = ' ';
      std::memcpy(key + t.lower_len + 1, lower_.data() + second.lower, second.lower_len);
      const std::string_view pair(key, t.lower_len + 1 + second.lower_len);
      if (!lexicon_->MaybePhrase(Lexicon::HashPadded(pair))) continue;
    }
    for (size_t words = Lexicon::kMaxPhraseWords; words >= 2; --words) {
      if (i + words > n) continue;
      size_t len = 0;
      bool fits = true;
      for (size_t k = 0; k < words && fits; ++k) {
        const SentimentToken& w = tokens_[i + k];
        if (k > 0 && (tokens_[i + k - 1].flags & kTokSentenceEnd)) fits = false;
        if (len + w.lower_len + 1 > sizeof(key) - Lexicon::kPadding) fits = false;
        if (!fits) break;
        if (k > 0) key[len++] = ' ';
        std::memcpy(key + len, lower_.data() + w.lower, w.lower_len);
        len += w.lower_len;
      }
      if (!fits) continue;
      const std::string_view phrase(key, len);
      const uint64_t hash = Lexicon::HashPadded(phrase);
      if (!lexicon_->MaybePhrase(hash)) continue;
      const LexEntry* p = lexicon_->FindPadded(phrase, hash);
      if (p == nullptr || !(p->flags & kLexPhrase)) continue;
      for (size_t k = 0; k + 1 < words; ++k) tokens_[i + k].flags |= kTokConsumed;
      SentimentToken& last = tokens_[i + words - 1];
      last.entry = *p;
      last.phrase_first = static_cast<uint32_t>(i);
      i += words - 1;
      break;
    }
  }
}

namespace {
constexpr uint64_t CueBit(CueWord c) { return uint64_t{1} << c; }
// The verbs among the kCueMissing words ("no reply" is missing; "couldn't reply" did not
// happen, "had to call" was a chore).
bool IsMissingVerb(std::string_view word) {
  return IsOneOf(word, {"reply", "answer", "help", "contact", "call", "email", "follow"});
}
// The CueWords that ApplyConstructions looks at (the rest only ever follow one of them).
constexpr uint64_t kConstructionStarts =
    CueBit(kCueToo) | CueBit(kCueTake) | CueBit(kCueWait) | CueBit(kCueKeep) | CueBit(kCueStill) | CueBit(kCueCharge) |
    CueBit(kCueHave) | CueBit(kCueRemoved) | CueBit(kCueBring) | CueBit(kCueFix) | CueBit(kCueUsed) |
    CueBit(kCueNothing) | CueBit(kCueSeconds) | CueBit(kCueTimeUnit) | CueBit(kCueFail);
}  // namespace

void SentimentScorer::ApplySpeedOfBadThings() {
  // "drains really fast", "dies so quickly": the speed of a bad thing is more of it, not
  // praise. Not "loads fast", nor after a negated one ("never drains fast"), nor across a
  // clause's end ("it crashed, fixed fast"). A pass of its own: in ApplyConstructions it
  // made every text with "fast" run that whole pass (~0.7% of an analysis).
  for (size_t i = 1; i < tokens_.size(); ++i) {
    SentimentToken& t = tokens_[i];
    if (t.entry.cue != kCueSpeed || !(t.entry.flags & kLexValence) || t.entry.valence <= 0 ||
        (t.flags & kTokConsumed)) {
      continue;
    }
    size_t k = i;
    bool found = false;
    for (int hops = 0; hops < 3 && k > 0; ++hops) {
      const SentimentToken& before = tokens_[--k];
      if (before.flags & (kTokSentenceEnd | kTokClauseEnd)) break;
      if (before.entry.cue == kCueFiller || (before.entry.flags & kLexBooster)) continue;
      found = (before.entry.flags & kLexValence) && before.entry.valence < 0;
      break;
    }
    if (!found) continue;
    bool negated = false;
    for (size_t q = k >= 3 ? k - 3 : 0; q < k; ++q) negated = negated || (tokens_[q].flags & kTokNegated);
    if (!negated) SetConstructionValence(t, kMildComplaint);
  }
}

void SentimentScorer::ApplyWants() {
  // "would be nice", "it'd be great if", "would love", "would have been nice": what the
  // writer would like is a request (or a regret), no praise of what is there, so the
  // frame's positive word says nothing, nor does the good that an "if" after it only
  // imagines ("would be great if it worked with Outlook", "would love this app if it
  // worked"). Not "would recommend", "would not be nice", nor across a clause's end.
  // "I wish it didn't crash", "wish it was faster": the wish says the opposite is so.
  const size_t n = tokens_.size();
  const auto clause_ends = [&](size_t k) { return (tokens_[k].flags & (kTokSentenceEnd | kTokClauseEnd)) != 0; };
  const auto praise = [&](size_t k) {
    const SentimentToken& t = tokens_[k];
    return (t.entry.flags & kLexValence) && t.entry.valence > 0 && !(t.flags & kTokConsumed);
  };
  for (size_t i = 0; i + 1 < n; ++i) {
    if (clause_ends(i)) continue;
    if (tokens_[i].entry.cue == kCueWish) {
      if (!IsOneOf(lower(tokens_[i + 1]), {"it", "this", "the", "there", "they", "i", "we", "my", "that", "these"})) {
        continue;
      }
      for (size_t q = i + 1; q < n; ++q) {
        SentimentToken& t = tokens_[q];
        if ((t.entry.flags & kLexValence) && t.entry.valence != 0 && !(t.flags & kTokConsumed)) t.flags |= kTokFlipped;
        if (clause_ends(q)) break;
      }
      continue;
    }
    if (tokens_[i].entry.cue != kCueWould) continue;
    // "would have been better", "would have done better": a regret, so a complaint.
    if (const size_t k = UnmetComparative(i, /*past_only=*/true); k < n) {
      SetConstructionValence(tokens_[k], tokens_[k].entry.valence > 0 ? kMildComplaint : kMildRelief);
      continue;
    }
    bool be = false;
    for (size_t k = i + 1, hops = 0; k < n && hops < 4; ++k, ++hops) {
      SentimentToken& t = tokens_[k];
      const std::string_view w = lower(t);
      if (t.flags & kTokNegated) break;
      if (IsOneOf(w, {"be", "been", "have"})) {
        be = true;
      } else if ((t.entry.flags & kLexBooster) || IsOneOf(w, {"so", "really", "definitely", "also", "a", "an"})) {
        // "would be so nice", "would really love", "would be a great app (if)"
      } else {
        const bool want = IsOneOf(w, {"love", "like", "appreciate", "prefer", "enjoy"});
        if (!(be || want) || !praise(k)) break;
        SetConstructionValence(t, 0.0f);
        // An "if" within a few words of it, in its clause: what follows is imagined.
        size_t q = k;
        for (int w2 = 0; w2 < 4 && !clause_ends(q) && q + 1 < n && lower(tokens_[q + 1]) != "if"; ++w2) ++q;
        if (clause_ends(q) || q + 1 >= n || lower(tokens_[q + 1]) != "if") break;
        for (q += 2; q < n; ++q) {
          if (praise(q)) SetConstructionValence(tokens_[q], 0.0f);
          if (clause_ends(q)) break;
        }
        break;
      }
      if (clause_ends(k)) break;
    }
  }
}

void SentimentScorer::ApplyChangeAndExtremes() {
  const size_t n = tokens_.size();
  const auto sentence_ends = [&](size_t k) { return (tokens_[k].flags & kTokSentenceEnd) != 0; };
  for (size_t i = 0; i < n; ++i) {
    const CueWord c = tokens_[i].entry.cue;
    if (c == kCueUntil && i > 0 && i + 1 < n && !sentence_ends(i)) {
      // "was great until the last update", "loved it until they added ads", "great app,
      // until you try to cancel", "worked fine until yesterday": the good before "until"
      // in its sentence is over. "until" must start an event ("the", "they", "yesterday"),
      // not a time ("until 4pm", "till vacation"), and the good must not be negated or
      // to come ("didn't have fun until", "will use it until", "can't wait until").
      if (!IsOneOf(lower(tokens_[i + 1]), {"the", "i", "you", "they", "it", "we", "a", "an", "my", "this", "that",
                                            "yesterday", "today", "recently", "last", "version", "ios", "android"})) {
        continue;
      }
      size_t from = i;
      bool skip = false;
      for (int w = 0; w < 8 && from > 0 && !sentence_ends(from - 1); ++w) {
        --from;
        const std::string_view x = lower(tokens_[from]);
        skip = skip || (tokens_[from].flags & kTokNegated) ||
               IsOneOf(x, {"will", "i'll", "it'll", "wait", "waiting", "going", "gonna", "forever", "always"});
      }
      if (skip) continue;
      for (size_t k = from; k < i; ++k) {
        SentimentToken& t = tokens_[k];
        if ((t.entry.flags & kLexValence) && !(t.entry.flags & kLexBooster) && t.entry.valence > 0 &&
            !(t.flags & (kTokConsumed | kTokConstruction | kTokNegated))) {
          t.flags |= kTokFlipped;
        }
      }
    } else if (c == kCueBetter) {
      // "I've had better pizza", "there are better apps", "better food elsewhere": the
      // better thing is somewhere else, so this one is worse.
      // "Nothing better", "there is no better app" are the utmost, not a denial.
      SentimentToken& t = tokens_[i];
      if (!(t.entry.flags & kLexValence) || t.entry.valence <= 0 || (t.flags & (kTokConsumed | kTokConstruction))) {
        continue;
      }
      const auto word = [&](size_t back) { return i >= back ? lower(tokens_[i - back]) : std::string_view(); };
      const bool there_is = IsOneOf(word(2), {"there's", "theres"}) ||
                            (IsOneOf(word(2), {"is", "are"}) && word(3) == "there");
      const bool none_better = word(1) == "nothing" || (word(1) == "no" && there_is);
      // "I expected better", "customers deserve better", "you can do better": better is
      // what this was not.
      const bool wanted = IsOneOf(word(1), {"expected", "expect", "expecting", "deserve", "deserves", "deserved"}) ||
                          (IsOneOf(word(1), {"do", "be"}) && word(2) == "can");
      if (none_better) {
        SetConstructionValence(t, t.entry.valence * 1.25f);
      } else if (!(t.flags & kTokNegated) && (wanted || BetterElsewhere(i))) {
        SetConstructionValence(t, kMildComplaint);
      }
    } else if (c == kCueCould && i + 2 < n && !sentence_ends(i)) {
      // "couldn't be happier", "could not be better", "can't be worse", "couldn't be more
      // disappointed", "you can't do better": the negated comparative is the utmost, not
      // its opposite. Not
      // "couldn't be happy with it".
      size_t k = i + 1;
      const std::string_view first = lower(tokens_[i]);
      const bool negated = first.ends_with("n't") || first.ends_with("nt") ||
                           (lower(tokens_[k]) == "not" && !sentence_ends(k) && ++k < n);
      if (!negated) {
        // "could be better", "should be a lot faster", "could have been better": what is
        // wanted is not there. "Nothing could be better" is the utmost, as "couldn't be
        // better" is; "what could be better" asks it.
        const size_t c = UnmetComparative(i, /*past_only=*/false);
        if (c == n) continue;
        bool nothing = false;
        bool what = false;
        for (size_t q = i >= 2 ? i - 2 : 0; q < i; ++q) {
          if (sentence_ends(q)) continue;
          nothing = nothing || IsOneOf(lower(tokens_[q]), {"nothing", "none", "nobody"});
          what = what || lower(tokens_[q]) == "what";
        }
        if (nothing) {
          SetConstructionValence(tokens_[c], tokens_[c].entry.valence * 1.25f);
        } else if (!what) {
          // "could be worse": not bad, then.
          SetConstructionValence(tokens_[c], tokens_[c].entry.valence > 0 ? kMildComplaint : kMildRelief);
        }
        continue;
      }
      if (k + 1 >= n || !IsOneOf(lower(tokens_[k]), {"be", "do"}) || sentence_ends(k)) continue;
      ++k;
      bool more = false;
      if (const std::string_view m = lower(tokens_[k]); IsOneOf(m, {"more", "any"}) && k + 1 < n && !sentence_ends(k)) {
        more = m == "more";
        ++k;
      }
      SentimentToken& t = tokens_[k];
      const std::string_view w = lower(t);
      const bool comparative = more || w == "better" || w == "worse" || w.ends_with("ier") ||
                               (w.size() > 4 && w.ends_with("er"));
      if (comparative && (t.entry.flags & kLexValence) && t.entry.valence != 0 && !(t.flags & kTokConsumed)) {
        SetConstructionValence(t, t.entry.valence * 1.25f);
      }
    }
  }
}

size_t SentimentScorer::UnmetComparative(size_t modal, bool past_only) const {
  const size_t n = tokens_.size();
  // Token k's word while the sentence goes on, else "".
  const auto word = [&](size_t k) {
    return k < n && !(tokens_[k - 1].flags & kTokSentenceEnd) ? lower(tokens_[k]) : std::string_view();
  };
  size_t k = modal + 1;
  if (word(k) == "have" && IsOneOf(word(k + 1), {"been", "done"})) {
    k += 2;
  } else if (past_only || !IsOneOf(word(k), {"be", "do"})) {
    return n;
  } else {
    ++k;
  }
  for (int hops = 0; hops < 3 && k < n && word(k) != "more" && IsDegreeWord(k); ++hops) ++k;
  bool more = false;
  if (word(k) == "more") {
    more = true;
    ++k;
  }
  const std::string_view w = word(k);
  if (w.empty()) return n;
  const SentimentToken& t = tokens_[k];
  const bool comparative = more || w == "better" || w == "worse" || (w.size() > 4 && w.ends_with("er"));
  if (!comparative || !(t.entry.flags & kLexValence) || t.entry.valence == 0 || (t.flags & kTokConsumed)) return n;
  return k;
}

bool SentimentScorer::IsDegreeWord(size_t k) const {
  return (tokens_[k].entry.flags & kLexBooster) ||
         IsOneOf(lower(tokens_[k]), {"a", "lot", "much", "bit", "little", "tad", "far", "way", "even", "somewhat"});
}

bool SentimentScorer::BetterElsewhere(size_t better) const {
  const size_t n = tokens_.size();
  const auto clause_ends = [&](size_t k) { return (tokens_[k].flags & (kTokSentenceEnd | kTokClauseEnd)) != 0; };
  const auto word = [&](size_t k) { return lower(tokens_[k]); };
  // Before it, past degree words: "I've had (much) better", "there are (far) better".
  size_t b = better;
  while (b > 0 && !clause_ends(b - 1) && IsDegreeWord(b - 1)) --b;
  if (b >= 1 && !clause_ends(b - 1)) {
    const std::string_view w1 = word(b - 1);
    const std::string_view w2 = b >= 2 && !clause_ends(b - 2) ? word(b - 2) : std::string_view();
    if (w1 == "had" && IsOneOf(w2, {"i've", "ive", "we've", "weve", "have", "i", "we", "i'd"})) return true;
    if (IsOneOf(w1, {"there's", "theres"}) || (IsOneOf(w1, {"are", "is"}) && w2 == "there")) return true;
  }
  // After it in its clause, unless compared with it ("better here than anywhere else"):
  // "elsewhere", "anywhere else", "somewhere else", "out there".
  for (size_t k = better; k + 1 < n && k < better + 8 && !clause_ends(k); ++k) {
    const std::string_view w = word(k + 1);
    if (w == "than") return false;
    const std::string_view after = k + 2 < n && !clause_ends(k + 1) ? word(k + 2) : std::string_view();
    if (w == "elsewhere" || (IsOneOf(w, {"anywhere", "somewhere"}) && after == "else") ||
        (w == "out" && after == "there")) {
      return true;
    }
  }
  return false;
}

void SentimentScorer::SetConstructionValence(SentimentToken& t, float valence) {
  t.entry.valence = valence;
  t.entry.flags = static_cast<uint16_t>((t.entry.flags | kLexValence) & ~kLexBooster);
  t.flags |= kTokConstruction;
}

bool SentimentScorer::MayHoldConstruction() const {
  // Most texts hold none: the pass runs only when a construction's head word occurs, or
  // an action verb with a negator or "have" before it could.
  constexpr auto bit = [](CueWord c) { return uint64_t{1} << c; };
  constexpr uint64_t kHeads = bit(kCueToo) | bit(kCueTake) | bit(kCueWait) | bit(kCueKeep) | bit(kCueStill) |
                              bit(kCueCharge) | bit(kCueFail) | bit(kCueRemoved) | bit(kCueBring) | bit(kCueFix) |
                              bit(kCueUsed) | bit(kCueNothing) | bit(kCueLonger) | bit(kCueSeconds) |
                              bit(kCueTimeUnit) | bit(kCueRedo);
  constexpr uint64_t kObjects = bit(kCueAction) | bit(kCueDo) | bit(kCueMissing);
  if (cue_mask_ & kHeads) return true;
  if (!(cue_mask_ & kObjects)) return false;
  if (cue_mask_ & bit(kCueHave)) return true;
  for (const SentimentToken& t : tokens_) {
    if (t.flags & kTokNegated) return true;
  }
  return false;
}

void SentimentScorer::ApplyConstructions() {
  const size_t n = tokens_.size();
  const auto cue = [&](size_t k) { return tokens_[k].entry.cue; };
  // Valenced as a lexicon word (not a booster, not a construction head already).
  const auto valenced = [&](size_t k) {
    const uint16_t f = tokens_[k].entry.flags;
    return (f & kLexValence) && !(f & kLexBooster) && tokens_[k].entry.valence != 0.0f;
  };
  const auto ends_sentence = [&](size_t k) { return (tokens_[k].flags & kTokSentenceEnd) != 0; };
  // Gives token k a construction valence. Only words without one of their own, except a
  // positive action verb ("works") that a construction says did not happen.
  const auto set = [&](size_t k, float v, bool force = false) {
    SentimentToken& t = tokens_[k];
    if (t.flags & kTokConsumed) return;
    if (valenced(k) && !force && !(t.entry.cue == kCueAction && t.entry.valence > 0 && v < 0)) return;
    SetConstructionValence(t, v);
  };
  // The next token after k within the sentence, or n.
  const auto next = [&](size_t k) { return k + 1 < n && !ends_sentence(k) ? k + 1 : n; };
  // From k on, past fillers ("a", "me", "to", "even", numbers): the first other token within
  // `window` tokens of the sentence, or n. *number gets the last number passed.
  const auto skip_fillers = [&](size_t k, int window, int* number) {
    for (int w = 0; w < window && k < n; ++w) {
      const CueWord c = cue(k);
      const std::string_view form = lower(tokens_[k]);
      const int value = NumberValue(form);
      if (value >= 0 && number != nullptr) *number = value;
      if (c != kCueFiller && c != kCueTo && c != kCueLess && value < 0 && tokens_[k].word != kWordNo) return k;
      if (ends_sentence(k)) return n;
      k = k + 1;
    }
    return n;
  };
  // The first token from k on, within `window` tokens of the sentence, with a valence of
  // the given sign; n when none.
  const auto negative_within = [&](size_t k, int window, bool want_positive) -> size_t {
    for (int w = 0; w < window && k < n; ++w, ++k) {
      if (valenced(k) && ((tokens_[k].entry.valence > 0) == want_positive)) return k;
      if (ends_sentence(k)) break;
    }
    return n;
  };
  for (size_t i = 0; i < n; ++i) {
    const CueWord c = cue(i);
    // Most tokens start no construction: fillers, plain words.
    if (!((kConstructionStarts >> c) & 1u) && !(tokens_[i].flags & kTokNegated)) continue;
    const size_t j = next(i);
    switch (c) {
      case kCueToo:
        // "too many ads", "too small": the excess is the complaint. Not "not too bad",
        // "me too", nor "too good to be true".
        if (j < n && !(i > 0 && (tokens_[i - 1].flags & kTokNegated))) {
          if (cue(j) == kCueMany) {
            set(j, kComplaint);
          } else if ((tokens_[j].flags & kTokWord) && !valenced(j) && !(tokens_[j].entry.flags & kLexStopword) &&
                     cue(j) != kCueFiller) {
            set(j, kMildComplaint);
          }
        }
        break;
      case kCueTake:
      case kCueWait: {
        // "takes forever", "took two hours", "waited ages"; not "takes less than a minute",
        // nor "don't take 50 minutes".
        if (i > 0 && (tokens_[i - 1].flags & kTokNegated)) break;
        if (j < n && cue(j) == kCueAway) {
          set(j, kComplaint);  // "took away the offline mode"
          break;
        }
        int number = 0;
        const size_t k = skip_fillers(j, 4, &number);
        if (k == n) break;
        bool less = false;
        for (size_t q = j; q < k; ++q) less = less || cue(q) == kCueLess;
        if (less) break;
        if (cue(k) == kCueLongTime) {
          set(k, kComplaint);
        } else if (cue(k) == kCueTimeUnit) {
          set(k, kMildComplaint);
        } else if (cue(k) == kCueSeconds && number >= 10) {
          set(k, kMildComplaint);
        }
        break;
      }
      case kCueKeep:
        // "keeps logging me out", "stopped updating"; not "keeps getting better".
        if (j < n && lower(tokens_[j]).ends_with("ing") && negative_within(j, 4, true) == n) set(j, kComplaint);
        break;
      case kCueStill:
        // "still waiting", "still no reply", "still can't log in".
        if (j < n && (cue(j) == kCueWait || tokens_[j].word == kWordNo || (tokens_[j].flags & kTokNegated) ||
                      cue(j) == kCueNothing)) {
          if (cue(j) == kCueWait) {
            set(j, kComplaint);
          } else {
            set(i, kMildComplaint);
          }
        }
        break;
      case kCueCharge: {
        // "billed twice", "double charged", "still being charged".
        bool repeated = j < n && cue(j) == kCueRepeat;
        if (j < n && next(j) < n && cue(next(j)) == kCueRepeat) repeated = true;
        if (i > 0 && (cue(i - 1) == kCueRepeat || cue(i - 1) == kCueStill)) repeated = true;
        if (i > 1 && cue(i - 2) == kCueStill) repeated = true;
        if (repeated) set(i, kComplaint);
        break;
      }
      case kCueHave:
        // "had to reinstall it", "have to log in again"; not "haven't had to restart it",
        // "never had to call them".
        if (j < n && cue(j) == kCueTo && next(j) < n &&
            (cue(next(j)) == kCueRedo || cue(next(j)) == kCueAction ||
             (cue(next(j)) == kCueMissing && IsMissingVerb(lower(tokens_[next(j)])))) &&
            !(i > 0 && !ends_sentence(i - 1) && (tokens_[i - 1].flags & kTokNegated)) &&
            !(i > 1 && !ends_sentence(i - 2) && !ends_sentence(i - 1) && (tokens_[i - 2].flags & kTokNegated))) {
          set(next(j), kMildComplaint);
        }
        break;
      case kCueRemoved: {
        // "you removed the dark mode" complains, "removed my favourite feature" more so;
        // "removed the ads" praises.
        const size_t neg = negative_within(j, 4, false);
        if (neg < n) {
          tokens_[neg].flags |= kTokFlipped;
          break;
        }
        if (const size_t pos = negative_within(j, 4, true); pos < n) tokens_[pos].flags |= kTokFlipped;
        set(i, kComplaint);
        break;
      }
      case kCueBring:
        // "bring back the old layout", "give me back".
        for (size_t k = j, w = 0; k < n && w < 2; k = next(k), ++w) {
          if (cue(k) == kCueBack) {
            set(k, kMildComplaint);
            break;
          }
        }
        break;
      case kCueFix:
        // "fixed the battery drain": the problem is gone.
        if (const size_t neg = negative_within(j, 4, false); neg < n) tokens_[neg].flags |= kTokFlipped;
        break;
      case kCueUsed:
        // "used to be free", "used to work": no longer.
        if (j < n && cue(j) == kCueTo) {
          if (const size_t pos = negative_within(next(j), 3, true); pos < n) {
            tokens_[pos].flags |= kTokFlipped;
          } else if (next(j) < n && cue(next(j)) == kCueAction) {
            set(next(j), kComplaint);
          }
        }
        break;
      case kCueNothing:
        // "the button does nothing", "search returns nothing".
        if (i > 0 && cue(i - 1) == kCueDo && !ends_sentence(i - 1)) set(i, kComplaint);
        break;
      case kCueSeconds:
      case kCueTimeUnit: {
        // "replied within an hour", "loads in a second", "in minutes"; not "dies in two
        // hours" (hours are not quick).
        int number = 0;
        size_t k = i;
        for (int w = 0; w < 3 && k > 0 && !ends_sentence(k - 1); ++w) {
          --k;
          const std::string_view form = lower(tokens_[k]);
          if (cue(k) == kCueWithin) {
            set(i, kPraise);
            break;
          }
          if (form == "in") {
            if (c == kCueSeconds || (form.size() == 2 && lower(tokens_[i]).starts_with("min") && number < 10)) {
              set(i, kPraise);
            }
            break;
          }
          const int value = NumberValue(form);
          if (value >= 0) number = value;
          if (value < 0 && cue(k) != kCueFiller && cue(k) != kCueLess) break;
        }
        break;
      }
      default:
        break;
    }
    // "won't open", "never arrived", "nobody replied", "unable to connect", "no longer syncs".
    const bool no_longer = tokens_[i].word == kWordNo && j < n && cue(j) == kCueLonger;
    if ((tokens_[i].flags & kTokNegated) || c == kCueFail || no_longer) {
      size_t k = skip_fillers(no_longer ? next(j) : j, 4, nullptr);
      // Past a perfect's "has": "nobody has answered", "never has worked", "nobody has
      // ever replied". Not "haven't had to restart", whose "to" leads elsewhere.
      if (k < n && cue(k) == kCueHave && (tokens_[i].flags & kTokNegated) && next(k) < n) {
        size_t v = next(k);
        if (IsOneOf(lower(tokens_[v]), {"ever", "even", "yet", "really", "actually"}) && next(v) < n) v = next(v);
        if (cue(v) == kCueAction || cue(v) == kCueDo) k = v;
      }
      // A negative verb negated is still a complaint here: "can't cancel" is no praise.
      // The verbs among the missing things count too: "couldn't answer", "won't reply".
      if (k < n && (cue(k) == kCueAction || cue(k) == kCueCharge || cue(k) == kCueRedo || cue(k) == kCueDo ||
                    cue(k) == kCueBring || (cue(k) == kCueMissing && IsMissingVerb(lower(tokens_[k]))))) {
        set(k, kComplaint, !(tokens_[k].entry.flags & kLexDerived) || tokens_[k].entry.valence < 0);
      }
      // "no reply", "no way to export", "no option to".
      // "no way" alone is an exclamation; "no way to" is missing.
      if (tokens_[i].word == kWordNo && j < n && cue(j) == kCueMissing) {
        const std::string_view noun = lower(tokens_[j]);
        const bool needs_to = noun == "way" || noun == "idea" || noun == "clue" || noun == "option";
        if (!needs_to || (next(j) < n && cue(next(j)) == kCueTo)) set(j, kMildComplaint);
      }
    }
  }
}

float SentimentScorer::TokenValence(size_t i, size_t first, size_t last) const {
  const SentimentToken& t = tokens_[i];
  const LexEntry& e = t.entry;
  if ((t.flags & kTokConsumed) || (e.flags & kLexBooster) || !(e.flags & kLexValence)) return 0.0f;
  // A word set to no valence ("please", a want's "nice") stays at none: a booster before
  // it ("really wish", "would be so nice") has nothing to add to.
  if (e.valence == 0.0f) return 0.0f;

  auto word = [&](size_t k) { return tokens_[k].word; };
  auto in_lexicon = [&](size_t k) {
    const uint16_t f = tokens_[k].entry.flags;
    return (f & kLexValence) && !(f & kLexBooster);
  };
  auto negated = [&](size_t k) { return (tokens_[k].flags & kTokNegated) != 0; };
  auto so_or_this = [&](size_t k) { return word(k) == kWordSo || word(k) == kWordThis; };

  float v = e.valence;
  const size_t j = t.phrase_first;  // look back from the phrase's first word

  // "no" before another sentiment word negates it rather than scoring itself.
  if (word(i) == kWordNo && i + 1 < last &&
      (in_lexicon(i + 1) || (tokens_[i + 1].entry.cue == kCueMore && i + 2 < last && in_lexicon(i + 2)))) {
    v = 0.0f;  // "no more ads" too
  }
  // Negation does not reach emoji and emoticons (they are not propositions: "nope :-)"
  // is still a smile), nor "no" itself ("NO NO NO" is emphatic, not a double negative).
  if (t.flags & kTokFlipped) v *= kNegationScalar;
  const bool negatable = (t.flags & kTokWord) && !(t.flags & (kTokNegated | kTokConstruction));
  // Whether tokens k .. j-1 lie in j's clause: a negation does not reach across a comma
  // or a sentence's end ("No ads, love it", "No. Love it").
  const auto in_clause = [&](size_t k) {
    for (size_t q = k; q < j; ++q) {
      if (tokens_[q].flags & (kTokClauseEnd | kTokSentenceEnd)) return false;
    }
    return true;
  };
  if (!negatable) {
  } else if ((j > first && word(j - 1) == kWordNo && in_clause(j - 1)) ||
             (j > first + 1 && word(j - 2) == kWordNo && in_clause(j - 2)) ||
             (j > first + 2 && word(j - 3) == kWordNo && (word(j - 1) == kWordOr || word(j - 1) == kWordNor) &&
              in_clause(j - 3))) {
    v = e.valence * kNegationScalar;
  }
  if ((t.flags & kTokAllCaps) && cap_differential_) v += v > 0 ? kCapsIncrement : -kCapsIncrement;

  for (size_t s = 0; s < 3; ++s) {
    if (j <= first + s) break;
    const size_t k = j - (s + 1);
    // Not across a clause's end (as in_clause).
    if (tokens_[k].flags & (kTokClauseEnd | kTokSentenceEnd)) break;
    if (in_lexicon(k)) continue;
    const SentimentToken& p = tokens_[k];
    float scalar = 0.0f;
    if ((p.entry.flags & kLexBooster) && !(p.flags & kTokConsumed)) {
      scalar = v < 0 ? -p.entry.booster : p.entry.booster;
      if ((p.flags & kTokAllCaps) && cap_differential_) scalar += v > 0 ? kCapsIncrement : -kCapsIncrement;
    }
    // Modifiers further away count less.
    if (s == 1) scalar *= 0.95f;
    if (s == 2) scalar *= 0.9f;
    v += scalar;
    if (!negatable) {
      // emphasis only
    } else if (s == 0) {
      if (negated(k)) v *= kNegationScalar;
    } else if (s == 1) {
      if (word(j - 2) == kWordNever && so_or_this(j - 1)) {
        v *= 1.25f;  // "never so good": emphasis, not negation
      } else if (word(j - 2) == kWordWithout && word(j - 1) == kWordDoubt) {
        // "without doubt good" is affirmation
      } else if (negated(k)) {
        v *= kNegationScalar;
      }
    } else {
      // As in vaderSentiment 3.3: "so"/"this" right before the word also emphasises it.
      if ((word(j - 3) == kWordNever && so_or_this(j - 2)) || so_or_this(j - 1)) {
        v *= 1.25f;
      } else if (word(j - 3) == kWordWithout && (word(j - 2) == kWordDoubt || word(j - 1) == kWordDoubt)) {
      } else if (negated(k)) {
        v *= kNegationScalar;
      }
    }
  }
  // "least": "the least useful" flips, "at least useful" does not.
  if (j > first + 1 && !in_lexicon(j - 1) && word(j - 1) == kWordLeast) {
    if (word(j - 2) != kWordAt && word(j - 2) != kWordVery) v *= kNegationScalar;
  } else if (j > first && !in_lexicon(j - 1) && word(j - 1) == kWordLeast) {
    v *= kNegationScalar;
  }
  // "a single" reaches one word further: "never had a single issue", "haven't seen a
  // single ad" (VADER's three words stop at "had").
  if (negatable && j >= first + 4 && negated(j - 4) && !negated(j - 3) && !negated(j - 2) && !negated(j - 1) &&
      lower(tokens_[j - 1]) == "single") {
    v *= kNegationScalar;
  }
  return v;
}

double SentimentScorer::ScoreRange(size_t first, size_t last) {
  if (first >= last) return 0.0;
  if (implicit_pending_) DropImplicitValences();
  if (sentiments_.size() < tokens_.size()) {
    sentiments_.resize(tokens_.size());
    whole_text_valences_.resize(tokens_.size());
  }
  if (nonzero_.size() < tokens_.size()) nonzero_.resize(tokens_.size());
  const bool whole = first == 0 && last == tokens_.size();
  // Most tokens carry no valence, and adding a zero changes no sum: the sum below
  // visits only the others, in the same order.
  size_t nonzero = 0;
  // Gathered in the same pass: whether the range holds a contrast word at all, and its
  // '!' and '?' (every one of them lies in one of its tokens).
  unsigned range_flags = 0;
  uint32_t exclaims = 0;
  uint32_t questions = 0;
  for (size_t i = first; i < last; ++i) {
    // A token's valence depends on the range only through the three words before its
    // phrase and, for "no", the word after it: further inside, a clause reuses the
    // whole text's value.
    const SentimentToken& t = tokens_[i];
    range_flags |= t.flags;
    exclaims += t.emphasis & 15u;
    questions += t.emphasis >> 4u;
    float v;
    if ((t.flags & kTokConsumed) || (t.entry.flags & (kLexValence | kLexBooster)) != kLexValence) {
      v = 0.0f;  // TokenValence's own first test, without the call
    } else if (!whole && whole_text_valences_ready_ && t.phrase_first >= first + 3 &&
               (i + 1 < last || t.word != kWordNo)) {
      v = whole_text_valences_[i];
    } else {
      v = TokenValence(i, first, last);
    }
    sentiments_[i] = v;
    nonzero_[nonzero] = static_cast<uint32_t>(i);
    nonzero += v != 0.0f;
  }
  if (whole) {
    std::copy(sentiments_.begin(), sentiments_.begin() + static_cast<std::ptrdiff_t>(last), whole_text_valences_.begin());
    whole_text_valences_ready_ = true;
  }
  if (nonzero == 0) return 0.0;
  if (range_flags & kTokContrast) WeighContrast(first, last);

  double sum = 0.0;
  for (size_t k = 0; k < nonzero; ++k) sum += sentiments_[nonzero_[k]];
  if (sum == 0.0) return 0.0;

  // Exclamation and question marks intensify whichever way the text already leans.
  double emphasis = std::min<uint32_t>(exclaims, 4) * kExclaimIncrement;
  if (questions > 1) emphasis += questions <= 3 ? questions * kQuestionIncrement : 0.96;
  sum += sum > 0 ? emphasis : -emphasis;
  return NormalizeCompound(sum);
}

void SentimentScorer::WeighContrast(size_t first, size_t last) {
  // Per sentence: VADER applies its first "but" to the whole text, which lets one
  // sentence's "but" reweight its neighbours. A sentence that opens with "But" or
  // "However" contrasts with the sentence before it instead.
  size_t previous = last;  // start of the sentence before, when there is one
  size_t sentence = first;
  size_t contrast = last;
  bool opens_with_contrast = false;
  for (size_t i = first; i < last; ++i) {
    const uint16_t flags = tokens_[i].flags;
    if (!(flags & (kTokContrast | kTokSentenceEnd)) && i + 1 != last) continue;
    if (i == sentence && (flags & kTokContrast) && previous != last) opens_with_contrast = true;
    if (contrast == last && i > sentence && (flags & kTokContrast)) contrast = i;
    if ((flags & kTokSentenceEnd) || i + 1 == last) {
      if (opens_with_contrast) {
        for (size_t k = previous; k < sentence; ++k) sentiments_[k] *= kBeforeSentenceContrast;
        for (size_t k = sentence + 1; k <= i; ++k) sentiments_[k] *= kAfterContrast;
      } else if (contrast != last) {
        for (size_t k = sentence; k < contrast; ++k) sentiments_[k] *= kBeforeContrast;
        for (size_t k = contrast + 1; k <= i; ++k) sentiments_[k] *= kAfterContrast;
      }
      previous = sentence;
      sentence = i + 1;
      contrast = last;
      opens_with_contrast = false;
    }
  }
}

double SentimentScorer::ScoreAspect(uint32_t begin, uint32_t end) {
  const size_t n = tokens_.size();
  if (n == 0 || begin >= end) return 0.0;
  if (!whole_text_valences_ready_) ScoreAll();
  // The aspect's tokens [a0, a1].
  auto it = std::upper_bound(tokens_.begin(), tokens_.end(), begin,
                             [](uint32_t off, const SentimentToken& t) { return off < t.begin; });
  const size_t a0 = it == tokens_.begin() ? 0 : static_cast<size_t>(it - tokens_.begin()) - 1;
  size_t a1 = a0;
  while (a1 + 1 < n && tokens_[a1 + 1].begin < end) ++a1;
  // Its clause and its sentence.
  constexpr uint16_t kClause = kTokSentenceEnd | kTokClauseEnd;
  const auto contrast = [&](size_t k) { return (tokens_[k].flags & kTokContrast) != 0; };
  size_t c0 = a0;
  while (c0 > 0 && !(tokens_[c0 - 1].flags & kClause) && !contrast(c0)) --c0;
  size_t c1 = a1;
  while (c1 + 1 < n && !(tokens_[c1].flags & kClause) && !contrast(c1 + 1)) ++c1;
  size_t s0 = a0;
  while (s0 > 0 && !(tokens_[s0 - 1].flags & kTokSentenceEnd)) --s0;
  size_t s1 = a1;
  while (s1 + 1 < n && !(tokens_[s1].flags & kTokSentenceEnd)) ++s1;
  // Opinion words weighted by their distance in tokens from the aspect: an adjective
  // beside it or a predicate a few words on counts most. The aspect's own words name the
  // thing, they do not judge it ("the special", "happy hour", "fast food"). (Tried on the
  // SemEval-2014 training sets and dropped: discounting opinions beyond a preposition, a
  // distance cut, mixing in the sentence's score, "and"/"which"/"while" as clause bounds,
  // one sum over the sentence damped per boundary crossed, opinions under "if"/"wish"/
  // "hope" dropped or flipped, a neutral band wider than +-0.05; each no better or worse.)
  double sum = 0.0;
  bool opinion = false;
  for (size_t k = c0; k <= c1; ++k) {
    const float v = whole_text_valences_[k];
    if (v == 0.0f || (tokens_[k].flags & kTokImplicit) || (k >= a0 && k <= a1)) continue;
    const size_t d = k < a0 ? a0 - k : k - a1;
    sum += v / (1.0 + kAspectDistanceDecay * static_cast<double>(d));
    opinion = true;
  }
  // The yardstick of a comparison gets the opposite of what is said of the other side
  // ("runs much better than Windows", "superior compared to Vista").
  if (opinion && IsComparedAgainst(a0)) sum = -sum;
  if (opinion) return NormalizeCompound(sum);
  // No opinion word in its clause: the sentence's, damped ("I charge it at night" says
  // nothing of the cord even in a glowing sentence).
  return kAspectSentenceShare * ScoreRange(s0, s1 + 1);
}

bool SentimentScorer::IsComparedAgainst(size_t a0) const {
  // "than X", "than the old X", "compared to/with X", "superior/inferior to X"; not
  // "other than X", which excepts X and leaves what is said of it as it is.
  for (size_t k = a0 >= 3 ? a0 - 3 : 0; k < a0; ++k) {
    const std::string_view w = lower(tokens_[k]);
    if (w == "than") return k == 0 || lower(tokens_[k - 1]) != "other";
    if ((w == "to" || w == "with") && k > 0) {
      const std::string_view before = lower(tokens_[k - 1]);
      if (before == "compared" || (w == "to" && (before == "superior" || before == "inferior"))) return true;
    }
  }
  return false;
}

WordClasses SentimentScorer::CountWordClasses() const {
  WordClasses c;
  uint16_t any = 0;
  uint8_t persons = 0;
  for (const SentimentToken& t : tokens_) {
    any |= t.entry.flags;
    persons |= kPersonOf[t.word];
  }
  c.first_person = (persons & 1) != 0;
  c.second_person = (persons & 2) != 0;
  c.name_cue = (any & kLexNameCue) != 0;
  if (any & kLexStopForeign) {  // few English texts hold one
    for (const SentimentToken& t : tokens_) {
      const uint16_t f = t.entry.flags;
      c.foreign_stopwords[0] += (f & kLexStopEs) != 0;
      c.foreign_stopwords[1] += (f & kLexStopFr) != 0;
      c.foreign_stopwords[2] += (f & kLexStopDe) != 0;
      c.foreign_stopwords[3] += (f & kLexStopPt) != 0;
    }
  }
  return c;
}

void SentimentScorer::MarkQuestions() {
  questions_marked_ = true;
  // Backwards: a token is in a question when a '?' ends its sentence (or the text).
  bool question = false;
  for (size_t i = tokens_.size(); i-- > 0;) {
    SentimentToken& t = tokens_[i];
    if ((t.flags & kTokSentenceEnd) || i + 1 == tokens_.size()) question = (t.emphasis >> 4) != 0;
    if (question) t.flags |= kTokInQuestion;
  }
}

void SentimentScorer::DropImplicitValences() {
  // Per clause (between , : ; . ! ? and contrast words): a theme's implied valence stands
  // only where no word of the clause carries one, and never in a question. Clauses are
  // the same for every range scored, so this is decided once per text.
  implicit_pending_ = false;
  const size_t n = tokens_.size();
  size_t clause = 0;
  bool opinion = false;
  bool implicit = false;
  const auto drop = [&](size_t from, size_t to) {
    for (size_t k = from; k < to; ++k) {
      SentimentToken& t = tokens_[k];
      if (!(t.flags & kTokImplicit)) continue;
      t.flags &= static_cast<uint16_t>(~kTokImplicit);
      t.entry.valence = 0.0f;
      t.entry.flags &= static_cast<uint16_t>(~kLexValence);
    }
  };
  for (size_t i = 0; i < n; ++i) {
    const SentimentToken& t = tokens_[i];
    if ((t.flags & kTokContrast) && i > clause) {
      if (opinion && implicit) drop(clause, i);
      clause = i;
      opinion = implicit = false;
    }
    const uint16_t f = t.entry.flags;
    if (t.flags & kTokImplicit) {
      implicit = true;
    } else if ((f & kLexValence) && !(f & kLexBooster) && !(t.flags & kTokConsumed) &&
               (t.entry.valence != 0.0f || (t.flags & kTokConstruction)) &&
               !(t.word == kWordNo && i + 1 < n && (tokens_[i + 1].flags & kTokImplicit) &&
                 !(t.flags & (kTokSentenceEnd | kTokClauseEnd)))) {
      // A want's word set to nothing still says what the clause is about; "no" before a
      // problem ("no issues") negates it rather than being an opinion of its own.
      opinion = true;
    }
    if (!(t.flags & (kTokSentenceEnd | kTokClauseEnd)) && i + 1 != n) continue;
    // A question asks; it does not complain about what it names.
    if (implicit && (opinion || (t.flags & kTokInQuestion))) drop(clause, i + 1);
    clause = i + 1;
    opinion = implicit = false;
  }
}

void SentimentScorer::SetImplicitValence(uint32_t offset, float valence) {
  auto it = std::upper_bound(tokens_.begin(), tokens_.end(), offset,
                             [](uint32_t off, const SentimentToken& t) { return off < t.begin; });
  if (it == tokens_.begin()) return;
  SentimentToken& t = *std::prev(it);
  if (offset >= t.end || (t.entry.flags & (kLexValence | kLexBooster)) || (t.flags & kTokConsumed)) return;
  t.entry.valence = valence;
  t.entry.flags |= kLexValence;
  t.flags |= kTokImplicit;
  implicit_pending_ = true;
  if (!questions_marked_) MarkQuestions();
  whole_text_valences_ready_ = false;
  clause_scores_.clear();
}

double SentimentScorer::ScoreAll() { return ScoreRange(0, tokens_.size()); }

double SentimentScorer::ScoreClauseAt(uint32_t offset) {
  if (tokens_.empty()) return 0.0;
  // Themes often share a clause ("battery drains and it lags"): each clause is scored
  // once, and an offset inside one already scored skips the search for its bounds.
  for (const ClauseScore& c : clause_scores_) {
    if (offset >= c.begin_offset && offset < c.end_offset) return c.compound;
  }
  auto it = std::upper_bound(tokens_.begin(), tokens_.end(), offset,
                             [](uint32_t off, const SentimentToken& t) { return off < t.begin; });
  size_t idx = it == tokens_.begin() ? 0 : static_cast<size_t>(it - tokens_.begin()) - 1;
  auto is_contrast = [&](size_t k) { return (tokens_[k].flags & kTokContrast) != 0; };
  constexpr uint16_t kBoundary = kTokSentenceEnd | kTokClauseEnd;
  size_t first = idx;
  while (first > 0 && !(tokens_[first - 1].flags & kBoundary) && !is_contrast(first)) --first;
  size_t last = idx;
  while (last + 1 < tokens_.size() && !(tokens_[last].flags & kBoundary) && !is_contrast(last + 1)) ++last;
  const double compound = ScoreRange(first, last + 1);
  // The offsets that the search above maps into [first, last]: the walks give every token
  // of a clause the same bounds, so they are the clause's.
  const uint32_t begin_offset = first == 0 ? 0 : tokens_[first].begin;
  const uint32_t end_offset = last + 1 < tokens_.size() ? tokens_[last + 1].begin : UINT32_MAX;
  clause_scores_.push_back(ClauseScore{begin_offset, end_offset, compound});
  return compound;
}

}  // namespace voc::text
