// The verified negation cue (SignalCue::verify) replaced two regex cues whose Hyperscan
// engines ran after every "not" of a text. Its construction check (BugAfterNegation) must
// match exactly where either regex did: the regexes are the specification here, compiled
// as the scanner compiled them, and compared with the check on seeded combinations of the edge cases (case, whitespace that is and is
// not \s, curly apostrophes, words at and past the 24-character bounds, punctuation at the
// word boundaries, multi-word spellings with two spaces).
#include "common/text/signals.h"

#include <gtest/gtest.h>
#include <hs.h>

#include <array>
#include <random>
#include <string>
#include <vector>

#include "common/text/theme_matcher.h"
#include "tests/text/default_scanner.h"

namespace voc::text {
namespace {

#define NEG                                                                                                       \
  "(?:won'?t|will not|can'?t|cannot|can not|doesn'?t|does not|don'?t|do not|didn'?t|did not|isn'?t|is not|" \
  "wouldn'?t|couldn'?t|unable to|fails? to|failed to|no longer|not)"
#define VERB                                                                                                       \
  "(?:open|load|start|launch|play|work|connect|sync|show|display|respond|download|upload|install|update|save|"  \
  "send|log ?in|sign ?in|login|boot|run|print|stream|refresh|charge|pair|watch|read|keep|remember|recogni[sz]e|" \
  "detect|hear|stay|resume|seek|close|exit|quit|render|decode|convert|record|import|export|recover|scroll|"     \
  "go off|ring|sync|rotate|zoom|print|delete|uninstall|appear|function|activate|access)\\w{0,24}"
// The two regex cues as they were, wrapped in \b as the scanner wrapped every regex cue.
constexpr std::array<const char*, 2> kReplacedRegexes = {
    "\\b(?:" NEG "\\s+(?:\\w{1,24}\\s+)?" VERB ")\\b",
    "\\b(?:(?:it|vlc|firefox|the (?:app|program|player|browser|system|computer|device|phone|software))\\s+" NEG
    "\\s+(?:\\w{1,24}\\s+)?(?:find|see)\\w{0,24})\\b",
};
#undef NEG
#undef VERB

class Regex {
 public:
  explicit Regex(const char* expression) {
    hs_compile_error_t* error = nullptr;
    if (hs_compile(expression, HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH, HS_MODE_BLOCK, nullptr, &db_, &error) !=
        HS_SUCCESS) {
      ADD_FAILURE() << error->message;
      hs_free_compile_error(error);
      return;
    }
    hs_alloc_scratch(db_, &scratch_);
  }
  ~Regex() {
    hs_free_scratch(scratch_);
    hs_free_database(db_);
  }
  bool Matches(const std::string& text) const {
    bool hit = false;
    hs_scan(db_, text.data(), static_cast<unsigned>(text.size()), 0, scratch_,
            [](unsigned, unsigned long long, unsigned long long, unsigned, void* ctx) -> int {
              *static_cast<bool*>(ctx) = true;
              return 1;
            },
            &hit);
    return hit;
  }

