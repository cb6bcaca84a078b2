// Rule-based sentiment in the VADER family (Hutto & Gilbert 2014): lexicon valences,
// negation scope, boosters and dampeners, contrast ("but") weighting, ALL-CAPS and "!"
// emphasis, emoji and emoticons, normalised to a compound score in [-1, 1].
// Extends VADER with multi-word lexicon phrases, inflected forms, contrast handled per
// sentence, and scores of single clauses (the sentiment around a theme mention).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "common/text/lexicon.h"

namespace voc::text {

struct SentimentToken {
  uint32_t begin = 0;  // byte span of the token in the tokenized text
  uint32_t end = 0;
  uint32_t lower = 0;  // lowercased, punctuation-stripped form: offset into the scratch
  uint32_t lower_len = 0;
  LexEntry entry;  // a copy of the word's own entry or the phrase's ending here; flags 0: none
  uint32_t phrase_first = 0;        // first token of that phrase (== own index otherwise)
  uint16_t flags = 0;               // SentimentTokenFlag bits
  uint8_t word = 0;                 // SpecialWord of the lowercased form
  uint8_t emphasis = 0;             // '!' count (low 4 bits) and '?' count, each at most 15
};


enum SentimentTokenFlag : uint16_t {
  kTokAllCaps = 1u << 0,      // Python's str.isupper(): shouting
  kTokSentenceEnd = 1u << 1,  // token ends with . ! ? or ;
  kTokClauseEnd = 1u << 2,    // token ends with , : or a dash: a weaker boundary
  kTokConsumed = 1u << 3,     // inner word of a phrase scored on its last token
  kTokNegated = 1u << 4,      // a negator ("not", "never", anything with "n't")
  kTokWord = 1u << 5,         // has at least one letter
  kTokElongated = 1u << 6,    // "soooo goooood": found after collapsing repeated letters
  kTokContrast = 1u << 7,     // "but" and kin, not inside a phrase
  kTokConstruction = 1u << 8,  // valence from a construction ("won't open"): negation already applied
  kTokImplicit = 1u << 9,      // valence implied by a problem theme; counts only in a clause without opinion words
  kTokFlipped = 1u << 10,      // its sentiment is undone ("fixed the lag", "removed my favourite feature")
  kTokInQuestion = 1u << 11,   // in a sentence that ends with '?' (marked only when the text has one)
};

struct WordClasses {
  bool first_person = false;   // "I", "me", "my", "we", "our"
  bool second_person = false;  // "you", "your"
  bool name_cue = false;       // a word of the cues a person's name follows (kLexNameCue)
  std::array<uint16_t, 4> foreign_stopwords{};  // Spanish, French, German, Portuguese
};

// Reuses its buffers across calls: no allocation once they have grown to the largest
// text seen. NOT thread-safe; one per thread. The lexicon must outlive it.
class SentimentScorer {
 public:
  explicit SentimentScorer(const Lexicon* lexicon) : lexicon_(lexicon) {}

  // Tokenizes and scores a whole text: the compound in [-1, 1].
  double Score(std::string_view text);

  // Tokenizes `text` (kept by reference until the next call) for the calls below.
  void Tokenize(std::string_view text);
  // Gives the word at byte `offset` of the tokenized text a valence of its own (a problem
  // theme's evidence: "battery", "ads"), used only where its clause has no opinion word
  // and not in questions. Call after Tokenize, before the scores.
  void SetImplicitValence(uint32_t offset, float valence);
  // Compound of the whole tokenized text.
  double ScoreAll();
  // Compound of the clause (sentence part between punctuation or contrast words)
  // holding byte `offset` of the tokenized text.
  double ScoreClauseAt(uint32_t offset);
  // Sentiment toward the aspect at bytes [begin, end) of the tokenized text: the opinion
  // words of its clause other than its own, the nearer the heavier ("the X is great",
  // "great X", "X works well"), negation included, reversed for the yardstick of a
  // comparison ("better than X"); when its clause holds none, its sentence's sentiment.
  // Call after ScoreAll.
  double ScoreAspect(uint32_t begin, uint32_t end);

