#include "tools/vocctl/score.h"

#include <gtest/gtest.h>

#include <sstream>

namespace voc::vocctl {
namespace {

voc::text::AnalyzerOptions Options() {
  voc::text::AnalyzerOptions options;
  options.lexicon_dir = std::string(VOC_SOURCE_DIR) + "/data/lexicons";
  options.taxonomy_path = std::string(VOC_SOURCE_DIR) + "/data/taxonomy/software.yaml";
  return options;
}

TEST(RunScore, OneJsonObjectPerLine) {
  std::istringstream in(
      "Love the design but checkout keeps crashing\n"
      "mail \"me\" at a@b.com\\now\t!\n"
      "\n");
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(RunScore(in, out, Options(), err), 0) << err.str();
  EXPECT_TRUE(err.str().empty());
  std::istringstream lines(out.str());
  std::string first, second, third, extra;
  ASSERT_TRUE(std::getline(lines, first));
  ASSERT_TRUE(std::getline(lines, second));
  ASSERT_TRUE(std::getline(lines, third));
  EXPECT_FALSE(std::getline(lines, extra));
  EXPECT_EQ(first.rfind("{\"compound\":", 0), 0u);
  // Overall the crash outweighs the design (it follows "but"); the clauses differ.
  EXPECT_NE(first.find("\"label\":\"negative\""), std::string::npos) << first;
  EXPECT_NE(first.find("\"language\":\"en\""), std::string::npos);
  EXPECT_NE(first.find("\"sentiment_scored\":true"), std::string::npos);
  EXPECT_NE(first.find("{\"id\":\"ux.design\",\"path\":\"User experience > UI and design\",\"evidence\":\"design\","
                       "\"clause_compound\":0."),
            std::string::npos)
      << first;
  EXPECT_NE(first.find("\"id\":\"reliability.crashes\""), std::string::npos);
  EXPECT_NE(first.find("\"clause_compound\":-0."), std::string::npos);
  EXPECT_NE(first.find("\"type\":\"bug_report\""), std::string::npos);
  EXPECT_NE(first.find("\"urgency\":[]"), std::string::npos);
  EXPECT_NE(first.find("\"pii\":{\"email\":0,\"phone\":0,\"card\":0,\"iban\":0,\"ip\":0,\"name\":0,\"address\":0,\"national_id\":0}"), std::string::npos);
  // Quotes, backslashes and tabs are escaped; the e-mail is redacted and counted.
  EXPECT_NE(second.find("\"redacted_text\":\"mail \\\"me\\\" at [EMAIL]\\\\now\\t!\""), std::string::npos) << second;
  EXPECT_NE(second.find("\"email\":1"), std::string::npos);
  EXPECT_EQ(third.rfind("{\"compound\":0.0000,", 0), 0u) << third;
}

TEST(RunScore, InvalidUtf8StaysValidJson) {
  std::istringstream in("bad \xFF\xC3 bytes\x01\n");
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(RunScore(in, out, Options(), err), 0);
  EXPECT_NE(out.str().find("bad \\ufffd\\ufffd bytes\\u0001"), std::string::npos) << out.str();
}

TEST(RunScore, AspectsGetTheirOwnSentiment) {
  std::istringstream in("The food was great but the service was painfully slow.\nNothing about either here.\n");
  std::ostringstream out;
  std::ostringstream err;
  ASSERT_EQ(RunScore(in, out, Options(), err, {"food", "service"}), 0) << err.str();
  std::istringstream lines(out.str());
  std::string first, second;
  ASSERT_TRUE(std::getline(lines, first));
  ASSERT_TRUE(std::getline(lines, second));
  EXPECT_NE(first.find("\"aspects\":[{\"term\":\"food\",\"found\":true,\"evidence\":\"food\",\"compound\":0."),
            std::string::npos)
      << first;
  EXPECT_NE(first.find("\"label\":\"positive\"},{\"term\":\"service\",\"found\":true,\"evidence\":\"service\","
                       "\"compound\":-0."),
            std::string::npos)
      << first;
  EXPECT_NE(second.find("{\"term\":\"food\",\"found\":false,\"evidence\":\"\",\"compound\":0.0000,\"label\":\"neutral\"}"),
            std::string::npos)
      << second;
}

TEST(RunScore, BadOptionsGoToErr) {
  std::istringstream in("text\n");
  std::ostringstream out;
  std::ostringstream err;
  voc::text::AnalyzerOptions options = Options();
  options.taxonomy_path = "/nonexistent.yaml";
  EXPECT_EQ(RunScore(in, out, options, err), 1);
  EXPECT_TRUE(out.str().empty());
  EXPECT_NE(err.str().find("/nonexistent.yaml"), std::string::npos);
}

}  // namespace
}  // namespace voc::vocctl
