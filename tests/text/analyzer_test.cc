#include "common/text/analyzer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <string>

namespace voc::text {
namespace {

class AnalyzerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    AnalyzerOptions options;
    options.lexicon_dir = std::string(VOC_SOURCE_DIR) + "/data/lexicons";
    options.taxonomy_path = std::string(VOC_SOURCE_DIR) + "/data/taxonomy/software.yaml";
    auto a = Analyzer::Create(options);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    analyzer_ = std::move(a).value().release();
  }
  static void TearDownTestSuite() {
    delete analyzer_;
    analyzer_ = nullptr;
  }
  const ThemeMatch* Find(const Analysis& a, std::string_view id) {
    for (const ThemeMatch& m : a.themes) {
      if (m.id == id) return &m;
    }
    return nullptr;
  }
  std::string_view Evidence(const Analysis& a, const ThemeMatch& m) {
    return std::string_view(a.redacted_text).substr(m.begin, m.end - m.begin);
  }
  static Analyzer* analyzer_;
};
Analyzer* AnalyzerTest::analyzer_ = nullptr;

TEST_F(AnalyzerTest, ThemesCarryEvidenceAndClauseSentiment) {
  Analysis a;
  analyzer_->Analyze("Love the design but checkout keeps crashing", &a);
  const ThemeMatch* design = Find(a, "ux.design");
  const ThemeMatch* crashes = Find(a, "reliability.crashes");
  ASSERT_NE(design, nullptr);
  ASSERT_NE(crashes, nullptr);
  EXPECT_EQ(Evidence(a, *design), "design");
  EXPECT_EQ(Evidence(a, *crashes), "crashing");
  EXPECT_EQ(crashes->path, "Reliability > Crashes");
  EXPECT_GT(design->clause_compound, 0.3);
  EXPECT_LT(crashes->clause_compound, -0.2);
  // Themes come in order of first evidence.
  EXPECT_LT(design->begin, crashes->begin);
}

TEST_F(AnalyzerTest, EvidenceSpansPointIntoRedactedText) {
  Analysis a;
  analyzer_->Analyze("Mail bob@example.com: the battery drains fast", &a);
  EXPECT_EQ(a.redacted_text, "Mail [EMAIL]: the battery drains fast");
  EXPECT_EQ(a.pii.email, 1u);
  const ThemeMatch* battery = Find(a, "performance.battery");
  ASSERT_NE(battery, nullptr);
  EXPECT_EQ(Evidence(a, *battery), "battery");
  EXPECT_EQ(battery->begin, a.redacted_text.find("battery"));
}

