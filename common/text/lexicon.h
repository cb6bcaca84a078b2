// The sentiment lexicon: every word class the scorer needs (valences, boosters,
// negators, contrast words, English stop words, multi-word phrases, emoji) in one flat
// open-addressing table keyed by the lowercased token, so scoring a token is one probe
// of one cache line. Immutable after Load; safe to share between threads.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "common/core/status.h"

namespace voc::text {

// Bits of LexEntry::flags.
enum LexFlag : uint16_t {
  kLexValence = 1u << 0,      // has a sentiment valence (VADER's "in lexicon")
  kLexBooster = 1u << 1,      // intensity modifier: booster holds +-0.293
  kLexNegator = 1u << 2,      // flips the valence of what follows
  kLexContrast = 1u << 3,     // "but" and kin: what follows outweighs what went before
  kLexStopword = 1u << 4,     // common English function word (language fast path)
  kLexPhraseStart = 1u << 5,  // first word of at least one multi-word entry
  kLexPhrase = 1u << 6,       // the entry is a multi-word phrase
  kLexEmoji = 1u << 7,        // the key is one emoji code point
  kLexDerived = 1u << 8,      // valence inherited from a base form (e.g. "crashing" <- "crash")
  kLexKnown = 1u << 9,        // set on every entry: a copied LexEntry with no flags is no entry
  kLexCue = 1u << 10,         // takes part in a complaint or praise construction (LexEntry::cue)
  // Function words of the other languages with phrases of their own (taxonomy.h): evidence
  // that a short text CLD2 or the English check took for English is not.
  kLexStopEs = 1u << 11,
  kLexStopFr = 1u << 12,
  kLexStopDe = 1u << 13,
  kLexStopPt = 1u << 14,
  kLexStopForeign = kLexStopEs | kLexStopFr | kLexStopDe | kLexStopPt,
  // A word of the cues a person's name follows ("name", "from"): only texts with one are
  // searched for those cues.
  kLexNameCue = 1u << 15,
};

// Words of the constructions that carry sentiment in feedback without any opinion word
// ("too many popups", "takes forever", "keeps logging me out", "won't open", "billed
// twice", "still waiting", "replied within an hour"); see SentimentScorer.
enum CueWord : uint8_t {
  kCueNone,
  kCueToo,        // too
  kCueMany,       // many, much
  kCueTake,       // take, takes, took, taking
  kCueWait,       // wait, waits, waited, waiting
  kCueLongTime,   // forever, ages, eternity
  kCueTimeUnit,   // minute(s), hour(s), day(s), week(s), month(s)
  kCueSeconds,    // second(s), sec(s)
  kCueFiller,     // a, an, the, few, several, couple, of, so, very, like, about, over, for, me, it, to, be, able, even
  kCueLess,       // less, under, only, just
  kCueKeep,       // keep, keeps, kept, keeping, stopped, stops
  kCueLonger,     // longer
  kCueStill,      // still
  kCueRepeat,     // twice, again, double, thrice, doubled
  kCueCharge,     // charged, billed, charge, charges, bill
  kCueAction,     // what a product should do: open, load, work, sync, reply, arrive, ...
  kCueFail,       // unable, fail, fails, failed, refuse(s|d): like a negator before an action
  kCueMissing,    // what "no" before it means is missing: response, reply, way, option, ...
  kCueMore,       // more: "no more ads" is praise
  kCueHave,       // have, has, had, having (have to)
  kCueTo,         // to
  kCueRedo,       // what a user should not have to do: reinstall, restart, reset, call, pay, ...
  kCueRemoved,    // removed, remove, dropped, killed
  kCueAway,       // away, rid (took away, got rid of)
  kCueBring,      // bring, give, put (bring back)
  kCueBack,       // back
  kCueFix,        // fixed, solved, resolved, sorted, cured: their object's sentiment is undone
  kCueWithin,     // within, in
  kCueUsed,       // used (used to be good)
  kCueDo,         // do, does, did, shows, returns, finds (does nothing)
  kCueNothing,    // nothing
  kCueSpeed,      // fast, quickly, rapidly: after a bad thing, more of it ("drains fast")
  kCueWould,      // would, i'd, it'd, ...: "would be nice", "would love" ask, they do not praise
  kCueWish,       // wish: "I wish it didn't crash" says that it does
  kCueUntil,      // until, till: "was great until the update" is no longer great
  kCueCould,      // couldn't, could, can't, should: "couldn't be happier" is the most, "could be better" wants
  kCueBetter,     // better: "I've had better", "better apps out there" say this one is worse
};

// Words that the valence rules look for around a sentiment word ("no", "never so",
// "without doubt", "at least", ...).
enum SpecialWord : uint8_t {
  kWordNone,
  kWordNo,
  kWordSo,
  kWordThis,
  kWordNever,
  kWordWithout,
  kWordDoubt,
  kWordLeast,
  kWordAt,
  kWordVery,
  kWordOr,
  kWordNor,
  // Persons, for the feedback type: who reports, and who is addressed.
  kWordI,
  kWordMe,
  kWordMy,
  kWordWe,
  kWordOur,
  kWordYou,
  kWordYour,
};

// The spelling of each SpecialWord, indexed by its value.
inline constexpr std::array<std::string_view, kWordYour + 1> kSpecialWordNames = {
    "", "no", "so", "this", "never", "without", "doubt", "least", "at", "very", "or", "nor",
    "i", "me", "my", "we", "our", "you", "your"};

// kWordNone for any other word. Every special word is a lexicon key, so the hot path
// takes it from LexEntry::word instead.
SpecialWord SpecialWordOf(std::string_view word);

struct LexEntry {
  float valence = 0.0f;
  float booster = 0.0f;
  uint16_t flags = 0;
  SpecialWord word = kWordNone;  // SpecialWordOf(key), so a found token need not compare
  CueWord cue = kCueNone;        // its part in constructions (kLexCue set when not none)
};

class Lexicon {
 public:
  // Loads vader_lexicon.txt, emoji_utf8_lexicon.txt and customer_feedback.txt (all in
  // VADER's "term<TAB>valence<TAB>..." format, except the emoji file's
  // "emoji<TAB>description") from `dir`, and adds the built-in rule words.
  static Result<Lexicon> Load(const std::string& dir);

