// Candidate phrases of emerging topics (common/text/phrases.h): normalisation, stop words
// at the edges only, what breaks a run of words, PII placeholders, numbers and the cap.
#include "common/text/phrases.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace voc::text {
namespace {

std::vector<std::string> Phrases(std::string_view text, size_t max = kMaxPhrasesPerFeedback) {
  std::vector<std::string> out = {"left over", "from before"};  // reused, never leaked into the result
  ExtractPhrases(text, &out, max);
  return out;
}

using V = std::vector<std::string>;

TEST(Phrases, OneToThreeWordsInTextOrderStopWordsNeverAtTheEdges) {
  EXPECT_EQ(Phrases("The app crashes when I open dark mode."),
            (V{"app", "crashes", "app crashes", "open", "dark", "open dark", "mode", "dark mode", "open dark mode"}));
}

TEST(Phrases, StopWordsMaySitInside) {
  EXPECT_EQ(Phrases("sign in page"), (V{"sign", "page", "sign in page"}));
  EXPECT_EQ(Phrases("of the"), V{});
  EXPECT_TRUE(IsPhraseStopWord("the"));
  EXPECT_TRUE(IsPhraseStopWord("which"));
  EXPECT_FALSE(IsPhraseStopWord("refund"));
}

TEST(Phrases, PunctuationEndsARunWhitespaceDoesNot) {
  EXPECT_EQ(Phrases("billing, export"), (V{"billing", "export"}));
  EXPECT_EQ(Phrases("billing  \t export"), (V{"billing", "export", "billing export"}));
  EXPECT_EQ(Phrases("love it 😍 dark mode"), (V{"love", "dark", "mode", "dark mode"})) << "an emoji is a break";
  EXPECT_EQ(Phrases("refund\nplease"), (V{"refund"})) << "a line break is a break";
}

TEST(Phrases, LowerCaseUnicodeAndWordInnerApostrophesAndHyphens) {
  EXPECT_EQ(Phrases("ÉCRAN Noir"), (V{"écran", "noir", "écran noir"}));
  EXPECT_EQ(Phrases("ÜBERWEISUNG"), (V{"überweisung"}));
  EXPECT_EQ(Phrases("Wi-Fi drops"), (V{"wi-fi", "drops", "wi-fi drops"}));
  EXPECT_EQ(Phrases("the app’s icon"), (V{"app's", "icon", "app's icon"})) << "a typographic apostrophe is normalised";
  EXPECT_EQ(Phrases("'dark mode'"), (V{"dark", "mode", "dark mode"})) << "quotes are not inside words";
}

// ASCII takes a fast path that must read each character as its Unicode category does:
// letters and digits are letters (a digit spoils its word), ' and - join two letters,
// space and tab separate words, and everything else (punctuation, symbols, controls,
// line breaks) also ends the run of words.
TEST(Phrases, EveryAsciiCharacterPlaysItsUnicodePart) {
  for (int c = 1; c < 128; ++c) {
    const char ch = static_cast<char>(c);
    const std::string text = std::string("alpha") + ch + "beta gamma";
    std::set<std::string> expected;
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (letter || c == '\'' || c == '-') {
      const char joined = letter ? static_cast<char>(c | 0x20) : ch;  // lower case
      const std::string word = std::string("alpha") + joined + "beta";
      expected = {word, "gamma", word + " gamma"};
    } else if (c >= '0' && c <= '9') {
      expected = {"gamma"};
    } else if (c == ' ' || c == '\t') {
      expected = {"alpha", "beta", "alpha beta", "gamma", "beta gamma", "alpha beta gamma"};
    } else {
      expected = {"alpha", "beta", "gamma", "beta gamma"};
    }
    std::vector<std::string> out;
    ExtractPhrases(text, &out);
    EXPECT_EQ(std::set<std::string>(out.begin(), out.end()), expected) << "character " << c;
  }
}

TEST(Phrases, OtherLanguagesStopWords) {
  EXPECT_EQ(Phrases("la aplicación se cierra"), (V{"aplicación", "cierra", "aplicación se cierra"}));
  EXPECT_EQ(Phrases("die App stürzt ab"), (V{"app", "stürzt", "app stürzt"}));
  EXPECT_EQ(Phrases("le mode sombre"), (V{"mode", "sombre", "mode sombre"}));
}

TEST(Phrases, NumbersPlaceholdersAndLongWordsBreakAndNeverAppear) {
  EXPECT_EQ(Phrases("call me at [PHONE] about order 12345 refund"), (V{"call", "order", "refund"}));
  EXPECT_EQ(Phrases("mail [EMAIL] today"), (V{"mail", "today"}));
  EXPECT_EQ(Phrases("mp3 export broken"), (V{"export", "broken", "export broken"})) << "a word with a digit goes whole";
  const std::string long_word(40, 'z');
  EXPECT_EQ(Phrases("slow " + long_word + " sync"), (V{"slow", "sync"}));
  EXPECT_EQ(Phrases("a b c"), V{}) << "one-letter words end no phrase";
}

TEST(Phrases, AnyBytesAreSafe) {
  EXPECT_EQ(Phrases("dark\xff\xfemode"), (V{"dark", "mode"}));
  EXPECT_EQ(Phrases(""), V{});
  EXPECT_EQ(Phrases(std::string("dark\0mode", 9)), (V{"dark", "mode"}));
  std::string noise;
  for (int i = 0; i < 4096; ++i) noise.push_back(static_cast<char>(i * 37));
  for (const auto& p : Phrases(noise)) {
    EXPECT_LE(p.size(), kMaxPhraseBytes);
    EXPECT_FALSE(p.empty());
  }
}

TEST(Phrases, DistinctAndCapped) {
  auto repeated = Phrases("dark mode dark mode dark mode");
  EXPECT_EQ(std::set<std::string>(repeated.begin(), repeated.end()).size(), repeated.size());
  std::string many;
  for (int i = 0; i < 200; ++i) {
    many += "word";
    for (int k = i; k > 0; k /= 26) many.push_back(static_cast<char>('a' + k % 26));
    many += ' ';
  }
  EXPECT_EQ(Phrases(many).size(), kMaxPhrasesPerFeedback);
  auto five = Phrases(many, 5);
  ASSERT_EQ(five.size(), 5u);
  EXPECT_EQ(five[0], "word") << "the earliest first";
  EXPECT_EQ(Phrases(many, 100).size(), kMaxPhrasesPerFeedback) << "never more than the shared limit";
  for (const auto& p : Phrases(many)) EXPECT_LE(p.size(), kMaxPhraseBytes);
}

}  // namespace
}  // namespace voc::text