TEST_F(AnalyzerTest, ThemesOfSecurityHardwareAndUi) {
  Analysis a;
  for (const char* text : {"Please add a pattern lock or a PIN", "Needs password protection", "It needs root access",
                           "No security option on the lockscreen"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_NE(Find(a, "account.security"), nullptr) << text;
  }
  // "display" alone is the app's screen, not hardware; a physical part is.
  analyzer_->Analyze("The display of my notes is messy", &a);
  EXPECT_EQ(Find(a, "compatibility.hardware"), nullptr);
  analyzer_->Analyze("The power button no longer wakes it", &a);
  EXPECT_NE(Find(a, "compatibility.hardware"), nullptr);
  analyzer_->Analyze("Swipe to dismiss is so smooth", &a);
  EXPECT_NE(Find(a, "ux.design"), nullptr);
  // A prefix phrase must not match another language's word: "visualizador" is no "visual".
  analyzer_->Analyze("El visualizador de PDF funciona bien", &a);
  EXPECT_EQ(Find(a, "ux.design"), nullptr);
}

// Support is what the writer did to reach it; an e-mail address, a contact list or the
// e-mails an app handles are not.
TEST_F(AnalyzerTest, SupportThemeIsContactWithSupportNotEveryEmailOrContact) {
  Analysis a;
  for (const char* text : {"I emailed them three times and nobody answered", "Contacted support twice, still waiting",
                           "I sent an email a week ago"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_NE(Find(a, "support.experience"), nullptr) << text;
  }
  for (const char* text : {"How do I change the email address on my account?", "My contacts no longer sync",
                           "Sync works perfectly. Contact me at jane@example.com", "Emails arrive hours late"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(Find(a, "support.experience"), nullptr) << text;
  }
}

TEST_F(AnalyzerTest, NamesAreRedactedWhenCuedAndThemesPointIntoTheRedactedText) {
  Analysis a;
  analyzer_->Analyze("My name is Jane Doe and the battery drains fast.\nRegards,\nJane Doe", &a);
  EXPECT_EQ(a.redacted_text, "My name is [NAME] and the battery drains fast.\nRegards,\n[NAME]");
  EXPECT_EQ(a.pii.name, 2u);
  const ThemeMatch* battery = Find(a, "performance.battery");
  ASSERT_NE(battery, nullptr);
  EXPECT_EQ(Evidence(a, *battery), "battery");
  analyzer_->Analyze("Works fine\n-- Sam", &a);
  EXPECT_EQ(a.redacted_text, "Works fine\n-- [NAME]");
}

TEST_F(AnalyzerTest, MultiWordPhraseEvidence) {
  Analysis a;
  analyzer_->Analyze("I cannot LOG-IN since yesterday", &a);
  const ThemeMatch* login = Find(a, "account.login");
  ASSERT_NE(login, nullptr);
  EXPECT_EQ(Evidence(a, *login), "LOG-IN");
}

TEST_F(AnalyzerTest, FeedbackTypes) {
  Analysis a;
  analyzer_->Analyze("The app crashes every time I open a PDF", &a);
  EXPECT_EQ(a.type, FeedbackType::kBugReport);
  analyzer_->Analyze("Please add an option to export to CSV", &a);
  EXPECT_EQ(a.type, FeedbackType::kFeatureRequest);
  analyzer_->Analyze("How do I change the default folder?", &a);
  EXPECT_EQ(a.type, FeedbackType::kQuestion);
  analyzer_->Analyze("Absolutely love it, best purchase this year", &a);
  EXPECT_EQ(a.type, FeedbackType::kPraise);
  analyzer_->Analyze("Way too expensive for what it does, a waste of money", &a);
  EXPECT_EQ(a.type, FeedbackType::kComplaint);
  // A thank-you before a complaint is no praise.
  analyzer_->Analyze("Thanks, but the issue is still there", &a);
  EXPECT_NE(a.type, FeedbackType::kPraise);
  // A warning to other customers is no bug report; the same words reporting are.
  for (const char* text : {"Do not download", "The app is a scam. Don't install it!", "Just don't update"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_NE(a.type, FeedbackType::kBugReport) << text;
  }
  for (const char* text : {"It won't download", "Dont work on my phone", "Does not install on Android 14"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.type, FeedbackType::kBugReport) << text;
  }
  // A refund paid is no complaint; one asked for, waited for or denied is.
  for (const char* text : {"I got my refund quickly", "The refund arrived the next day", "Received a full refund, thanks"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.type, FeedbackType::kPraise) << text;
  }
  for (const char* text : {"I want a refund", "I can't get a refund", "Never received my refund",
                           "Still waiting for the refund"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.type, FeedbackType::kComplaint) << text;
  }
  // Money wanted back is a complaint, though said like a feature wanted back.
  analyzer_->Analyze("I want my money back", &a);
  EXPECT_EQ(a.type, FeedbackType::kComplaint);
  analyzer_->Analyze("I want the old layout back", &a);
  EXPECT_EQ(a.type, FeedbackType::kFeatureRequest);
  // A sentence that opens with "Support" is about the support team; "please support" and
  // "support for" ask for a feature.
  analyzer_->Analyze("Support took nine days to answer and the answer did not help", &a);
  EXPECT_EQ(a.type, FeedbackType::kComplaint);
  analyzer_->Analyze("Support was fantastic and solved my problem within an hour", &a);
  EXPECT_EQ(a.type, FeedbackType::kPraise);
  for (const char* text : {"Please support dual SIM", "Support for the TMB0 video format", "When will you support iPad?",
                           "When are you going to add dark mode?", "No way to sort by price."}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.type, FeedbackType::kFeatureRequest) << text;
  }
}

// Plain feedback without generic opinion words (tests/text/data/feedback_polarity_dev.tsv):
// the dev set the complaint constructions and problem themes were tuned on.
TEST_F(AnalyzerTest, PlainFeedbackPolarityOnTheDevSet) {
  std::ifstream in(std::string(VOC_SOURCE_DIR) + "/tests/text/data/feedback_polarity_dev.tsv");
  ASSERT_TRUE(in) << "feedback_polarity_dev.tsv";
  std::string line;
  int total = 0;
  int right = 0;
  Analysis a;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    ASSERT_NE(tab, std::string::npos) << line;
    const int gold = std::stoi(line.substr(0, tab));
    analyzer_->Analyze(line.substr(tab + 1), &a);
    const int got = a.label == SentimentLabel::kPositive ? 1 : a.label == SentimentLabel::kNegative ? -1 : 0;
    ++total;
    right += got == gold;
  }
  ASSERT_GE(total, 200);
  EXPECT_GE(static_cast<double>(right) / total, 0.85) << right << " of " << total;
}

TEST_F(AnalyzerTest, ProblemThemesWithoutOpinionWordsAreNegative) {
  Analysis a;
  for (const char* text : {"Battery dies in two hours", "Uses 2 GB of storage", "The app is 500 MB now",
                           "Battery went from 100 to 20 in an hour", "An ad after every single tap"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.label, SentimentLabel::kNegative) << text;
  }
  // An opinion word decides its clause; a question names a theme without complaining.
  analyzer_->Analyze("Battery lasts all day now", &a);
  EXPECT_EQ(a.label, SentimentLabel::kPositive);
  analyzer_->Analyze("Love the battery life", &a);
  EXPECT_EQ(a.label, SentimentLabel::kPositive);
  analyzer_->Analyze("How much storage does it use?", &a);
  EXPECT_EQ(a.label, SentimentLabel::kNeutral);
  // "No" before a problem negates it: no complaint.
  for (const char* text : {"No issues so far", "No bugs", "Zero issues"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.label, SentimentLabel::kPositive) << text;
  }
}

// A problem the text denies is no bug report; one it reports is, whatever else it denies.
TEST_F(AnalyzerTest, DeniedProblemsAreNoBugReports) {
  Analysis a;
  for (const char* text : {"No crashes since the update", "Haven't had a single crash", "It hasn\xE2\x80\x99t crashed once",
                           "Bug-free and fast", "Never had any glitches", "No more freezes after the update",
                           "They fixed the login bug, thanks!", "Thanks for fixing the crash", "The bug was fixed quickly",
                           "Bugs have been resolved in the latest version"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_NE(a.type, FeedbackType::kBugReport) << text;
  }
  for (const char* text : {"It crashes with no error message", "It keeps crashing, no idea why",
                           "I don't know why it crashes", "There is a bug in the export", "No sound and it crashes",
                           "They still haven't fixed the crash", "The crash is still not fixed",
                           "Please fix the crash on startup", "They never fixed the bugs"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.type, FeedbackType::kBugReport) << text;
  }
}

TEST_F(AnalyzerTest, AspectSentimentFollowsTheWordsAboutEachAspect) {
  Analysis a;
  const AspectQuery queries[] = {{"battery life", -1}, {"screen", -1}, {"keyboard", -1}, {"price", -1}};
  analyzer_->AnalyzeAspects("The battery life is amazing, but the screen is dim and washed out. I use the keyboard daily.",
                            queries, &a);
  ASSERT_EQ(a.aspects.size(), 4u);
  EXPECT_EQ(a.aspects[0].term, "battery life");
  EXPECT_TRUE(a.aspects[0].found);
  EXPECT_EQ(a.aspects[0].label, SentimentLabel::kPositive);
  EXPECT_EQ(std::string_view(a.redacted_text).substr(a.aspects[0].begin, a.aspects[0].end - a.aspects[0].begin),
            "battery life");
  EXPECT_EQ(a.aspects[1].label, SentimentLabel::kNegative);
  // No opinion word in its clause: the keyboard's sentence says nothing good or bad.
  EXPECT_EQ(a.aspects[2].label, SentimentLabel::kNeutral);
  EXPECT_FALSE(a.aspects[3].found);
  EXPECT_EQ(a.aspects[3].compound, 0.0);

  // Negation, an adjective before the aspect, and a predicate after it.
  const AspectQuery one[] = {{"support", -1}};
  analyzer_->AnalyzeAspects("Support was not helpful at all", one, &a);
  EXPECT_EQ(a.aspects[0].label, SentimentLabel::kNegative);
  analyzer_->AnalyzeAspects("Great support, terrible app", one, &a);
  EXPECT_EQ(a.aspects[0].label, SentimentLabel::kPositive);
  analyzer_->AnalyzeAspects("The export works great", std::array{AspectQuery{"export", -1}}, &a);
  EXPECT_EQ(a.aspects[0].label, SentimentLabel::kPositive);

  // The aspect's own words name it, they do not judge it.
  analyzer_->AnalyzeAspects("The happy hour was bland", std::array{AspectQuery{"happy hour", -1}}, &a);
  EXPECT_EQ(a.aspects[0].label, SentimentLabel::kNegative);
  // The yardstick of a comparison gets the opposite of what is said of the other side.
  const AspectQuery compared[] = {{"OS X", -1}, {"Windows", -1}};
  analyzer_->AnalyzeAspects("OS X runs far better than Windows", compared, &a);
  EXPECT_EQ(a.aspects[0].label, SentimentLabel::kPositive);
  EXPECT_EQ(a.aspects[1].label, SentimentLabel::kNegative);
  analyzer_->AnalyzeAspects("The screen is superior compared to Windows laptops", std::array{AspectQuery{"Windows", -1}}, &a);
  EXPECT_EQ(a.aspects[0].label, SentimentLabel::kNegative);
  // "Other than" excepts, it does not compare: what is said of the aspect stands.
  analyzer_->AnalyzeAspects("Other than the crappy service, it's great", std::array{AspectQuery{"service", -1}}, &a);
  EXPECT_EQ(a.aspects[0].label, SentimentLabel::kNegative);

  // Of two mentions, the one at the requested offset.
  const std::string text = "The food is great. Their food delivery is awful.";
  const AspectQuery second[] = {{"food", static_cast<int64_t>(text.rfind("food"))}};
  analyzer_->AnalyzeAspects(text, second, &a);
  EXPECT_EQ(a.aspects[0].begin, text.rfind("food"));
  EXPECT_EQ(a.aspects[0].label, SentimentLabel::kNegative);

  // Analyze alone leaves no aspects behind.
  analyzer_->Analyze(text, &a);
  EXPECT_TRUE(a.aspects.empty());
}

TEST_F(AnalyzerTest, AppReviewRequestsAndBugsWithoutTheUsualWords) {
  Analysis a;
  for (const char* text : {"Would give five stars if you fix the widget", "Please remove the sound on startup",
                           "Awesome besides the fact you can't export to PDF", "Great app, only thing missing is a search bar",
                           "Any chance of a desktop version?", "Bring back the old layout please"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.type, FeedbackType::kFeatureRequest) << text;
  }
  for (const char* text : {"The widget shows the wrong date", "Half of my photos disappeared after the backup",
                           "The sync button does nothing", "Stuck on the loading screen forever",
                           "It works on Chrome but not with Firefox"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.type, FeedbackType::kBugReport) << text;
  }
  // Advice to the reader names a problem without reporting one; a question put to the
  // reader asks for details, not for help.
  analyzer_->Analyze("If the video stutters, you can turn off hardware decoding", &a);
  EXPECT_NE(a.type, FeedbackType::kBugReport);
  analyzer_->Analyze("Which version are you using?", &a);
  EXPECT_NE(a.type, FeedbackType::kQuestion);
  analyzer_->Analyze("Any help would be appreciated, thanks in advance", &a);
  EXPECT_EQ(a.type, FeedbackType::kQuestion);
  // "Let me know" asks for an answer, not a feature; "why not X" suggests one; a fix the
  // writer tried that failed is no new bug.
  analyzer_->Analyze("Please let me know if the export works for you", &a);
  EXPECT_NE(a.type, FeedbackType::kFeatureRequest);
  analyzer_->Analyze("Let us choose the default folder for downloads", &a);
  EXPECT_EQ(a.type, FeedbackType::kFeatureRequest);
  analyzer_->Analyze("But why not display the time in the navigation bar like other players", &a);
  EXPECT_EQ(a.type, FeedbackType::kFeatureRequest);
  // Wants of what is gone or missing, without "please add": a feature back, a way asked
  // for, a wish; a suggestion or a request named as a noun is not one itself.
  for (const char* text : {"I really want the old toolbar back", "Provide a way to search only for compatible add-ons",
                           "I wish the sliders reset to their defaults", "I want to put a timeline on the video",
                           "Also make a hotkey for the next bookmark", "We really need to get rid of this banner"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.type, FeedbackType::kFeatureRequest) << text;
  }
  // What the software did when the writer did something is a bug even when its words
  // are not negative; a change the writer made that left the problem is an attempt.
  for (const char* text : {"When I click on OK it says the device is busy", "I cannot get H264 files to play",
                           "If I click on the play button, nothing appends", "VLC has problems with low FPS files"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.type, FeedbackType::kBugReport) << text;
  }
  for (const char* text : {"I have reinstalled my PC completely, but I'm still getting the distortion",
                           "I changed the video output to directx and that had no effect",
                           "I completely uninstalled Avast but the problem remains"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_NE(a.type, FeedbackType::kBugReport) << text;
  }
  // A question about a problem asks for help more than it reports the problem.
  for (const char* text : {"Is this a bug or a deliberate design?", "Why doesn't Firefox underline spelling errors any more?"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.type, FeedbackType::kQuestion) << text;
  }
  // "Can't find" is a bug when the software cannot, information when the writer cannot.
  analyzer_->Analyze("VLC cannot find the file it just recorded", &a);
  EXPECT_EQ(a.type, FeedbackType::kBugReport);
  for (const char* text : {"I cant find that setting anywhere", "I searched the options but couldn't find it"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_NE(a.type, FeedbackType::kBugReport) << text;
  }
  analyzer_->Analyze("The suggestion was to install the portable version", &a);
  EXPECT_NE(a.type, FeedbackType::kFeatureRequest);
  // What the writer wants to do with the software, a request that is only mentioned, a
  // wish for the reader, a regret, and a word that merely starts like an imperative are
  // no feature requests; the same words asking for a change are.
  for (const char* text : {"I'd like to play them in VLC instead", "I dont really want to go back to an older version",
                           "I need to go back to the older version where I had no problem",
                           "I searched the docs and other similar feature requests",
                           "My request for a refund was ignored", "I sent a request to support and nobody replied",
                           "The server is directing this request in a way it can never complete", "Hope it works for you too",
                           "I should have said that it started right after the update", "Add-ons still could read them"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_NE(a.type, FeedbackType::kFeatureRequest) << text;
  }
  for (const char* text : {"I would like to humbly request that there be an option for it",
                           "So, my request for VLC is to add alpha channel PNG support to skins",
                           "I'd just like the old thumbnails back", "I hope they add a dark mode",
                           "I'd like to see subtitles in two languages at once", "The player should have a repeat button"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.type, FeedbackType::kFeatureRequest) << text;
  }
  analyzer_->Analyze("I tried safe mode and refreshing the browser, that didn't work", &a);
  EXPECT_NE(a.type, FeedbackType::kBugReport);
  analyzer_->Analyze("Your solution did not work for me", &a);
  EXPECT_NE(a.type, FeedbackType::kBugReport);
  // "Me too" agrees with a report without making one; the reader's problem named in advice
  // or in a request for details is not the writer's report.
  for (const char* text : {"I have the same problem.", "I am also having the exact same issue.",
                           "Close Firefox completely and then restart it to see if the problem persists.",
                           "If you keep having problems then you can create a new profile",
                           "Please provide the URL you are having problems with."}) {
    analyzer_->Analyze(text, &a);
    EXPECT_NE(a.type, FeedbackType::kBugReport) << text;
  }
}

// tests/text/data/review_types_dev.tsv: the dev set the type cues were tuned on.
TEST_F(AnalyzerTest, ReviewTypesOnTheDevSet) {
  std::ifstream in(std::string(VOC_SOURCE_DIR) + "/tests/text/data/review_types_dev.tsv");
  ASSERT_TRUE(in);
  std::string line;
  int tp[2] = {0, 0}, fp[2] = {0, 0}, fn[2] = {0, 0};
  Analysis a;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    const std::string gold = line.substr(0, tab);
    analyzer_->Analyze(line.substr(tab + 1), &a);
    const FeedbackType types[2] = {FeedbackType::kBugReport, FeedbackType::kFeatureRequest};
    for (int k = 0; k < 2; ++k) {
      const bool g = gold == ToString(types[k]);
      const bool p = a.type == types[k];
      tp[k] += g && p;
      fp[k] += p && !g;
      fn[k] += g && !p;
    }
  }
  for (int k = 0; k < 2; ++k) {
    const double f1 = 2.0 * tp[k] / (2.0 * tp[k] + fp[k] + fn[k]);
    EXPECT_GE(f1, 0.85) << (k == 0 ? "bug_report" : "feature_request");
  }
}

TEST_F(AnalyzerTest, UrgencyFlags) {
  Analysis a;
  analyzer_->Analyze("The site is down and nobody can log in", &a);
  EXPECT_TRUE(a.urgency & kUrgencyOutage);
  analyzer_->Analyze("The update deleted all my notes", &a);
  EXPECT_TRUE(a.urgency & kUrgencyDataLoss);
  analyzer_->Analyze("My account was hacked last night", &a);
  EXPECT_TRUE(a.urgency & kUrgencySecurity);
  analyzer_->Analyze("I will contact my lawyer about these charges", &a);
  EXPECT_TRUE(a.urgency & kUrgencyLegalThreat);
  analyzer_->Analyze("Fix this or I'm cancelling my subscription", &a);
  EXPECT_TRUE(a.urgency & kUrgencyChurnThreat);
  // A business customer's churn: the contract, the vendor.
  for (const char* text : {"We will not renew our contract", "We are evaluating other vendors"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_TRUE(a.urgency & kUrgencyChurnThreat) << text;
  }
  // How customers say it: a service down for hours, production broken, a card stolen, a
  // charge without authorization, data shown to others, a law broken, a charge disputed.
  const std::pair<const char*, uint32_t> said[] = {
      {"Your service has been down since this morning.", kUrgencyOutage},
      {"This is urgent, production is broken.", kUrgencyOutage},
      {"I think someone stole my credit card through your site.", kUrgencySecurity},
      {"My account was charged $500 without authorization.", kUrgencySecurity},
      {"Unauthorized charges on my card", kUrgencySecurity},
      {"Your app exposed my home address to other users.", kUrgencySecurity},
      {"I can see other customers' orders in my account.", kUrgencySecurity},
      {"This violates GDPR.", kUrgencyLegalThreat},
      {"Refund me or I'll dispute the charge", kUrgencyLegalThreat},
      {"The app froze and I lost my entire draft.", kUrgencyDataLoss},
      {"All my notes disappeared.", kUrgencyDataLoss},
      {"The sync deleted half my contacts.", kUrgencyDataLoss},
  };
  for (const auto& [text, flag] : said) {
    analyzer_->Analyze(text, &a);
    EXPECT_TRUE(a.urgency & flag) << text;
  }
  analyzer_->Analyze("I think someone stole my credit card through your site.", &a);
  EXPECT_LT(a.compound, 0.0) << "a stolen card is no praise";
  // A feature or a sound that is missing is no lost data.
  for (const char* text : {"The video is missing sound", "Files missing from the export menu"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_FALSE(a.urgency & kUrgencyDataLoss) << text;
  }
  analyzer_->Analyze("Nice app, works well", &a);
  EXPECT_EQ(a.urgency, kUrgencyNone);
  const auto names = UrgencyNames(kUrgencyOutage | kUrgencyChurnThreat);
  EXPECT_EQ(names, (std::vector<std::string>{"outage", "churn_threat"}));
}

TEST_F(AnalyzerTest, NonEnglishIsNotScored) {
  Analysis a;
  for (const char* text : {"Cette application est vraiment nulle, elle plante tout le temps et je suis déçu.",
                           "Die App stürzt ständig ab und ich bin wirklich sehr enttäuscht von dem Update.",
                           "La aplicación es terrible, se cierra sola cada vez que intento abrir un archivo."}) {
    analyzer_->Analyze(text, &a);
    EXPECT_FALSE(a.sentiment_scored) << text;
    EXPECT_EQ(a.compound, 0.0) << text;
    EXPECT_NE(a.language, "en") << text;
  }
  analyzer_->Analyze("This app is really great and I use it every day.", &a);
  EXPECT_TRUE(a.sentiment_scored);
  EXPECT_EQ(a.language, "en");
  EXPECT_EQ(a.label, SentimentLabel::kPositive);
}

TEST_F(AnalyzerTest, SpanishFrenchGermanPortugueseThemesTypesAndUrgency) {
  struct Case {
    const char* text;
    const char* language;
    const char* theme;
    FeedbackType type;
    uint32_t urgency;
  };
  const Case kCases[] = {
      {"La aplicación se cierra sola cada vez que abro un archivo", "es", "reliability.crashes", FeedbackType::kBugReport,
       kUrgencyNone},
      {"Sería genial poder exportar a PDF, por favor añadan esa opción", "es", "content.feature_request",
       FeedbackType::kFeatureRequest, kUrgencyNone},
      {"Cette application plante tout le temps depuis la mise à jour", "fr", "reliability.crashes",
       FeedbackType::kBugReport, kUrgencyNone},
      {"J'ai perdu toutes mes photos, je vais désinstaller cette application", "fr", "data.loss",
       FeedbackType::kUnspecified, kUrgencyDataLoss | kUrgencyChurnThreat},
      {"Die App stürzt ständig ab und der Akku ist sofort leer", "de", "performance.battery", FeedbackType::kBugReport,
       kUrgencyNone},
      {"Es wäre schön, wenn es einen Dunkelmodus gäbe", "de", "ux.design", FeedbackType::kFeatureRequest, kUrgencyNone},
      {"O aplicativo não abre e a bateria acaba rápido demais", "pt", "performance.battery", FeedbackType::kBugReport,
       kUrgencyNone},
      {"Minha conta foi hackeada e vou procurar um advogado", "pt", "account.security", FeedbackType::kUnspecified,
       kUrgencySecurity | kUrgencyLegalThreat},
      // Charged twice: a complaint though unscored.
      {"Me cobraron dos veces este mes por la suscripción", "es", "pricing.billing", FeedbackType::kComplaint,
       kUrgencyNone},
      {"J'ai été débité deux fois pour mon abonnement", "fr", "pricing.billing", FeedbackType::kComplaint,
       kUrgencyNone},
      {"Mein Abo wurde diesen Monat doppelt abgebucht", "de", "pricing.billing", FeedbackType::kComplaint, kUrgencyNone},
      {"Fui cobrado duas vezes pela assinatura este mês", "pt", "pricing.billing", FeedbackType::kComplaint,
       kUrgencyNone},
  };
  Analysis a;
  for (const Case& c : kCases) {
    analyzer_->Analyze(c.text, &a);
    EXPECT_EQ(a.language, c.language) << c.text;
    EXPECT_FALSE(a.sentiment_scored) << c.text;  // no lexicon of these languages ships
    EXPECT_NE(Find(a, c.theme), nullptr) << c.text;
    if (c.type != FeedbackType::kUnspecified) {
      EXPECT_EQ(a.type, c.type) << c.text;
    }
    EXPECT_EQ(a.urgency & c.urgency, c.urgency) << c.text;
  }
}

TEST_F(AnalyzerTest, ShortNonEnglishTextsGetASecondLook) {
  Analysis a;
  for (const auto& [text, language] : std::vector<std::pair<const char*, const char*>>{
           {"La app no funciona", "es"}, {"Ne marche pas du tout", "fr"}, {"Geht nicht mehr", "de"},
           {"O app não abre", "pt"}}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.language, language) << text;
    EXPECT_EQ(a.type, FeedbackType::kBugReport) << text;
  }
  // Short praise is made of the language's own words, not its function words.
  for (const auto& [text, language] : std::vector<std::pair<const char*, const char*>>{
           {"Muy buena app, me encanta", "es"}, {"Merci, super appli", "fr"}, {"Sehr gut, danke", "de"},
           {"Muito bom", "pt"}}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.language, language) << text;
    EXPECT_FALSE(a.sentiment_scored) << text;
  }
  // English with a foreign word or two stays English.
  analyzer_->Analyze("I love the app, es muy bueno and I use it daily", &a);
  EXPECT_EQ(a.language, "en");
}

// What a customer cannot do is a bug in every language; an add asked for is a request.
TEST_F(AnalyzerTest, CannotLogInAndPleaseAddInSpanishFrenchGermanPortuguese) {
  Analysis a;
  for (const char* text : {"No puedo iniciar sesión desde ayer", "La app no me deja entrar",
                           "Impossible de me connecter depuis la mise à jour", "Je n'arrive pas à me connecter",
                           "Ich kann mich nicht anmelden", "Das Konto lässt sich nicht öffnen", "O app não entra"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.type, FeedbackType::kBugReport) << text;
  }
  for (const char* text : {"No puedo iniciar sesión desde ayer", "Je n'arrive pas à me connecter",
                           "Ich kann mich nicht anmelden"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_NE(Find(a, "account.login"), nullptr) << text;
  }
  for (const char* text : {"Bitte einen Dunkelmodus hinzufügen", "Ajoutez un mode sombre svp",
                           "Por favor agreguen modo oscuro", "Adicionem modo escuro por favor"}) {
    analyzer_->Analyze(text, &a);
    EXPECT_EQ(a.type, FeedbackType::kFeatureRequest) << text;
  }
}

TEST_F(AnalyzerTest, HostileInputsDoNotCrash) {
  Analysis a;
  analyzer_->Analyze("", &a);
  EXPECT_EQ(a.compound, 0.0);
  EXPECT_TRUE(a.themes.empty());
  EXPECT_TRUE(a.redacted_text.empty());
  static constexpr char kBad[] = "\xFF\xFE\xC3\x28 crash \xF0\x9F\x98 \x00 bug";
  analyzer_->Analyze(std::string_view(kBad, sizeof(kBad) - 1), &a);
  EXPECT_NE(Find(a, "reliability.crashes"), nullptr);
  std::string huge;
  while (huge.size() < (3u << 20)) huge += "The app crashes and the battery drains. I love the design! ";
  analyzer_->Analyze(huge, &a);
  EXPECT_LE(a.redacted_text.size(), 1u << 20);
  EXPECT_GE(a.compound, -1.0);
  EXPECT_LE(a.compound, 1.0);
  EXPECT_FALSE(a.themes.empty());
  std::string binary;
  for (int i = 0; i < 100000; ++i) binary.push_back(static_cast<char>(i * 131));
  analyzer_->Analyze(binary, &a);
}

TEST_F(AnalyzerTest, ReusedAnalysisIsCleared) {
  Analysis a;
  analyzer_->Analyze("crashes, battery, login, price, ads, sync", &a);
  EXPECT_GE(a.themes.size(), 5u);
  analyzer_->Analyze("ok", &a);
  EXPECT_TRUE(a.themes.empty());
  EXPECT_EQ(a.pii.total(), 0u);
}

TEST_F(AnalyzerTest, TaxonomyVersionNamesTheFile) { EXPECT_EQ(analyzer_->taxonomy_version(), "software@1.2.0"); }

TEST_F(AnalyzerTest, MissingFilesAreReported) {
  AnalyzerOptions options;
  options.lexicon_dir = "/nonexistent";
  auto a = Analyzer::Create(options);
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.status().message().find("/nonexistent"), std::string::npos);
}

}  // namespace
}  // namespace voc::text
