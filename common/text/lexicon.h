// The sentiment lexicon: every word class the scorer needs (valences, boosters,
// negators, contrast words, English stop words, multi-word phrases, emoji) in one flat
// open-addressing table keyed by the lowercased token, so scoring a token is one probe.
// Immutable after Load; safe to share between threads.
#pragma once

#include <cstdint>
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
};

struct LexEntry {
  float valence = 0.0f;
  float booster = 0.0f;
  uint16_t flags = 0;
};

class Lexicon {
 public:
  // Loads vader_lexicon.txt, emoji_utf8_lexicon.txt and customer_feedback.txt (all in
  // VADER's "term<TAB>valence<TAB>..." format, except the emoji file's
  // "emoji<TAB>description") from `dir`, and adds the built-in rule words.
  static Result<Lexicon> Load(const std::string& dir);

  // `key` must already be lowercased; nullptr when absent.
  const LexEntry* Find(std::string_view key) const { return Find(key, Hash(key)); }
  // The same with the key's Hash() computed earlier, e.g. to Prefetch() a batch first.
  const LexEntry* Find(std::string_view key, uint64_t hash) const;
  static uint64_t Hash(std::string_view key);
  void Prefetch(uint64_t hash) const {
    if (!slots_.empty()) __builtin_prefetch(&slots_[hash & (slots_.size() - 1)]);
  }

  size_t size() const { return count_; }

 private:
  // Open addressing over 8-byte slots (a hash tag and an entry index), so a miss, the
  // common case for running text, touches one cache line of a compact array.
  struct Slot {
    uint32_t tag = 0;    // upper hash bits, never 0; 0 marks an empty slot
    uint32_t index = 0;  // into entries_
  };
  struct Stored {
    uint32_t key_offset = 0;
    uint32_t key_length = 0;
    LexEntry entry;
  };

  LexEntry* Upsert(std::string_view key);
  void Grow();
  void AddDerivedForms();
  std::string_view KeyOf(const Stored& s) const { return std::string_view(keys_).substr(s.key_offset, s.key_length); }

  std::string keys_;  // every key, back to back
  std::vector<Stored> entries_;
  std::vector<Slot> slots_;
  size_t count_ = 0;
};

}  // namespace voc::text