  const std::vector<SentimentToken>& tokens() const { return tokens_; }
  std::string_view lower(const SentimentToken& t) const { return std::string_view(lower_.data() + t.lower, t.lower_len); }
  uint32_t word_count() const { return word_count_; }
  uint32_t stopword_count() const { return stopword_count_; }
  // Words found in the (English) sentiment lexicon: evidence the text is English.
  uint32_t lexicon_word_count() const { return lexicon_word_count_; }
  // Classes of the tokenized words that the analyzer needs besides sentiment; counted on
  // request, so that scoring alone does not pay for them.
  WordClasses CountWordClasses() const;

 private:
  void AddToken(uint32_t begin, uint32_t end, unsigned byte_classes);
  void AddEmojiToken(uint32_t begin, uint32_t end, const LexEntry* entry);
  void ResolveTokens();
  void ResolvePhrases();
  // Valences of complaint and praise constructions that hold no opinion word.
  bool MayHoldConstruction() const;
  void ApplyConstructions();
  // Speed words after a bad thing ("drains fast") made part of the complaint.
  [[gnu::cold]] void StripCurlyQuotes(uint32_t* sb, uint32_t* se) const;
  [[gnu::cold]] unsigned CompactCurlyApostrophes(SentimentToken& t, unsigned classes);
  void ApplySpeedOfBadThings();
  void ApplyWants();
  void ApplyChangeAndExtremes();
  // After the modal at token `modal` ("could", "should", "would"): the comparative of an
  // unmet want ("could be better", "should have been faster", "could do a lot better") or
  // of a fear ("could be worse"), or tokens_.size(). With past_only, only "have been" and
  // "have done" count.
  size_t UnmetComparative(size_t modal, bool past_only) const;
  // Whether token k says how much: "much", "way", "a lot", "a bit", boosters.
  bool IsDegreeWord(size_t k) const;
  // Whether the "better" at token `better` is had somewhere else ("I've had better", "there
  // are better apps", "better food elsewhere"), not here.
  bool BetterElsewhere(size_t better) const;
  // Gives a token a construction's valence (not negated again, no longer a booster).
  static void SetConstructionValence(SentimentToken& t, float valence);
  // Sets kTokInQuestion on the tokens of sentences that end with '?'.
  void MarkQuestions();
  // Takes back implicit valences in clauses with an opinion word, and in questions.
  void DropImplicitValences();
  double ScoreRange(size_t first, size_t last);
  // Contrast weighting of sentiments_ over the token range [first, last).
  void WeighContrast(size_t first, size_t last);
  float TokenValence(size_t i, size_t first, size_t last) const;
  // Whether the aspect starting at token a0 is what something is compared against.
  bool IsComparedAgainst(size_t a0) const;

  const Lexicon* lexicon_;
  std::string_view text_;
  std::vector<SentimentToken> tokens_;
  // Per token, what the lookup pass needs: the stripped form's hash (then the final
  // form's, for the phrase filter) and the raw form.
  struct Pending {
    uint64_t hash = 0;
    uint32_t raw_lower = 0;
    uint32_t raw_len = 0;
    bool apostrophe = false;
    bool resolved = false;  // emoji tokens arrive with their entry
  };
  std::vector<Pending> pending_;
  std::vector<char> lower_;  // the text lowercased, at its own offsets (token forms point here)
  size_t all_caps_count_ = 0;
  std::vector<float> sentiments_;  // per-token valence of the range being scored
  std::vector<uint32_t> nonzero_;  // the tokens of that range whose valence is not zero
  struct ClauseScore {
    uint32_t begin_offset;  // the offsets [begin_offset, end_offset) lie in the clause
    uint32_t end_offset;
    double compound;
  };
  std::vector<ClauseScore> clause_scores_;  // of the tokenized text, as ScoreClauseAt found them
  std::vector<float> whole_text_valences_;  // before contrast weighting, once ScoreAll ran
  bool whole_text_valences_ready_ = false;
  bool cap_differential_ = false;
  uint64_t cue_mask_ = 0;       // bit c: some token's CueWord is c
  bool implicit_pending_ = false;  // SetImplicitValence ran since DropImplicitValences
  uint32_t word_count_ = 0;
  uint32_t stopword_count_ = 0;
  uint32_t lexicon_word_count_ = 0;
  bool questions_marked_ = false;  // MarkQuestions ran on these tokens
};

// VADER's normalisation: x / sqrt(x^2 + 15), clamped to [-1, 1].
double NormalizeCompound(double sum);

}  // namespace voc::text
