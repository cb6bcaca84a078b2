#include "common/text/taxonomy.h"

#include <gtest/gtest.h>

#include <set>

#include "common/text/theme_matcher.h"

namespace voc::text {
namespace {

TEST(Taxonomy, DefaultHasThirtyThemesOnTwoLevels) {
  auto tax = LoadTaxonomy(std::string(VOC_SOURCE_DIR) + "/data/taxonomy/software.yaml");
  ASSERT_TRUE(tax.ok()) << tax.status().ToString();
  EXPECT_EQ(tax->name, "software");
  EXPECT_FALSE(tax->version.empty());
  EXPECT_GE(tax->themes.size(), 30u);
  EXPECT_GE(tax->max_depth(), 2);
  std::set<std::string> ids;
  for (const Theme& t : tax->themes) ids.insert(t.id);
  for (const char* required :
       {"reliability.crashes", "reliability.errors", "performance.speed", "performance.battery",
        "performance.memory_storage", "ux.design", "ux.usability", "compatibility.device", "compatibility.os",
        "account.login", "account.security", "account.privacy", "pricing.price", "pricing.licensing",
        "pricing.billing", "pricing.subscriptions", "support.experience", "ux.notifications", "ux.onboarding",
        "data.sync", "data.loss", "pricing.ads", "content.feature_request"}) {
    EXPECT_TRUE(ids.count(required)) << required;
  }
  auto db = ThemeDatabase::Compile(tax.value());
  EXPECT_TRUE(db.ok()) << db.status().ToString();
}

std::string ErrorOf(const std::string& yaml) {
  auto tax = ParseTaxonomy(yaml, "t.yaml");
  if (tax.ok()) {
    auto db = ThemeDatabase::Compile(tax.value());
    return db.ok() ? "" : db.status().message();
  }
  return tax.status().message();
}

TEST(Taxonomy, PolarityGivesProblemThemesAValence) {
  auto tax = ParseTaxonomy(R"(
name: t
version: "1"
themes:
  - id: battery
    name: Battery
    phrases: ["battery"]
    polarity: problem
  - id: praise
    name: Praise
    phrases: ["kudos"]
    polarity: praise
  - id: other
    name: Other
    phrases: ["thing"]
)",
                           "t.yaml");
  ASSERT_TRUE(tax.ok()) << tax.status().ToString();
  EXPECT_LT(tax->themes[0].implied_valence, 0.0f);
  EXPECT_GT(tax->themes[1].implied_valence, 0.0f);
  EXPECT_EQ(tax->themes[2].implied_valence, 0.0f);
  auto bad = ParseTaxonomy("name: t\nversion: \"1\"\nthemes:\n  - id: a\n    name: A\n    phrases: [x]\n    polarity: bad\n",
                           "t.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("theme 'a': key 'polarity' must be problem, praise or neutral"), std::string::npos)
      << bad.status().message();
}

TEST(Taxonomy, ErrorsNameTheKeyAndTheme) {
  EXPECT_NE(ErrorOf("version: 1\nthemes: []\n").find("'name'"), std::string::npos);
  EXPECT_NE(ErrorOf("name: x\nthemes:\n  - {id: a, name: A, phrases: [x]}\n").find("'version'"), std::string::npos);
  EXPECT_NE(ErrorOf("name: x\nversion: 1\n").find("'themes'"), std::string::npos);
  const std::string no_name = ErrorOf("name: x\nversion: 1\nthemes:\n  - {id: perf, phrases: [slow]}\n");
  EXPECT_NE(no_name.find("theme 'perf'"), std::string::npos) << no_name;
  EXPECT_NE(no_name.find("'name'"), std::string::npos) << no_name;
  const std::string typo = ErrorOf("name: x\nversion: 1\nthemes:\n  - {id: perf, name: P, phrase: [slow]}\n");
  EXPECT_NE(typo.find("unknown key 'phrase'"), std::string::npos) << typo;
  const std::string child =
      ErrorOf("name: x\nversion: 1\nthemes:\n  - id: perf\n    name: P\n    themes:\n"
              "      - {id: speed, name: S, phrases: [slow]}\n");
  EXPECT_NE(child.find("theme 'speed'"), std::string::npos) << child;
  EXPECT_NE(child.find("'perf.'"), std::string::npos) << child;
  const std::string dup = ErrorOf(
      "name: x\nversion: 1\nthemes:\n  - {id: a, name: A, phrases: [x]}\n  - {id: a, name: B, phrases: [y]}\n");
  EXPECT_NE(dup.find("duplicate"), std::string::npos) << dup;
  const std::string phrases = ErrorOf("name: x\nversion: 1\nthemes:\n  - {id: a, name: A, phrases: slow}\n");
  EXPECT_NE(phrases.find("'phrases'"), std::string::npos) << phrases;
  const std::string bad_re = ErrorOf("name: x\nversion: 1\nthemes:\n  - {id: a.b, name: A, patterns: ['(unclosed']}\n");
  EXPECT_NE(bad_re.find("theme 'a.b'"), std::string::npos) << bad_re;
  EXPECT_NE(bad_re.find("(unclosed"), std::string::npos) << bad_re;
  EXPECT_NE(ErrorOf("name: [unclosed\n").find("YAML"), std::string::npos);
  EXPECT_NE(ErrorOf("name: x\nversion: 1\nthemes:\n  - {id: a, name: A}\n").find("'phrases' or 'patterns'"),
            std::string::npos);
  std::string huge = "name: x\nversion: 1\nthemes:\n";
  for (int i = 0; i <= 1024; ++i) {
    const std::string n = std::to_string(i);
    huge.append("  - {id: t").append(n).append(", name: T, phrases: [p").append(n).append("]}\n");
  }
  EXPECT_NE(ErrorOf(huge).find("1025 themes; a taxonomy holds at most 1024"), std::string::npos) << ErrorOf(huge);
}

TEST(Taxonomy, PhraseSyntax) {
  EXPECT_EQ(PhraseToRegex("crash*"), "\\bcrash\\w*\\b");
  EXPECT_EQ(PhraseToRegex("log in"), "\\blog[\\s\\-]+in\\b");
}

}  // namespace
}  // namespace voc::text