  // `key` must already be lowercased; nullptr when absent.
  const LexEntry* Find(std::string_view key) const;

  // The longest phrase, in words, the scorer matches; Load refuses a longer one.
  static constexpr size_t kMaxPhraseWords = 4;

  // The hot path: the same, but `key.data()` must be followed by at least kPadding
  // readable bytes (whatever they hold), so short keys are read as two 8-byte words.
  static constexpr size_t kPadding = 16;
  static uint64_t HashPadded(std::string_view key) {
    const size_t n = key.size();
    if (n > 16) return HashLong(key);
    return HashShort(LoadMasked(key.data(), n), n > 8 ? LoadMasked(key.data() + 8, n - 8) : 0, n);
  }
  const LexEntry* FindPadded(std::string_view key) const { return FindPadded(key, HashPadded(key)); }
  // With the HashPadded() computed earlier, e.g. to Prefetch() a batch first.
  const LexEntry* FindPadded(std::string_view key, uint64_t hash) const;
  void Prefetch(uint64_t hash) const {
    if (slots_.empty()) return;
    __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]);
  }

  // False when no multi-word phrase has a second word with this HashPadded(): most
  // phrase-start words ("the", "a", "not") are followed by none.
  bool MaybePhraseSecondWord(uint64_t hash) const { return TestBit(second_words_, hash); }
  // False when no multi-word phrase is, or starts with the two words of, this
  // HashPadded(): spares the table probe (a cache miss) for "in the", "a bit more" and the
  // like, and the longer keys after a pair that starts none.
  bool MaybePhrase(uint64_t hash) const { return TestBit(phrases_, hash); }

  size_t size() const { return count_; }

 private:
  // Open addressing (linear probing) over 32-byte slots that hold the key's first 16
  // bytes and the entry itself, at most a third full: a lookup, hit or miss, nearly
  // always reads one cache line, the one AddToken prefetched. Keys longer than 16 bytes
  // (a few phrases and emoji sequences) keep the rest in long_keys_.
  struct alignas(32) Slot {
    char key[16] = {};  // zero-padded
    LexEntry entry;
    // Key length 1..16, or kLongKey with the rest at long_keys_[meta >> 8]:
    // a 4-byte full length, then bytes 16.. of the key. 0 marks an empty slot.
    uint32_t meta = 0;
  };
  static_assert(sizeof(Slot) == 32);
  static constexpr uint32_t kLongKey = 17;

  // Load() builds the entries in insertion order (derived forms depend on it) with a
  // plain map, then lays them out in the table.
  struct Builder;
  Status Freeze(const Builder& builder);
  const LexEntry* FindLong(std::string_view key, uint64_t hash) const;

  static uint64_t LoadWord(const char* p) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    return w;
  }
  // The first n (0..8) bytes at p as a little-endian word, the rest zero; p must have
  // 8 readable bytes.
  static uint64_t LoadMasked(const char* p, size_t n) {
    const uint64_t w = LoadWord(p);
    return n >= 8 ? w : w & ((uint64_t{1} << (n * 8)) - 1);
  }
  static uint64_t Mix(uint64_t h) {
    h ^= h >> 32;
    h *= 0xD6E8FEB86659FD93ull;
    h ^= h >> 32;
    return h;
  }
  // Keys of up to 16 bytes, as two zero-padded words: two multiplies, no loop.
  static uint64_t HashShort(uint64_t w0, uint64_t w1, size_t n) {
    return Mix(((w0 ^ 0x9E3779B97F4A7C15ull) * 0xBF58476D1CE4E5B9ull) ^ ((w1 + n) * 0x94D049BB133111EBull));
  }
  // Any key, without reading past its end.
  static uint64_t HashLong(std::string_view key);

  // Bloom filters of one hash over 2^15 bits (4 KiB): a handful of phrases leaves them
  // nearly empty.
  static constexpr uint64_t kFilterBits = 1u << 15;
  using Filter = std::vector<uint64_t>;
  static bool TestBit(const Filter& f, uint64_t hash) {
    const uint64_t bit = (hash >> 20) & (kFilterBits - 1);
    return (f[bit >> 6] >> (bit & 63)) & 1u;
  }
  static void SetBit(Filter& f, uint64_t hash) {
    const uint64_t bit = (hash >> 20) & (kFilterBits - 1);
    f[bit >> 6] |= uint64_t{1} << (bit & 63);
  }

  std::vector<Slot> slots_;
  std::string long_keys_;
  Filter second_words_ = Filter(kFilterBits / 64);  // second words of multi-word phrases
  Filter phrases_ = Filter(kFilterBits / 64);       // multi-word phrases
  size_t count_ = 0;
};

inline const LexEntry* Lexicon::FindPadded(std::string_view key, uint64_t h) const {
  const size_t n = key.size();
  if (n == 0 || slots_.empty()) return nullptr;
  if (n > 16) return FindLong(key, h);
  const uint64_t w0 = LoadMasked(key.data(), n);
  const uint64_t w1 = n > 8 ? LoadMasked(key.data() + 8, n - 8) : 0;
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.meta == n && LoadWord(s.key) == w0 && LoadWord(s.key + 8) == w1) return &s.entry;
    if (s.meta == 0) return nullptr;
  }
}

}  // namespace voc::text