 private:
  hs_database_t* db_ = nullptr;
  hs_scratch_t* scratch_ = nullptr;
};

// Seeded texts built from the pieces the two constructions are made of, and their edges.
std::vector<std::string> Texts() {
  const std::vector<std::string> before = {"", "x", "(", "I ", "it ", "IT ", "Vlc\t", "the app ", "the  app ", "The Phone\n",
                                           "bit ", "the-app ", "Firefox ", "it\xc2\xa0", "so, it "};
  const std::vector<std::string> negations = {
      "not", "NOT", "cannot", "can not", "can  not", "won't", "wont", "won\xe2\x80\x99t", "unable to", "unable  to",
      "fails to", "fail to", "failed to", "no longer", "no-longer", "will not", "Does Not", "doesnt", "isn't",
      "knot", "x-not", "_not", "couldn't", "wouldnt", "don't", "didnt"};
  const std::vector<std::string> gaps = {" ", "  ", "\t", "\v", "\f", "\n", "\r\n", "\xc2\xa0", "", "-", ", ", "\x1c"};
  const std::vector<std::string> middles = {"",
                                            "even ",
                                            "really\t",
                                            "a_b ",
                                            "x9 ",
                                            std::string(24, 'a').append(" "),
                                            std::string(25, 'a').append(" "),
                                            "re-",
                                            "ever, ",
                                            "always  "};
  const std::vector<std::string> verbs = {"open",  "OPENING", "opens.",   "log in", "login",   "log  in", "LogIn",
                                          "sign in", "go off", "go  off", "recognize", "recognise", "find", "see",
                                          "seeing", "Finding", "opener", std::string("open").append(20, 'x'),
                                          std::string("open").append(24, 'x'), std::string("open").append(25, 'x'), "play_",
                                          "work!", "operate", "keep", "sync\xc3\xa9", "go offline"};
  const std::vector<std::string> after = {"", ".", "x", " now", "\xc3\xa9", "-", "_"};
  std::mt19937 rng(20261206);
  auto pick = [&](const std::vector<std::string>& v) { return v[rng() % v.size()]; };
  std::vector<std::string> texts;
  for (int i = 0; i < 60'000; ++i) {
    // Appended piece by piece: GCC 12 warns falsely on "literal" + std::string&&.
    std::string t;
    for (const auto* pieces : {&before, &negations, &gaps, &middles, &verbs, &after}) t += pick(*pieces);
    if (i % 7 == 0) {
      t += ' ';
      for (const auto* pieces : {&before, &negations, &gaps, &verbs}) t += pick(*pieces);
    }
    texts.push_back(std::move(t));
  }
  return texts;
}

TEST(VerifiedCues, MatchExactlyWhereTheRegexesTheyReplacedDid) {
  const Regex negated_verb(kReplacedRegexes[0]);
  const Regex cannot_find(kReplacedRegexes[1]);
  std::array<size_t, 2> matched{};
  size_t texts = 0;
  for (const std::string& text : Texts()) {
    bool verified = false;
    for (size_t end = 0; end <= text.size() && !verified; ++end) verified = BugAfterNegation(text, end);
    const std::array<bool, 2> expected = {negated_verb.Matches(text), cannot_find.Matches(text)};
    matched[0] += expected[0];
    matched[1] += expected[1];
    ++texts;
    ASSERT_EQ(verified, expected[0] || expected[1]) << "\"" << text << "\"";
  }
  // Each regex matches often enough, and not always, or the comparison proves little.
  for (size_t c = 0; c < matched.size(); ++c) {
    EXPECT_GT(matched[c], 1'000u) << "regex " << c;
    EXPECT_LT(matched[c], texts / 2) << "regex " << c;
  }
}

// The anchors are complete: wherever either regex matched, the scanner counts the bug
// cue, which it can only do through an anchor's occurrence. (The cue also leaves out
// warnings such as "Don't download"; none of the seeded verbs is one.)
TEST(VerifiedCues, TheScannerFindsEveryMatchThroughItsAnchors) {
  const auto fixture = test::MakeDefaultScanner();
  ASSERT_NE(fixture, nullptr);
  const Regex negated_verb(kReplacedRegexes[0]);
  const Regex cannot_find(kReplacedRegexes[1]);
  std::vector<ThemeHit> hits;
  SignalCounts counts;
  size_t checked = 0;
  for (const std::string& text : Texts()) {
    if (!negated_verb.Matches(text) && !cannot_find.Matches(text)) continue;
    ++checked;
    fixture->scanner->Scan(text, &hits, &counts);
    ASSERT_EQ(counts[Signal::kBug], 1) << "\"" << text << "\"";
  }
  EXPECT_GT(checked, 2'000u);
}

}  // namespace
}  // namespace voc::text
