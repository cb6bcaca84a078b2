#include "common/text/sentiment.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "common/text/lexicon.h"

namespace voc::text {
namespace {

class SentimentTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto lex = Lexicon::Load(std::string(VOC_SOURCE_DIR) + "/data/lexicons");
    ASSERT_TRUE(lex.ok()) << lex.status().ToString();
    lexicon_ = new Lexicon(std::move(lex).value());
  }
  static void TearDownTestSuite() {
    delete lexicon_;
    lexicon_ = nullptr;
  }
  double Score(std::string_view text) {
    SentimentScorer scorer(lexicon_);
    return scorer.Score(text);
  }
  static Lexicon* lexicon_;
};
Lexicon* SentimentTest::lexicon_ = nullptr;

TEST_F(SentimentTest, PlainPolarity) {
  EXPECT_GT(Score("I love this app"), 0.5);
  EXPECT_LT(Score("This app is terrible"), -0.4);
  EXPECT_EQ(Score("The app has a settings page"), 0.0);
  EXPECT_EQ(Score(""), 0.0);
}

TEST_F(SentimentTest, NegationFlipsPolarity) {
  EXPECT_GT(Score("The app is good"), 0.0);
  EXPECT_LT(Score("The app is not good"), 0.0);
  EXPECT_LT(Score("The app isn't good"), 0.0);
  EXPECT_LT(Score("The app is never really good"), 0.0);  // negation three words back
  EXPECT_GT(Score("The app is not bad"), 0.0);
  EXPECT_LT(Score("no good reason"), 0.0);
  // Nor across a comma or a sentence's end (VADER's three words do).
  EXPECT_GT(Score("No ads, love it."), 0.3);
  EXPECT_GT(Score("No. Love it."), 0.3);
  EXPECT_LT(Score("No, it is terrible"), 0.0);
  // "a single" reaches one word further than VADER's three.
  EXPECT_GT(Score("Never had a single bad experience"), 0.0);
  EXPECT_LT(Score("Never had a single good day"), 0.0);
}

TEST_F(SentimentTest, BoostersAndDampenersScaleIntensity) {
  const double plain = Score("The app is good");
  EXPECT_GT(Score("The app is extremely good"), plain);
  EXPECT_LT(Score("The app is slightly good"), plain);
  EXPECT_GT(Score("The app is slightly good"), 0.0);
  EXPECT_LT(Score("The app is kind of good"), plain);
  // "pretty" before an opinion word says how much ("pretty bad" was near 0 in VADER: its
  // own +2.2 against "bad"); alone it is still pretty. "pretty much" is "almost".
  EXPECT_LT(Score("The app is pretty bad"), Score("The app is bad"));
  EXPECT_GT(Score("The app is pretty good"), plain);
  EXPECT_GT(Score("A pretty app"), 0.3);
  EXPECT_LT(Score("It is pretty much useless"), -0.05);
}

// A booster with a valence of its own ("exceptional" in the feedback lexicon, "super" and
// "terribly" in VADER's) scored nothing when it modified no opinion word, as in VADER.
TEST_F(SentimentTest, BoosterWithAValenceOfItsOwnSaysItWhenItModifiesNothing) {
  EXPECT_GE(Score("The display is exceptional."), 0.3);
  EXPECT_GE(Score("Super!"), 0.3);
  EXPECT_GE(Score("super support"), 0.3);  // "support" is set to 0, no opinion word
  EXPECT_LE(Score("It performs terribly."), -0.3);
  // Before an opinion word it still only boosts it.
  EXPECT_LT(Score("The app is terribly slow"), Score("The app is slow"));
  EXPECT_GT(Score("It is super fast"), Score("It is fast"));
}

TEST_F(SentimentTest, ContrastWeighsTheClauseAfterBut) {
  // Without the "but" rule the two would cancel towards the stronger word.
  EXPECT_LT(Score("The design is great but it is slow"), Score("The design is great and it is slow"));
  EXPECT_GT(Score("It is slow but the design is great"), Score("It is slow and the design is great"));
  EXPECT_GT(Score("It is slow but the design is great"), 0.0);
}

TEST_F(SentimentTest, SentenceOpeningWithContrastOutweighsTheOneBefore) {
  EXPECT_LE(Score("He has a great cast and a great idea. But the execution is a flop."), -0.05);
  EXPECT_LE(Score("The design is great and the price is fair. However, it crashes all the time."), -0.05);
  EXPECT_LE(Score("Great screen, great speakers... but the battery is awful."), -0.05);
  // The contrast runs the other way too.
  EXPECT_GE(Score("Setup was a pain and the manual is bad. But now it works great."), 0.05);
  // Without a contrast word the first sentence keeps its weight.
  EXPECT_GT(Score("He has a great cast and a great idea. The execution is a flop."), 0.0);
}

