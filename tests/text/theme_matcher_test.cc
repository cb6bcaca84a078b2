// The theme scanner matches simple phrases as literals in a normalised copy of the text
// and the rest as regexes, with a faster database for texts spaced by single spaces.
// Expectations are what the all-regex scanner (one Hyperscan database of PhraseToRegex
// expressions) reported: spans, boundaries and cue signals must not change. Taxonomy 1.1.0
// added two hits (errors: "can't find"; licensing: "in-app purchase"). Since the bug cue
// for "can't find / see" wants the software as subject, "I can't find ..." has no bug cue.
#include "common/text/theme_matcher.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/text/taxonomy.h"
#include "tests/text/default_scanner.h"

namespace voc::text {
namespace {

struct Expected {
  const char* id;
  uint32_t begin;
  uint32_t end;
};

struct Case {
  const char* text;
  std::vector<Expected> hits;
  std::vector<uint16_t> cues;  // per Signal
};

const std::vector<Case>& Cases() {
  static const std::vector<Case> cases = {
      {"It doesn\xE2" "\x80" "\x99" "t work and it doesnt load",
        {{"reliability.errors", 3, 17}, },
        {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"I can't find the LOG - IN  button",
        {{"reliability.errors", 2, 12}, {"ux.usability", 2, 12}, {"content.search", 8, 12}, {"account.login", 17, 25},
         {"ux.design", 27, 33}, },
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"Wi--Fi drops;\tthe APP Crashes-ALOT, crashed twice",
        {{"performance.network", 0, 6}, {"reliability.crashes", 22, 29}, },
        {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"\"crash\" _crash crash_ 2crash crashes_x",
        {{"reliability.crashes", 1, 6}, },
        {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"re-crash",
        {{"reliability.crashes", 3, 8}, },
        {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"won't\nopen the app",
        {{"reliability.errors", 0, 10}, },
        {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"won't  open the app",
        {{"reliability.errors", 0, 11}, },
        {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"won't open the app",
        {{"reliability.errors", 0, 10}, },
        {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"android 7.1.2 and iOS 12.4 on my s7",
        {{"compatibility.os", 0, 9}, {"compatibility.device", 33, 35}, },
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"force   closes all the time; force-closing",
        {{"reliability.crashes", 0, 14}, },
        {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"the battery's drain is bad",
        {{"performance.battery", 4, 11}, },
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"bugs bug buggy error errors freezing; please add dark mode; would be nice",
        {{"reliability.errors", 0, 4}, {"reliability.freezes", 28, 36}, {"content.feature_request", 38, 48}, {"ux.design", 49, 58}, },
        {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"Please add a bug fix",
        {{"content.feature_request", 0, 10}, {"reliability.errors", 13, 16}, },
        {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"I hope you will fix the bug and add an option to export",
        {{"reliability.errors", 24, 27}, {"content.feature_request", 32, 45}, {"data.sync", 49, 55}, },
        {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"in-app purchases and in app purchase",
        {{"pricing.price", 0, 16}, {"pricing.licensing", 0, 16}, },
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"it\xE2" "\x80" "\x99" "s slow\xE2" "\x80" "\x99" "",
        {{"performance.speed", 7, 11}, },
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"The UI is ok; ui-ux, s7 and s8edge, build_ui, 'ad' (ad) 2GB GB mb_ lg",
        {{"ux.design", 4, 6}, {"ux.usability", 17, 19}, {"compatibility.device", 21, 23}, {"pricing.ads", 47, 49}, {"performance.memory_storage", 60, 62}, },
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"ad",
        {{"pricing.ads", 0, 2}, },
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, }},
      {"x ux",
        {{"ux.usability", 2, 4}, },
        {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, }},
  };
  return cases;
}

TEST(ThemeScanner, MatchesLikeTheRegexScanner) {
  const auto fixture = test::MakeDefaultScanner();
  ASSERT_NE(fixture, nullptr);
  std::vector<ThemeHit> hits;
  SignalCounts cues;
  for (const Case& c : Cases()) {
    fixture->scanner->Scan(c.text, &hits, &cues);
    ASSERT_EQ(hits.size(), c.hits.size()) << c.text;
    for (size_t i = 0; i < hits.size(); ++i) {
      EXPECT_EQ(fixture->taxonomy.themes[hits[i].theme].id, c.hits[i].id) << c.text;
      EXPECT_EQ(hits[i].begin, c.hits[i].begin) << c.text << " " << c.hits[i].id;
      EXPECT_EQ(hits[i].end, c.hits[i].end) << c.text << " " << c.hits[i].id;
    }
    for (size_t s = 0; s < c.cues.size(); ++s) EXPECT_EQ(cues.count[s], c.cues[s]) << c.text << " signal " << s;
  }
}

TEST(ThemeScanner, EmptyAndBinaryText) {
  const auto fixture = test::MakeDefaultScanner();
  ASSERT_NE(fixture, nullptr);
  std::vector<ThemeHit> hits;
  SignalCounts cues;
  fixture->scanner->Scan("", &hits, &cues);
  EXPECT_TRUE(hits.empty());
  std::string binary;
  for (int i = 0; i < 4096; ++i) binary.push_back(static_cast<char>(i * 37));
  binary += " crash";
  fixture->scanner->Scan(binary, &hits, &cues);
  ASSERT_FALSE(hits.empty());
  for (const ThemeHit& h : hits) {
    EXPECT_LE(h.begin, h.end);
    EXPECT_LE(h.end, binary.size());
  }
}

}  // namespace
}  // namespace voc::text