TEST_F(SentimentTest, ComplaintConstructionsWithoutOpinionWords) {
  for (const char* text : {"Too many popups", "Takes ages to open", "Takes forever to load", "Billed me twice",
                           "Nobody replied to my email", "Keeps logging me out", "No longer syncs with my laptop",
                           "Won't open since the update", "Can't upload photos anymore", "Still waiting for my refund",
                           "Charged me twice for the same order", "The checkout button does nothing",
                           "No way to contact support", "Had to reinstall it three times", "You removed the dark mode",
                           "Bring back the old version", "It takes 20 seconds to open a note",
                           "Took three days to get a reply", "It takes fifteen seconds to open",
                           "Nobody has answered my ticket for a week", "Nobody has ever replied",
                           "The bot couldn't answer anything", "I had to call five times"}) {
    EXPECT_LE(Score(text), -0.05) << text;
  }
  for (const char* text : {"Opens instantly", "Loads in a second", "Support replied within an hour",
                           "No more popups", "The update fixed the battery drain", "They answered the same day",
                           "Replied within two hours"}) {
    EXPECT_GE(Score(text), 0.05) << text;
  }
  // Constructions need their context: none of these complains.
  for (const char* text : {"I use it on my tablet", "Does it export to Excel?", "Can I pay with PayPal?",
                           "Setup took less than a minute", "I can't wait", "Me too",
                           "I'm not going to watch it first", "I haven't had to restart it once",
                           "Never had to call support", "Didn't have to log in again"}) {
    EXPECT_GT(Score(text), -0.05) << text;
  }
}

// "Fast" after a bad thing is more of it; adverbs of opinion words ("slowly") carry their
// valence. Speed of anything else stays praise.
TEST_F(SentimentTest, SpeedOfABadThingIsMoreOfItAndAdverbsCarryTheirWordsValence) {
  for (const char* text : {"Battery drains really fast when the app runs in the background", "My battery dies so quickly",
                           "Pages load so slowly", "It runs slowly on my phone", "It crashes fast"}) {
    EXPECT_LE(Score(text), -0.05) << text;
  }
  for (const char* text : {"The app loads really fast", "It crashed, but support fixed it fast", "Quick and easy setup"}) {
    EXPECT_GE(Score(text), 0.05) << text;
  }
}

TEST_F(SentimentTest, AWantOrARequestIsNoPraise) {
  // What the writer would like is a request: "nice", "love", "please" and "wish" say
  // nothing of the product there, boosters before them included.
  for (const char* text : {"It would be nice to have an offline mode", "I would love an export to PDF",
                           "I'd love a widget for the home screen", "Would be so great if it worked with Outlook",
                           "Would like an option to mute the sounds", "I would really love a dark mode",
                           "Please add a dark mode option", "I really wish there was a dark mode",
                           "Would love this app if it worked", "I'd love it if it was faster"}) {
    EXPECT_NEAR(Score(text), 0.0, 0.05) << text;
  }
  // A wish says the opposite is so.
  for (const char* text : {"I wish it didn't crash so much", "I wish it was faster"}) {
    EXPECT_LE(Score(text), -0.05) << text;
  }
  // The rest of the text still counts, and "would" that judges is no want.
  for (const char* text : {"Please add dark mode, otherwise a great app!", "Great app. It would be nice to have a widget.",
                           "I would recommend it to anyone", "I love this app, would love a tablet version"}) {
    EXPECT_GE(Score(text), 0.05) << text;
  }
}

// Good that "until" ended is over; a negated comparative is the utmost; reviews' set
// verdicts ("save your money", "game changer") mean what reviewers mean by them.
TEST_F(SentimentTest, GoodThatEndedNegatedExtremesAndSetVerdicts) {
  for (const char* text : {"Was great until the last update", "Loved it until they added ads", "Worked fine until yesterday",
                           "Great app, until you try to cancel", "Couldn't be worse", "I couldn't be more disappointed",
                           "Went downhill after the update", "Save your money", "Stay away", "Far from perfect"}) {
    EXPECT_LE(Score(text), -0.05) << text;
  }
  for (const char* text : {"Couldn't be happier", "Could not be happier with the service", "Can't live without it",
                           "Game changer", "Two thumbs up", "I will use it until I die, love it",
                           "Sunny and great until Tuesday", "Does exactly what I need"}) {
    EXPECT_GE(Score(text), 0.05) << text;
  }
  // "Zero" negates as "no" does.
  EXPECT_LE(Score("Zero help from support"), -0.05);
  // Not a comparative: negated as ever.
  EXPECT_LE(Score("I couldn't be happy with this"), -0.05);
}

// A comparative after "could", "should" or "would have" is what the writer wanted and did
// not get: a complaint, not praise. The utmost ("couldn't be better", "nothing could be
// better") and a suggestion ("would be better if") are not.
TEST_F(SentimentTest, UnmetComparativesComplain) {
  for (const char* text : {"The service could have been a lot better.", "Support could have been faster",
                           "The app should be better by now", "It should be way more intuitive",
                           "The food would have been better if it was hot.", "They could do much better",
                           "Could have done better", "I expected better.", "Customers deserve better",
                           "You can do better"}) {
    EXPECT_LE(Score(text), -0.05) << text;
  }
  for (const char* text : {"It couldn't be better", "Nothing could be better", "What could be better than this?",
                           "Could not be happier", "You can't do better than this"}) {
    EXPECT_GE(Score(text), 0.05) << text;
  }
  EXPECT_GT(Score("It would be better if it had a dark mode"), -0.05);
  // A feared comparative is relief: "could be worse" is not bad; the utmost stays it.
  EXPECT_GE(Score("Could be worse."), 0.05);
  EXPECT_GE(Score("It would have been worse without support"), 0.05);
  EXPECT_LE(Score("Nothing could be worse"), -0.05);
  EXPECT_LE(Score("Couldn't be worse"), -0.05);
  // Not a comparative: the modal changes nothing.
  EXPECT_GE(Score("It should be fine"), 0.05);
}

// A better thing had somewhere else makes this one worse; none better is the utmost.
TEST_F(SentimentTest, BetterElsewhereComplainsNoneBetterPraises) {
  for (const char* text : {"I've had better pizza elsewhere.", "There are better apps out there.",
                           "You can find better food anywhere else.", "There are much better alternatives",
                           "I have had better experiences"}) {
    EXPECT_LE(Score(text), -0.05) << text;
  }
  for (const char* text : {"The food is better here than anywhere else.", "It's better than the old version",
                           "There is no better app", "Nothing better than this", "There's nothing better"}) {
    EXPECT_GE(Score(text), 0.05) << text;
  }
  EXPECT_LE(Score("It is no better than the old one"), -0.05);
}

// iOS types typographic apostrophes and quotes: "doesn’t" negates as "doesn't" does, and
// “great” is "great".
TEST_F(SentimentTest, TypographicApostrophesAndQuotesReadAsPlainOnes) {
  EXPECT_DOUBLE_EQ(Score("It doesn\xE2\x80\x99t work"), Score("It doesn't work"));
  EXPECT_DOUBLE_EQ(Score("I don\xE2\x80\x98t like it"), Score("I don't like it"));
  EXPECT_DOUBLE_EQ(Score("It hasn\xE2\x80\x99t crashed once"), Score("It hasn't crashed once"));
  EXPECT_DOUBLE_EQ(Score("The app is \xE2\x80\x9C" "great\xE2\x80\x9D!"), Score("The app is \"great\"!"));
  EXPECT_DOUBLE_EQ(Score("it\xE2\x80\x99s \xE2\x80\x98" "awesome\xE2\x80\x99"), Score("it's 'awesome'"));
  EXPECT_LT(Score("I don\xE2\x80\x99t like it"), -0.05);
}

TEST_F(SentimentTest, CapitalsAndExclamationsEmphasise) {
  const double plain = Score("the app is good");
  EXPECT_GT(Score("the app is GOOD"), plain);
  EXPECT_GT(Score("the app is good!!!"), plain);
  EXPECT_LT(Score("the app is bad!!!"), Score("the app is bad"));
  // All capitals everywhere is not emphasis relative to anything.
  EXPECT_DOUBLE_EQ(Score("THE APP IS GOOD"), plain);
}

TEST_F(SentimentTest, EmojiAndEmoticonsCarrySentiment) {
  EXPECT_GT(Score("new update \xF0\x9F\x98\x8D"), 0.2);  // smiling face with heart-eyes
  EXPECT_LT(Score("new update \xF0\x9F\x98\xA0"), -0.2);  // angry face
  EXPECT_GT(Score("new update :)"), 0.2);
  EXPECT_LT(Score("new update :("), -0.2);
  EXPECT_GT(Score("works\xF0\x9F\x98\x8D"), 0.2);  // glued to a word
}

TEST_F(SentimentTest, CustomerFeedbackLexicon) {
  EXPECT_LT(Score("the app crashes constantly"), -0.3);
  EXPECT_LT(Score("so laggy"), 0.0);
  EXPECT_LT(Score("these shoes run small"), 0.0);
  EXPECT_GT(Score("checkout is seamless and intuitive"), 0.3);
  // Service and product words and idioms VADER lacks; an idiom reads as a whole ("die").
  EXPECT_GT(Score("the service was impeccable"), 0.3);
  EXPECT_GT(Score("the tiramisu is to die for"), 0.3);
  EXPECT_GT(Score("the lasagna was out of this world"), 0.3);
  EXPECT_LT(Score("the soup came lukewarm and tasteless"), -0.3);
  EXPECT_LT(Score("a total rip off"), -0.3);
  EXPECT_LT(Score("the screen quit working after a week"), -0.3);
  EXPECT_LT(Score("the build quality is sub-par"), -0.3);
  EXPECT_LT(Score("a second-rate, over-priced sequel"), -0.3);  // hyphenated words are one token
  // Nouns that judge, and idioms VADER reads the other way ("joke" +1.2, "steal" -2.2).
  EXPECT_LT(Score("the new update is a nightmare"), -0.3);
  EXPECT_LT(Score("the support chat is a joke"), -0.3);
  EXPECT_GT(Score("setup was a breeze"), 0.3);
  EXPECT_GT(Score("at this price it's a steal"), 0.3);
  EXPECT_GT(Score("this little cafe is a gem"), 0.3);
  // Prices that rise ("increase" alone is +1.3), fixes asked for ("improvements" +1.3),
  // money wanted back.
  for (const char* text : {"They raised the price without notice", "Another price increase", "The price went up again",
                           "Could use some improvements", "I want my money back"}) {
    EXPECT_LE(Score(text), -0.05) << text;
  }
  // Customers who leave, support that hangs up; verdicts VADER reads as nothing or as
  // their negation ("can't ... enough").
  for (const char* text : {"Uninstalled.", "Deleted the app after a day", "Customer service hung up on me",
                           "Locked out of my account for two days", "I get logged out every few minutes",
                           "Thanks for nothing.", "Didn't meet my expectations", "Not as described",
                           "The free version is limited",
                           "The new version is a step backwards."}) {
    EXPECT_LE(Score(text), -0.05) << text;
  }
  for (const char* text : {"Can't recommend it enough", "I can't say enough good things about them",
                           "Can't thank you enough", "Worth every penny", "Does the job", "Gets the job done",
                           "Exceeded my expectations", "I got my refund quickly", "The refund arrived the next day"}) {
    EXPECT_GE(Score(text), 0.25) << text;
  }
}

TEST_F(SentimentTest, FourWordPhrasesMatchAndLongerOnesAreRefusedAtLoad) {
  EXPECT_GT(Score("a night out of the ordinary"), 0.1) << "a four-word phrase reads as a whole";
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("voc-lexicon-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  for (const char* f : {"vader_lexicon.txt", "emoji_utf8_lexicon.txt", "customer_feedback.txt"}) {
    fs::copy_file(fs::path(VOC_SOURCE_DIR) / "data/lexicons" / f, dir / f, fs::copy_options::overwrite_existing);
  }
  std::ofstream(dir / "customer_feedback.txt", std::ios::app) << "not quite what we hoped\t-1.0\n";
  auto lex = Lexicon::Load(dir.string());
  fs::remove_all(dir);
  ASSERT_FALSE(lex.ok());
  EXPECT_NE(lex.status().message().find("'not quite what we hoped' has more than 4 words"), std::string::npos)
      << lex.status().ToString();
}

TEST_F(SentimentTest, CompoundStaysInRange) {
  std::string text;
  for (int i = 0; i < 500; ++i) text += "AMAZING love great!!! ";
  const double c = Score(text);
  EXPECT_LE(c, 1.0);
  EXPECT_GT(c, 0.99);
}

TEST_F(SentimentTest, ClauseScoresFollowTheirOwnWords) {
  SentimentScorer scorer(lexicon_);
  const std::string text = "love the design but checkout keeps crashing";
  scorer.Tokenize(text);
  EXPECT_GT(scorer.ScoreClauseAt(static_cast<uint32_t>(text.find("design"))), 0.3);
  EXPECT_LT(scorer.ScoreClauseAt(static_cast<uint32_t>(text.find("checkout"))), -0.2);
  EXPECT_LT(scorer.ScoreClauseAt(static_cast<uint32_t>(text.find("crashing"))), -0.2);
}

TEST_F(SentimentTest, InvalidUtf8DoesNotCrash) {
  const std::string bad = "good \xC3\x28 \xFF\xFE \xF0\x9F\x98 great";
  const double c = Score(bad);
  EXPECT_GT(c, 0.0);
}

}  // namespace
}  // namespace voc::text
