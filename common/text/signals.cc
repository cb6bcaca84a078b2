#include "common/text/signals.h"

#include <algorithm>
#include <array>
#include <vector>

#include "common/text/ascii.h"
#include "common/text/one_of.h"

namespace voc::text {
namespace {

// A word inside a cue, and the rest of one: at most 24 word characters. Unbounded (\w+,
// \w*), a gap after a common word ("i", "not") kept Hyperscan's engines running after
// each; bounded, the cue database scans feedback ~28% faster, and feedback words are
// seldom longer (the analysis of 37,496 test texts did not change).
#define VOC_WORD "\\w{1,24}"
#define VOC_WORD_REST "\\w{0,24}"

// Negated auxiliaries: (?:won'?t|will not|can'?t|cannot|can not|doesn'?t|does not|don'?t|
// do not|didn'?t|did not|isn'?t|is not|wouldn'?t|couldn'?t|unable to|fails? to|failed to|
// no longer|not), spelled out; a space in one is a single ' '.
constexpr std::string_view kNegations[] = {
    "won't", "wont",  "will not", "can't",    "cant",   "cannot",   "can not",  "doesn't",   "doesnt",    "does not",
    "don't", "dont",  "do not",   "didn't",   "didnt",  "did not",  "isn't",    "isnt",      "is not",    "wouldn't",
    "wouldnt", "couldn't", "couldnt", "unable to", "fails to", "fail to", "failed to", "no longer", "not"};
// Each negation ends with one of these words, which occur wherever a negation does.
constexpr const char* kNegationAnchors =
    "(?:not|won't|can't|cannot|doesn't|don't|didn't|isn't|wouldn't|couldn't|unable to|fails to|fail to|failed to|"
    "no longer)";
// The verbs users pair with them when something is broken (each followed by at most 24
// more word characters: "opening", "loads").
constexpr std::string_view kBrokenVerbs[] = {
    "open",     "load",    "start",   "launch",   "play",     "work",      "connect", "sync",   "show",    "display",
    "respond",  "download", "upload", "install",  "update",   "save",      "send",    "log in", "login",   "sign in",
    "signin",   "boot",    "run",     "print",    "stream",   "refresh",   "charge",  "pair",   "watch",   "read",
    "keep",     "remember", "recognise", "recognize", "detect", "hear",     "stay",    "resume", "seek",    "close",
    "exit",     "quit",    "render",  "decode",   "convert",  "record",    "import",  "export", "recover", "scroll",
    "go off",   "ring",    "rotate",  "zoom",     "delete",   "uninstall", "appear",  "function", "activate", "access"};
// What cannot find or see in a bug report: the software, not the writer.
constexpr std::string_view kSoftwareSubjects[] = {
    "it",          "vlc",        "firefox",      "the app",    "the program", "the player",
    "the browser", "the system", "the computer", "the device", "the phone",   "the software"};
constexpr std::string_view kFindOrSee[] = {"find", "see"};
// What customers warn each other not to do: "don't download".
constexpr std::string_view kWarnedVerbs[] = {"download", "install", "update", "upgrade", "buy", "waste", "bother",
                                             "pay", "subscribe", "trust", "get"};

// Whether text[at..) starts with `word` (lowercase), caseless as Hyperscan's
// HS_FLAG_CASELESS.
bool StartsWithAt(std::string_view text, size_t at, std::string_view word) {
  if (at > text.size() || text.size() - at < word.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (Lower(text[at + i]) != word[i]) return false;
  }
  return true;
}

// Where `word` starts when it ends at `end` of the text and a word starts there (\b);
// npos when it does not.
size_t WordEndingAt(std::string_view text, size_t end, std::string_view word) {
  if (end > text.size() || end < word.size() || !StartsWithAt(text, end - word.size(), word)) return std::string_view::npos;
  const size_t start = end - word.size();
  return start == 0 || !IsWordChar(text[start - 1]) ? start : std::string_view::npos;
}

// Verbs by their first letter: a word is compared only with the verbs it could start.
class VerbIndex {
 public:
  explicit VerbIndex(std::span<const std::string_view> verbs) {
    for (std::string_view verb : verbs) by_letter_[static_cast<size_t>(verb[0] - 'a')].push_back(verb);
  }
  std::span<const std::string_view> StartingWith(char c) const {
    c = Lower(c);
    if (c < 'a' || c > 'z') return {};
    return by_letter_[static_cast<size_t>(c - 'a')];
  }

 private:
  std::array<std::vector<std::string_view>, 26> by_letter_;
};

const VerbIndex& BrokenVerbs() {
  static const VerbIndex index(kBrokenVerbs);
  return index;
}
const VerbIndex& WarnedVerbs() {
  static const VerbIndex index(kWarnedVerbs);
  return index;
}
const VerbIndex& FindOrSee() {
  static const VerbIndex index(kFindOrSee);
  return index;
}

// One of the verbs at `at`, then at most 24 more word characters and the word's end:
// (?:verbs)\w{0,24}\b.
bool VerbAt(std::string_view text, size_t at, const VerbIndex& verbs) {
  if (at >= text.size()) return false;
  for (std::string_view verb : verbs.StartingWith(text[at])) {
    if (!StartsWithAt(text, at, verb)) continue;
    size_t rest = 0;
    for (size_t k = at + verb.size(); k < text.size() && IsWordChar(text[k]) && rest <= 24; ++k) ++rest;
    if (rest <= 24) return true;
  }
  return false;
}

// Where the verb of \s+(?:\w{1,24}\s+)?VERB may start after a negation that ends at `end`:
// after its whitespace, and after one more word of 1-24 word characters and whitespace;
// npos where there is none.
std::array<size_t, 2> VerbStarts(std::string_view text, size_t end) {
  constexpr size_t kNone = std::string_view::npos;
  size_t p = end;
  if (p >= text.size() || !IsSpace(text[p])) return {kNone, kNone};
  while (p < text.size() && IsSpace(text[p])) ++p;
  size_t q = p;
  while (q < text.size() && IsWordChar(text[q]) && q - p <= 24) ++q;
  if (q == p || q - p > 24 || q >= text.size() || !IsSpace(text[q])) return {p, kNone};
  while (q < text.size() && IsSpace(text[q])) ++q;
  return {p, q};
}

bool VerbAtEither(std::string_view text, const std::array<size_t, 2>& starts, const VerbIndex& verbs) {
  return VerbAt(text, starts[0], verbs) || VerbAt(text, starts[1], verbs);
}

// \b(?:negations), ending at `end`.
bool NegationEndsAt(std::string_view text, size_t end) {
  for (std::string_view negation : kNegations) {
    if (WordEndingAt(text, end, negation) != std::string_view::npos) return true;
  }
  return false;
}

// \b(?:software subjects)\s+(?:negations), the negation ending at `end`.
bool SoftwareNegationEndsAt(std::string_view text, size_t end) {
  for (std::string_view negation : kNegations) {
    if (end < negation.size() || !StartsWithAt(text, end - negation.size(), negation)) continue;
    const size_t start = end - negation.size();
    if (start == 0 || !IsSpace(text[start - 1])) continue;
    size_t before = start;
    while (before > 0 && IsSpace(text[before - 1])) --before;
    for (std::string_view subject : kSoftwareSubjects) {
      if (WordEndingAt(text, before, subject) != std::string_view::npos) return true;
    }
  }
  return false;
}

}  // namespace

// Around the negation that ends at `end`, either bug construction (the verbs are looked
// for first: after most negations there is none):
// - \b(?:negations)\s+(?:\w{1,24}\s+)?(?:broken verbs)\w{0,24}\b: "won't open", "can't log
//   in", "no longer syncs", "does not even start";
// - \b(?:software subjects)\s+(?:negations)\s+(?:\w{1,24}\s+)?(?:find|see)\w{0,24}\b: "VLC
//   cannot find the file", "it does not see my camera".
bool BugAfterNegation(std::string_view text, size_t end) {
  const std::array<size_t, 2> starts = VerbStarts(text, end);
  if (starts[0] == std::string_view::npos) return false;
  if (VerbAtEither(text, starts, BrokenVerbs()) && NegationEndsAt(text, end)) return true;
  return VerbAtEither(text, starts, FindOrSee()) && SoftwareNegationEndsAt(text, end);
}

namespace {

// "Don't download", "Do not install this app", "Just don't update": a warning to other
// customers at the start of a sentence, not a report that something did not download.
// The negation ends at `end`.
bool WarningAfterNegation(std::string_view text, size_t end) {
  size_t start = std::string_view::npos;
  for (std::string_view imperative : {std::string_view("don't"), std::string_view("dont"), std::string_view("do not")}) {
    start = WordEndingAt(text, end, imperative);
    if (start != std::string_view::npos) break;
  }
  if (start == std::string_view::npos) return false;
  size_t p = start;
  while (p > 0 && IsSpace(text[p - 1])) --p;
  for (std::string_view softener : {std::string_view("please"), std::string_view("just")}) {
    if (const size_t s = WordEndingAt(text, p, softener); s != std::string_view::npos) {
      p = s;
      while (p > 0 && IsSpace(text[p - 1])) --p;
      break;
    }
  }
  if (p > 0 && std::string_view(".!,;:-\n").find(text[p - 1]) == std::string_view::npos) return false;
  const std::array<size_t, 2> starts = VerbStarts(text, end);
  return starts[0] != std::string_view::npos && VerbAt(text, starts[0], WarnedVerbs());
}

// The negated-verb bug cue, but not a warning to others ("don't download").
bool BugReportAfterNegation(std::string_view text, size_t end) {
  return BugAfterNegation(text, end) && !WarningAfterNegation(text, end);
}

// The words of a denial, lower case and without apostrophes ("hasn't": "hasnt").
bool IsDenial(std::string_view w) {
  return IsOneOf(w, {"no", "zero", "without", "never", "not", "nor", "none", "cannot", "cant", "dont", "doesnt",
                     "didnt", "hasnt", "havent", "hadnt", "isnt", "wasnt", "wont", "aint", "arent", "werent"});
}

// The word of text that starts at or after `from` past spaces, lower case and without
// apostrophes (at most 15 letters; longer words come back cut), and where it ends; empty
// at punctuation or the end.
std::string_view NextWord(std::string_view text, size_t from, char (&buf)[16], size_t* end) {
  size_t b = from;
  while (b < text.size() && (text[b] == ' ' || text[b] == '\t')) ++b;
  size_t e = b;
  size_t len = 0;
  while (e < text.size() && (IsAlpha(text[e]) || text[e] == '\'' || static_cast<unsigned char>(text[e]) >= 0x80)) {
    if (text[e] != '\'' && static_cast<unsigned char>(text[e]) < 0x80 && len < sizeof buf) buf[len++] = Lower(text[e]);
    ++e;
  }
  *end = e;
  return std::string_view(buf, len);
}

// The word that ends where *p is, past spaces, lower case and without apostrophes (at most
// 15 letters), with *p moved to its start; empty (and *p unmoved) at punctuation or the
// text's start.
std::string_view WordBefore(std::string_view text, size_t* p, char (&buf)[16]) {
  size_t e = *p;
  while (e > 0 && (text[e - 1] == ' ' || text[e - 1] == '\t')) --e;
  size_t b = e;
  while (b > 0 && (IsAlpha(text[b - 1]) || text[b - 1] == '\'' || static_cast<unsigned char>(text[b - 1]) >= 0x80)) --b;
  if (e == *p || b == e) return {};
  *p = b;
  size_t unused = 0;
  return NextWord(text, b, buf, &unused);
}

// Whether one of `targets` is among the next `words` words after `end`, with only words of
// `between` before it ("the crash is finally fixed"; a denial is never between).
bool FollowedBy(std::string_view text, size_t end, int words, std::initializer_list<std::string_view> targets,
                std::initializer_list<std::string_view> between) {
  char buf[16];
  size_t p = end;
  for (int k = 0; k < words; ++k) {
    const std::string_view w = NextWord(text, p, buf, &p);
    if (IsOneOf(w, targets)) return true;
    if (!IsOneOf(w, between)) return false;
  }
  return false;
}

// Whether the problem word ending at `end` is said to be fixed: "the crash is fixed",
// "bugs have been resolved", "the freeze is finally gone"; not "isn't fixed", "was never
// fixed", "is still not resolved".
bool FixedAfter(std::string_view text, size_t end) {
  return FollowedBy(text, end, 4, {"fixed", "solved", "resolved", "gone", "squashed", "sorted"},
                    {"is", "was", "are", "were", "has", "have", "been", "got", "gets", "get", "now", "finally", "all",
                     "already", "just", "being", "seems", "seem", "to", "be"});
}

// Whether a fix verb is one of the four words before the problem word ending at `end`
// (not across punctuation), and not denied itself: "fixed the login bug", "thanks for
// fixing the crash"; not "haven't fixed the crash", "never fixed the bugs".
bool FixedBefore(std::string_view text, size_t end) {
  size_t p = end;
  while (p > 0 && IsWordChar(text[p - 1])) --p;
  char buf[16];
  for (int words = 0; words < 4; ++words) {
    const std::string_view w = WordBefore(text, &p, buf);
    if (w.empty()) return false;
    if (IsOneOf(w, {"fixed", "fixing", "fixes", "solved", "resolved", "squashed"})) {
      return !IsDenial(WordBefore(text, &p, buf));
    }
  }
  return false;
}

// Whether the refund word ending at `end` was paid: "got my refund", "received a full
// refund", "the refund arrived", "refund was processed"; not "can't get a refund", "never
// received my refund", "still waiting for the refund".
bool RefundPaid(std::string_view text, size_t end) {
  if (FollowedBy(text, end, 3, {"arrived", "processed", "came", "went", "cleared", "issued"},
                 {"was", "has", "have", "been", "finally", "already", "just", "got", "is"})) {
    return true;
  }
  char buf[16];
  size_t p = end;
  while (p > 0 && IsWordChar(text[p - 1])) --p;
  bool paid = false;
  for (int words = 0; words < 4; ++words) {
    const std::string_view w = WordBefore(text, &p, buf);
    if (w.empty()) break;
    if (IsDenial(w) || IsOneOf(w, {"waiting", "want", "wanted", "need", "asked", "requested", "demand"})) return false;
    paid = paid || IsOneOf(w, {"got", "received", "receive", "get", "gotten"});
  }
  return paid;
}

// A complaint about a refund, not one paid.
bool RefundComplaint(std::string_view text, size_t end) { return !RefundPaid(text, end); }

// A problem word the text does not deny: not "no crashes", "zero bugs", "never crashes",
// "hasn't crashed once", "not a single glitch", "never had any freezes", "no more
// crashes", nor "bug-free", "crash free", nor one fixed ("fixed the login bug", "thanks
// for fixing the crash", "the freeze is gone"; but "haven't fixed the crash" reports it).
// The word ends at `end`; a denial is one of the four words before it, past words such as
// "any", "a single", "had" (not across punctuation).
bool UndeniedProblem(std::string_view text, size_t end) {
  if (end < text.size() && (text[end] == '-' || text[end] == ' ') && StartsWithAt(text, end + 1, "free") &&
      (end + 5 >= text.size() || !IsWordChar(text[end + 5]))) {
    return false;
  }
  if (FixedAfter(text, end) || FixedBefore(text, end)) return false;
  size_t p = end;
  while (p > 0 && IsWordChar(text[p - 1])) --p;
  for (int words = 0; words < 4; ++words) {
    size_t e = p;
    while (e > 0 && (text[e - 1] == ' ' || text[e - 1] == '\t')) --e;
    if (e == p && words > 0) return true;  // punctuation, not a space: the clause ends
    size_t b = e;
    // Letters, apostrophes (also typographic ones, as their UTF-8 bytes) of one word.
    while (b > 0 && e - b < 16 && (IsAlpha(text[b - 1]) || text[b - 1] == '\'' || static_cast<unsigned char>(text[b - 1]) >= 0x80)) --b;
    if (b == e || (b > 0 && IsWordChar(text[b - 1]))) return true;
    char word[16];
    size_t len = 0;
    for (size_t k = b; k < e; ++k) {
      if (text[k] == '\'' || static_cast<unsigned char>(text[k]) >= 0x80) continue;  // "hasn't", "hasn’t": "hasnt"
      word[len++] = Lower(text[k]);
    }
    const std::string_view w(word, len);
    if (IsDenial(w)) return false;
    if (!IsOneOf(w, {"any", "single", "a", "one", "more", "had", "have", "has", "seen", "experienced", "got", "gotten",
                     "getting", "encountered", "noticed", "even", "ever", "really", "major", "serious", "real", "the",
                     "of"})) {
      return true;  // a word that no denial reaches past
    }
    p = b;
  }
  return true;
}

// A plain array: std::array's deduction guide folds over every element, past clang's nesting limit.
constexpr SignalCue kCues[] = {
    // Bug reports: the product misbehaves.
    // Verified (UndeniedProblem): "no crashes", "bug-free" report none. Not "error*": "no
    // error message" is how bug reports say it.
    SignalCue{Signal::kBug, "crash*", false, true, 0, &UndeniedProblem},
    SignalCue{Signal::kBug, "(?:bug|bugs)", false, true, 0, &UndeniedProblem},
    SignalCue{Signal::kBug, "buggy", false},
    SignalCue{Signal::kBug, "glitch*", false, true, 0, &UndeniedProblem},
    SignalCue{Signal::kBug, "error*", false},
    SignalCue{Signal::kBug, "freez*", false, true, 0, &UndeniedProblem},
    SignalCue{Signal::kBug, "froze*", false, true, 0, &UndeniedProblem},
    SignalCue{Signal::kBug, "hangs", false},
    SignalCue{Signal::kBug, "force clos*", false},
    SignalCue{Signal::kBug, "keeps closing", false},
    SignalCue{Signal::kBug, "stopped working", false},
    SignalCue{Signal::kBug, "stops working", false},
    SignalCue{Signal::kBug, "not working", false},
    SignalCue{Signal::kBug, "no longer works", false},
    SignalCue{Signal::kBug, "broken", false},
    SignalCue{Signal::kBug, "black screen", false},
    SignalCue{Signal::kBug, "blank screen", false},
    SignalCue{Signal::kBug, "no sound", false},
    SignalCue{Signal::kBug, "no audio", false},
    SignalCue{Signal::kBug, "no video", false},
    SignalCue{Signal::kBug, "out of sync", false},
    SignalCue{Signal::kBug, "stutter*", false},
    SignalCue{Signal::kBug, "choppy", false},
    SignalCue{Signal::kBug, "distort*", false},
    SignalCue{Signal::kBug, "corrupt*", false},
    SignalCue{Signal::kBug, "unresponsive", false},
    SignalCue{Signal::kBug, "skipping", false},
    SignalCue{Signal::kBug, "flicker*", false},
    SignalCue{Signal::kBug, "scrambled", false},
    SignalCue{Signal::kBug, "pixelat*", false},
    SignalCue{Signal::kBug, "unplayable", false},
    SignalCue{Signal::kBug, "unviewable", false},
    SignalCue{Signal::kBug, "green screen", false},
    SignalCue{Signal::kBug, "lost frames", false},
    SignalCue{Signal::kBug, "no signal", false},
    SignalCue{Signal::kBug, "not detected", false},
    SignalCue{Signal::kBug, "desync*", false},
    SignalCue{Signal::kBug, "nothing happens", false},
    SignalCue{Signal::kBug, "nothing happened", false},
    SignalCue{Signal::kBug, "(?:stops|stopped|keeps|starts|started)\\s+(?:playing|skipping|freezing|crashing|stuttering|lagging|buffering|flickering|jumping)", true},
    SignalCue{Signal::kBug, "(?:plays|works|runs|displays)\\s+(?:very\\s+)?(?:poorly|badly|wrong|incorrectly|choppy)", true},
    SignalCue{Signal::kBug, "doesn't work", false},
    SignalCue{Signal::kBug, "does not work", false},
    SignalCue{Signal::kBug, "didn't work", false},
    SignalCue{Signal::kBug, "won't work", false},
    // A negated broken verb ("won't open"), or the software that cannot find or see: "can't
    // find / see" is a bug when the software cannot ("VLC cannot find the file"), and
    // information when the writer cannot ("I can't find that setting").
    SignalCue{Signal::kBug, kNegationAnchors, false, true, 0, &BugReportAfterNegation},
    SignalCue{Signal::kBug, "(?:it|app|player|video|file|program)\\s+(?:just\\s+)?(?:closes|quits|dies|hangs|lags|skips|jumps)", true},
    // Misbehaviour described without a bug word ("shows the wrong date", "my photos
    // disappeared", "resets every time", "the button does nothing").
    SignalCue{Signal::kBug, "wrong", false},
    SignalCue{Signal::kBug, "disappear*", false},
    SignalCue{Signal::kBug, "vanish*", false},
    SignalCue{Signal::kBug, "stuck", false},
    SignalCue{Signal::kBug, "does nothing", false},
    // What the software did when the writer did something: "when I click on OK it says",
    // "each time I load it, VLC needs to repair it", "I cannot get H264 files to play".
    SignalCue{Signal::kBug, "(?:when|whenever|each time|every time)\\s+i\\s+(?:click|press|hit|open|play|load|start|try|select|use|run|tell|save|close|change|drag|choose|connect|plug|launch)" VOC_WORD_REST "\\b.{0,80}?\\b(?:it|vlc|the (?:app|program|player|video|sound|screen|file|window))\\s+(?:says|gives|shows|displays|crashes|freezes|stops|closes|becomes|turns|goes|needs|won't|doesn't|does not|just|only)", true},
    SignalCue{Signal::kBug, "(?:cannot|can't|can not|cant|couldn't|could not)\\s+(?:get|make)\\s+(?:it|them|" VOC_WORD "(?:\\s+" VOC_WORD "){0,3})\\s+(?:to\\s+)?(?:work|play|open|run|load|start|show|display|stream|record)", true},
    SignalCue{Signal::kBug, "nothing (?:appends|happens|is being|shows|plays|displays|loads|works)", true},
    SignalCue{Signal::kBug, "(?:has|have|having) (?:some |many |several )?(?:small |big |serious |major )?problems? with", true},
    SignalCue{Signal::kBug, "did nothing", false},
    SignalCue{Signal::kBug, "randomly", false},
    SignalCue{Signal::kBug, "by itself", false},
    SignalCue{Signal::kBug, "on its own", false},
    SignalCue{Signal::kBug, "sideways", false},
    SignalCue{Signal::kBug, "cut off", false},
    SignalCue{Signal::kBug, "blurry", false},
    SignalCue{Signal::kBug, "duplicat*", false},
    SignalCue{Signal::kBug, "login loop", false},
    SignalCue{Signal::kBug, "without sound", false},
    SignalCue{Signal::kBug, "strange problem", false},
    SignalCue{Signal::kBug, "weird problem", false},
    SignalCue{Signal::kBug, "for some reason", false},
    SignalCue{Signal::kBug, "tearing", false},
    SignalCue{Signal::kBug, "but not with", false},
    SignalCue{Signal::kBug, "but not on", false},
    SignalCue{Signal::kBug, "but not in", false},
    SignalCue{Signal::kBug, "but not when", false},
    SignalCue{Signal::kBug, "can no longer", false},
    SignalCue{Signal::kBug, "could no longer", false},
    SignalCue{Signal::kBug, "instead of the", false},
    SignalCue{Signal::kBug, "(?:isn't|is not|aren't) (?:loading|responding|playing|syncing|opening|working|showing)", false, true},
    SignalCue{Signal::kBug, "(?:just|suddenly|always|randomly|still) (?:stops|stopped|closes|crashes|freezes|quits|dies|plays)", false, true},
    SignalCue{Signal::kBug, "(?:issue|problem|bug|error) (?:happens|occurs|appears|persists|started|began|remains)", false, true},
    SignalCue{Signal::kBug, "(?:playback|video|audio|sound|display|rendering|sync|subtitle|codec|install|installation|update|loading|login) (?:issue|problem|error|failure)s?", false, true},
    SignalCue{Signal::kBug, "failure*", false},
    SignalCue{Signal::kBug, "no (?:picture|image|video|display|sound)s?", false, true},
    SignalCue{Signal::kBug, "white screen", false},
    SignalCue{Signal::kBug, "blanks out", false},
    SignalCue{Signal::kBug, "resets", false},
    SignalCue{Signal::kBug, "reverts", false},
    SignalCue{Signal::kBug, "jumps back", false},
    SignalCue{Signal::kBug, "switches back", false},
    SignalCue{Signal::kBug, "fails", false},
    SignalCue{Signal::kBug, "failed to", false},
    SignalCue{Signal::kBug, "failing to", false},
    SignalCue{Signal::kBug, "(?:keeps|kept) (?:crashing|freezing|closing|stopping|logging|asking|restarting|resetting|buffering|lagging|disconnecting|failing|deleting|kicking|shutting|reverting)", false, true},
    SignalCue{Signal::kBug, "(?:stops|stopped) (?:working|playing|syncing|loading|responding|updating|showing|sending|recording|charging|counting|tracking|blocking|connecting|receiving|opening|running|when|after|at)", false, true},
    SignalCue{Signal::kBug, "never (?:arrives?|shows? up|loads?|works?|opens?|came|comes|arrived|syncs?|finishes|plays)", false, true},
    SignalCue{Signal::kBug, "is blank", false},
    SignalCue{Signal::kBug, "are blank", false},
    SignalCue{Signal::kBug, "is empty", false},
    SignalCue{Signal::kBug, "are empty", false},
    SignalCue{Signal::kBug, "is gone", false},
    SignalCue{Signal::kBug, "are gone", false},
    SignalCue{Signal::kBug, "is missing", false},
    SignalCue{Signal::kBug, "are missing", false},
    SignalCue{Signal::kBug, "goes blank", false},
    SignalCue{Signal::kBug, "went blank", false},
    SignalCue{Signal::kBug, "goes black", false},
    SignalCue{Signal::kBug, "went black", false},
    SignalCue{Signal::kBug, "get it to work", false},
    SignalCue{Signal::kBug, "get this to work", false},
    SignalCue{Signal::kBug, "get it working", false},
    SignalCue{Signal::kBug, "have a problem", false},
    SignalCue{Signal::kBug, "have an issue", false},
    SignalCue{Signal::kBug, "having a problem", false},
    SignalCue{Signal::kBug, "having an issue", false},
    SignalCue{Signal::kBug, "having problems", false},
    SignalCue{Signal::kBug, "having issues", false},
    SignalCue{Signal::kBug, "got a problem", false},
    // Feature requests: something missing is wanted.
    SignalCue{Signal::kFeatureRequest, "please add", false},
    SignalCue{Signal::kFeatureRequest, "pls add", false},
    SignalCue{Signal::kFeatureRequest, "feature request", false},
    SignalCue{Signal::kFeatureRequest, "would be nice", false},
    SignalCue{Signal::kFeatureRequest, "would be great", false},
    SignalCue{Signal::kFeatureRequest, "would be awesome", false},
    SignalCue{Signal::kFeatureRequest, "would be helpful", false},
    SignalCue{Signal::kFeatureRequest, "would be useful", false},
    SignalCue{Signal::kFeatureRequest, "would love", false},
    SignalCue{Signal::kFeatureRequest, "would like to see", false},
    SignalCue{Signal::kFeatureRequest, "i'd like to see", false},
    SignalCue{Signal::kFeatureRequest, "it would be", false},
    SignalCue{Signal::kFeatureRequest, "it'd be", false},
    SignalCue{Signal::kFeatureRequest, "wish list", false},
    SignalCue{Signal::kFeatureRequest, "wishlist", false},
    SignalCue{Signal::kFeatureRequest, "i suggest", false},
    SignalCue{Signal::kFeatureRequest, "support for", false},
    SignalCue{Signal::kFeatureRequest, "add support", false},
    SignalCue{Signal::kFeatureRequest, "option to", false},
    SignalCue{Signal::kFeatureRequest, "ability to", false},
    SignalCue{Signal::kFeatureRequest, "possibility to", false},
    // A request for a change ("my request for VLC is to add", "humbly request that there
    // be"), not one mentioned ("this request in a way", "bugs and feature requests") nor a
    // customer's request to support ("my request for a refund was ignored").
    SignalCue{Signal::kFeatureRequest, "following request|request that (?:there|you|they|it|the)|request (?:for " VOC_WORD " )?is to|request (?:to|for) (?:add|have|make|include|allow|implement|be able)|request (?:for )?(?:an? |the )?(?:option|feature|setting|button|way) to", true},
    SignalCue{Signal::kFeatureRequest, "better yet", false},
    SignalCue{Signal::kFeatureRequest, "(?:i|we)\\s+(?:just\\s+|really\\s+)?(?:want|need)\\s+(?:to be able|it to|an?\\s+(?:option|way|button|setting)|the ability)", true},
    SignalCue{Signal::kFeatureRequest, "(?:i'?d|i would|we would|we'?d)\\s+(?:really\\s+|just\\s+|very much\\s+)?(?:like|love)\\s+(?:to\\s+(?:see|have|suggest|propose|request|ask for|be able|add|get (?:an?|the|some))|it|a|an|the|if|some|this)", true},
    SignalCue{Signal::kFeatureRequest, "would be (?:a |an )?(?:" VOC_WORD " )?(?:solution|feature|addition|improvement|idea)", true},
    SignalCue{Signal::kFeatureRequest, "there (?:should|could) be", true},
    SignalCue{Signal::kFeatureRequest, "there (?:can|might) be (?:an? )?(?:option|way|setting|button|feature)", true},
    // Something wanted back, a way asked for, a want of a new capability.
    SignalCue{Signal::kFeatureRequest, "(?:want|need|like)\\s+(?:the|my|our|a|an|that|this|those|these|it|them)\\s+(?:" VOC_WORD "\\s+){0,4}back\\b", true},
    SignalCue{Signal::kFeatureRequest, "provide (?:a|an|some) (?:way|option|setting|button)", true},
    SignalCue{Signal::kFeatureRequest, "make (?:a|an) (?:hotkey|shortcut|option|button|setting|preset)", true},
    SignalCue{Signal::kFeatureRequest, "(?:need|want|please) (?:to )?get rid of", true},
    SignalCue{Signal::kFeatureRequest, "^\\W*i (?:really |just )?wish\\b", true},
    SignalCue{Signal::kFeatureRequest, "i (?:really |just )?want to (?:put|make|create|add|have|be able|see)", true},
    // An opening imperative. Not "support": in feedback a sentence that opens with it is
    // about the support team ("Support was fantastic", "Support took nine days"); "please
    // support" and "support for" ask for one.
    SignalCue{Signal::kFeatureRequest, "^\\W*(?:please\\s+)?(?:add|make|allow|enable|implement|include|integrate|disable|remove|bring back|give (?:me|us)|stop " VOC_WORD "ing)\\s", true},
    SignalCue{Signal::kFeatureRequest, "(?:wish|hope)\\s+(?:that\\s+)?(?:there|you|they|the|i could|we could|it (?:will|would|could|can|gets|had|has))", true},
    SignalCue{Signal::kFeatureRequest, "(?:could|can|would|will)\\s+you\\s+(?:please\\s+)?(?:add|make|implement|include|consider|bring)", true},
    SignalCue{Signal::kFeatureRequest, "should\\s+(?:have\\s+(?:a|an|the|some|more|options?|support|settings?|buttons?)|add|include|support|allow|offer|be able)", true},
    SignalCue{Signal::kFeatureRequest, "(?:need|needs|want|wants)\\s+(?:an?\\s+)?(?:option|setting|feature|way)", true},
    SignalCue{Signal::kFeatureRequest, "allow\\s+(?:me|us|users?)\\s+(?:to\\s+)?" VOC_WORD, true},
    // "let me/us" + what a setting would do; not "let me know", "let us see", "let me try".
    SignalCue{Signal::kFeatureRequest, "let (?:me|us|users?|the user|people) (?:choose|pick|select|change|set|use|turn|disable|enable|hide|remove|add|customi(?:s|z)e|save|export|import|sort|keep|skip|edit|switch|decide|configure|control|move|resize|rename|mute|adjust|upgrade|opt)", false, true},
    // A suggestion put as a question: "why not display the time in the navigation bar".
    SignalCue{Signal::kFeatureRequest, "why (?:not|don't you|dont you|can't you|cant you) (?:add|make|allow|include|support|let|display|show|offer|provide|implement|put|give)", false, true},
    SignalCue{Signal::kFeatureRequest, "(?:add|implement|include)\\s+(?:an?|the|some)\\s+(?:option|setting|feature|button|way)", true},
    // App-store requests: stars promised for a change, removals, what is missing.
    SignalCue{Signal::kFeatureRequest, "(?:would|will|i'd|i'll|we'd) (?:give|rate) (?:it |this |you )?(?:5|five|4|four) stars?", false, true},
    SignalCue{Signal::kFeatureRequest, "(?:would|will|it'd) be (?:a )?(?:5|five) stars?", false, true},
    SignalCue{Signal::kFeatureRequest, "(?:5|five|4|four) stars? (?:if|once|when|until)", false, true},
    SignalCue{Signal::kFeatureRequest, "would be (?:perfect|great|better|awesome|amazing|nice|ideal) if", false, true},
    SignalCue{Signal::kFeatureRequest, "please (?:remove|bring|make (?:it|the|a|an|this)|allow|give us|change|add|include|support)", false, true},
    SignalCue{Signal::kFeatureRequest, "bring back", false},
    SignalCue{Signal::kFeatureRequest, "besides the fact", false},
    SignalCue{Signal::kFeatureRequest, "(?:except|other than|apart from) (?:the fact|that|for the fact)", false, true},
    SignalCue{Signal::kFeatureRequest, "(?:except|besides) (?:you|it|that you|that it) (?:can't|cannot|can not|doesn't|don't)", false, true},
    SignalCue{Signal::kFeatureRequest, "only thing (?:missing|lacking|i miss|it lacks|i'd like|i would like|i want)", false, true},
    SignalCue{Signal::kFeatureRequest, "(?:missing|lacks|lacking) (?:a|an|the|any|some)", false, true},
    SignalCue{Signal::kFeatureRequest, "needs (?:a|an|more|to have|the ability)", false, true},
    SignalCue{Signal::kFeatureRequest, "(?:there's|there is|there are) no (?:option|way|setting|button|feature|support)", false, true},
    SignalCue{Signal::kFeatureRequest, "(?:doesn't|don't) have (?:a|an) (?:option|way|setting|feature)", false, true},
    SignalCue{Signal::kFeatureRequest, "(?:any chance|how about (?:a|an|adding|some|the option)|why not add|why is there no|can we get|could we get|can we have)", false, true},
    // "When will you support iPad?", "when are you going to add dark mode": asked of the
    // product's makers, a request; "No way to sort by price" at a sentence's start.
    SignalCue{Signal::kFeatureRequest, "when (?:will|are) you (?:guys )?(?:going to |gonna )?(?:add|support|bring|release|implement|allow|offer|make|include|introduce)", false, true},
    SignalCue{Signal::kFeatureRequest, "^\\W*no (?:way|option) to\\b", true},
    SignalCue{Signal::kFeatureRequest, "wish (?:it|there|you|i could|we could)", false, true},
    SignalCue{Signal::kFeatureRequest, "(?:it|app|there) should (?:be|have|let|allow|support|sync|offer|show|include)", false, true},
    // Questions.
    SignalCue{Signal::kQuestion, "how (do|can|to|does|would|should) (i|you|we|one)", true},
    SignalCue{Signal::kQuestion, "is there (a|any) way", true},
    SignalCue{Signal::kQuestion, "is it possible", false},
    SignalCue{Signal::kQuestion, "^\\W*(?:so,? )?(?:is|are) (?:this|it|that|there|these) (?:a |an )?(?:bug|known|issue|problem|fix|setting|option|deliberate|intended|normal|expected)", true},
    SignalCue{Signal::kQuestion, "^\\W*(?:but )?why (?:does|doesn't|doesnt|is|isn't|isnt|can't|cant|won't|wont|do|don't|dont|not)\\b", true},
    SignalCue{Signal::kQuestion, "does anyone know", false},
    SignalCue{Signal::kQuestion, "anyone know", false},
    SignalCue{Signal::kQuestion, "any idea*", false},
    SignalCue{Signal::kQuestion, "can someone", false},
    SignalCue{Signal::kQuestion, "can anyone", false},
    SignalCue{Signal::kQuestion, "please help", false},
    SignalCue{Signal::kQuestion, "need help", false},
    SignalCue{Signal::kQuestion, "i was wondering", false},
    SignalCue{Signal::kQuestion, "i wonder", false},
    SignalCue{Signal::kQuestion, "thanks in advance", false},
    SignalCue{Signal::kQuestion, "thank you in advance", false},
    SignalCue{Signal::kQuestion, "any help", false},
    SignalCue{Signal::kQuestion, "any suggestion*", false},
    SignalCue{Signal::kQuestion, "any advice", false},
    SignalCue{Signal::kQuestion, "would be appreciated", false},
    SignalCue{Signal::kQuestion, "(?:can|could) (?:anyone|someone|somebody|you) (?:please )?help", false, true},
    SignalCue{Signal::kQuestion, "(?:is there )?anyone (?:out there |here )?who (?:can|could|knows)", false, true},
    SignalCue{Signal::kQuestion, "help me", false},
    SignalCue{Signal::kQuestion, "(?:don't|didn't) (?:know|understand) (?:how|why|what|if)", false, true},
    SignalCue{Signal::kQuestion, "(?:couldn't|can't|cannot) figure out", false, true},
    SignalCue{Signal::kQuestion, "how (?:can|do|should|would) i", false, true},
    SignalCue{Signal::kQuestion, "(?:i )?came (?:here )?for help", false, true},
    SignalCue{Signal::kQuestion, "appreciated", false},
    SignalCue{Signal::kQuestion, "thanks for any", false},
    SignalCue{Signal::kQuestion, "thank you for your help", false},
    SignalCue{Signal::kQuestion, "(?:need|needs|needing) (?:some )?(?:help|assistance)", false, true},
    SignalCue{Signal::kQuestion, "question", false},
    SignalCue{Signal::kQuestion, "^\\W*how to", true},
    SignalCue{Signal::kQuestion, "is (?:this|it|that) a bug", false, true},
    SignalCue{Signal::kQuestion, "(?:hoping|trying|want) to (?:learn|find out|understand|know)", false, true},
    SignalCue{Signal::kQuestion, "any (?:news|input|pointers|tips|hints)", false, true},
    // Praise and complaint cues that sentiment alone misses.
    SignalCue{Signal::kPraise, "thank you", false},
    SignalCue{Signal::kPraise, "thanks", false},
    SignalCue{Signal::kPraise, "keep up the good work", false},
    SignalCue{Signal::kPraise, "well done", false},
    SignalCue{Signal::kPraise, "best app", false},
    SignalCue{Signal::kPraise, "five stars", false},
    SignalCue{Signal::kPraise, "5 stars", false},
    SignalCue{Signal::kComplaint, "waste of (money|time)", true},
    SignalCue{Signal::kComplaint, "rip off", false},
    SignalCue{Signal::kComplaint, "ripoff", false},
    SignalCue{Signal::kComplaint, "scam", false},
    SignalCue{Signal::kComplaint, "unacceptable", false},
    SignalCue{Signal::kComplaint, "ridiculous", false},
    SignalCue{Signal::kComplaint, "refund", false, true, 0, &RefundComplaint},
    SignalCue{Signal::kMoneyBack, "(?:my|our|the|their|his|her) money back", false, true},
    SignalCue{Signal::kComplaint, "overpriced", false},
    SignalCue{Signal::kComplaint, "too expensive", false},
    SignalCue{Signal::kComplaint, "worst", false},
    SignalCue{Signal::kComplaint, "terrible", false},
    SignalCue{Signal::kComplaint, "horrible", false},
    SignalCue{Signal::kComplaint, "useless", false},
    SignalCue{Signal::kComplaint, "disappointed", false},
    // Advice to the reader.
    // (Not "you can" alone: the literal path would find it in "you can't".)
    SignalCue{Signal::kAdvice, "you (?:can try|could try|should try|can use|should use|can change|can go|can set|can also|should be able|need to|may want|might want|will need|can disable|can turn|can open|can click|can check|can find|should check)", false, true},
    SignalCue{Signal::kAdvice, "make sure", false},
    SignalCue{Signal::kAdvice, "try to", false},
    SignalCue{Signal::kAdvice, "try the", false},
    SignalCue{Signal::kAdvice, "go to", false},
    SignalCue{Signal::kAdvice, "click", false},
    // The reader's problem, named to help with it ("If you keep having problems ...",
    // "... to see if the problem persists", "the URL you are having problems with").
    SignalCue{Signal::kAdvice, "(?:you are|you're|youre|you keep) (?:having|getting|seeing)", false, true},
    SignalCue{Signal::kAdvice, "see if the (?:problem|issue|error|crash)", false, true},
    SignalCue{Signal::kAttempt, "(?:i|i've|ive|i have|i had|we|we've|we have) (?:also |already |even |then )?tried", false, true},
    SignalCue{Signal::kAttempt, "(?:your|the|that|this) (?:solution|suggestion|fix|workaround) (?:did|does|didn't|doesn't|did not|does not|won't|will not)", false, true},
    SignalCue{Signal::kAttempt, "(?:did|does|didn't|doesn't|did not|does not) (?:not )?seem to work", false, true},
    SignalCue{Signal::kAttempt, "(?:that|this|it|which) (?:still )?(?:didn't|did not) (?:work|help)", false, true},
    SignalCue{Signal::kAttempt, "still (?:didn't|did not) work", false, true},
    // A change the writer made that left the problem as it was.
    SignalCue{Signal::kAttempt, "(?:i|i've|ive|i have|we) (?:" VOC_WORD " )?(?:reinstalled|re-installed|uninstalled|upgraded|updated|changed|switched|disabled|cleared|reset)\\b.{0,80}?\\b(?:still|no effect|same (?:problem|issue|result|output|error)|didn't help|did not help|(?:problem|issue) (?:remains|persists))", true},
    SignalCue{Signal::kAttempt, "(?:they|those|these|that|it) (?:didn't|didnt|did not) (?:work|help) for me", false, true},
    SignalCue{Signal::kAttempt, "had no effect", false, true},
    SignalCue{Signal::kAdvice, "can be caused", false},
    SignalCue{Signal::kAdvice, "this issue can", false},
    SignalCue{Signal::kAdvice, "to fix this", false},
    SignalCue{Signal::kAdvice, "^\\W*(?:try|open|see|check|type)", true},
    // Urgency: outage.
    SignalCue{Signal::kOutage, "outage", false},
    SignalCue{Signal::kOutage, "service unavailable", false},
    SignalCue{Signal::kOutage, "(?:site|server|servers|service|system|app|website|everything|platform|production|prod)\\s+(?:is\\s+|are\\s+|was\\s+|went\\s+|seems?\\s+|(?:has|have|had)\\s+been\\s+)?(?:completely\\s+)?down", true},
    SignalCue{Signal::kOutage, "(?:production|prod)\\s+(?:is\\s+|was\\s+)?(?:completely\\s+)?broken", true},
    SignalCue{Signal::kOutage, "(?:nobody|no one|none of us|whole team|entire team|all users)\\s+(?:can|could)", true},
    SignalCue{Signal::kOutage, "(?:can'?t|cannot|unable to)\\s+(?:connect|reach|access)\\s+(?:to\\s+)?(?:the\\s+)?(?:server|servers|service|site|website)", true},
    SignalCue{Signal::kOutage, "(?:502|503|504) (?:error|bad gateway|gateway)", true},
    // Urgency: data loss.
    SignalCue{Signal::kDataLoss, "data loss", false},
    SignalCue{Signal::kDataLoss, "(?:lost|lose|losing|deleted|erased|wiped|wipes|deletes)\\s+(?:(?:all|half|most|some)\\s+)?(?:of\\s+)?(?:my|our|the|your)?\\s*(?:(?:entire|whole)\\s+)?(?:data|files?|photos?|pictures?|notes?|progress|contacts?|messages?|work|history|documents?|recordings?|playlists?|settings|saves?|account|drafts?|emails?|bookmarks|videos?)", true},
    SignalCue{Signal::kDataLoss, "(?:data|files?|photos?|notes?|progress|contacts?|messages?|documents?|playlists?|drafts?|bookmarks)\\s+(?:are|is|were|was|have|has)\\s+(?:all\\s+)?(?:been\\s+)?(?:gone|lost|deleted|erased|wiped|missing|disappeared|vanished)", true},
    SignalCue{Signal::kDataLoss, "(?:data|files|photos|notes|progress|contacts|messages|documents|playlists|drafts|bookmarks)\\s+(?:all\\s+)?(?:disappeared|vanished|got deleted|got wiped)", true},
    SignalCue{Signal::kDataLoss, "(?:everything|all)\\s+(?:is|was)\\s+gone", true},
    // Urgency: security.
    SignalCue{Signal::kSecurity, "hacked", false},
    SignalCue{Signal::kSecurity, "security breach", false},
    SignalCue{Signal::kSecurity, "data breach", false},
    SignalCue{Signal::kSecurity, "vulnerabilit*", false},
    SignalCue{Signal::kSecurity, "exploit*", false},
    SignalCue{Signal::kSecurity, "phishing", false},
    SignalCue{Signal::kSecurity, "malware", false},
    SignalCue{Signal::kSecurity, "spyware", false},
    SignalCue{Signal::kSecurity, "unauthori[sz]ed (access|charge|login|transaction|payment|purchase)s?", true},
    SignalCue{Signal::kSecurity, "without (?:my )?(?:authori[sz]ation|permission|consent)", true},
    SignalCue{Signal::kSecurity, "(?:stole|stolen)\\s+(?:my\\s+|our\\s+)?(?:credit card|card|identity|data|account|password)|(?:credit card|card|identity) (?:was |got |has been )?stolen", true},
    SignalCue{Signal::kSecurity, "expos(?:ed|es|ing)\\s+(?:my|our|the|customers'?|users'?)\\s+(?:personal\\s+|home\\s+|private\\s+)?(?:data|address|information|info|details|emails?|phone numbers?)", true},
    SignalCue{Signal::kSecurity, "(?:can|could)\\s+see\\s+other\\s+(?:users|customers|people|members)'?", true},
    SignalCue{Signal::kSecurity, "account (?:was |got |has been )?(?:compromised|stolen|taken over)", true},
    SignalCue{Signal::kSecurity, "(?:password|passwords|credentials)\\s+(?:were\\s+|was\\s+)?(?:leaked|exposed|stolen|in plain ?text)", true},
    SignalCue{Signal::kSecurity, "someone (?:else )?(?:logged|accessed|got) in(?:to)?", true},
    // Urgency: legal threat.
    SignalCue{Signal::kLegalThreat, "lawyer*", false},
    SignalCue{Signal::kLegalThreat, "attorney*", false},
    SignalCue{Signal::kLegalThreat, "lawsuit*", false},
    SignalCue{Signal::kLegalThreat, "legal action", false},
    SignalCue{Signal::kLegalThreat, "class action", false},
    SignalCue{Signal::kLegalThreat, "small claims", false},
    SignalCue{Signal::kLegalThreat, "(?:sue|suing|sued)", true},
    SignalCue{Signal::kLegalThreat, "(?:report|reporting)\\s+(?:you|this|them|it)\\s+to\\s+(?:the\\s+)?(?:ftc|bbb|better business bureau|attorney general|authorities|regulator|police|ico|cnil)", true},
    SignalCue{Signal::kLegalThreat, "(?:gdpr|ccpa)\\s+(?:complaint|violation|request)", true},
    SignalCue{Signal::kLegalThreat, "(?:violat(?:es|ed|ing|ion of)|breach(?:es|ed|ing)?|against)\\s+(?:the\\s+)?(?:gdpr|ccpa|hipaa|law|privacy laws?|data protection)", true},
    SignalCue{Signal::kLegalThreat, "chargeback", false},
    SignalCue{Signal::kLegalThreat, "dispute (?:the|this|that|these|those) (?:charge|charges|transaction|payment)", false, true},
    // Urgency: churn threat.
    SignalCue{Signal::kChurnThreat, "(?:cancel|cancell?ing|cancell?ed|canceled)\\s+(?:my\\s+|the\\s+|our\\s+)?(?:subscription|account|membership|plan|order)", true},
    SignalCue{Signal::kChurnThreat, "uninstall*", false},
    SignalCue{Signal::kChurnThreat, "unsubscrib*", false},
    SignalCue{Signal::kChurnThreat, "(?:switch|switching|moving|move|going)\\s+(?:back\\s+)?to\\s+(?:a\\s+|another\\s+)?(?:competitor|alternative|different|other|" VOC_WORD "\\s+instead)", true},
    SignalCue{Signal::kChurnThreat, "(?:never|won'?t|will not|not going to)\\s+(?:" VOC_WORD "\\s+)?(?:use|buy|order|recommend|download|renew|subscribe)" VOC_WORD_REST "\\s+(?:" VOC_WORD "\\s+)?again", true},
    SignalCue{Signal::kChurnThreat, "(?:delete|deleting|deleted|removing|removed)\\s+(?:this|the)\\s+app", true},
    SignalCue{Signal::kChurnThreat, "looking for (an|another) alternative", true},
    SignalCue{Signal::kChurnThreat, "close my account", false},
    SignalCue{Signal::kChurnThreat, "delete my account", false},
    SignalCue{Signal::kChurnThreat, "done with (this|you|your)", true},
    SignalCue{Signal::kChurnThreat, "last (chance|straw)", true},
    // A business customer's way of saying it: the contract, the vendor.
    SignalCue{Signal::kChurnThreat, "(?:will not|won't|not going to|do not plan to|don't plan to|decided not to) renew", false, true},
    SignalCue{Signal::kChurnThreat, "(?:evaluating|looking at|considering) (?:other|alternative|competing) (?:vendors|providers|solutions|tools|options|products)", false, true},
    // Spanish, French, German and Portuguese cues (kPhraseLanguages order from 1): phrases,
    // with alternatives expanded, matched only in texts of their language.
    // Spanish.
    SignalCue{Signal::kBug, "no funciona", false, false, 1},
    SignalCue{Signal::kBug, "no abre", false, false, 1},
    SignalCue{Signal::kBug, "no carga", false, false, 1},
    SignalCue{Signal::kBug, "no deja", false, false, 1},
    SignalCue{Signal::kBug, "se cierra*", false, false, 1},
    SignalCue{Signal::kBug, "se bloquea*", false, false, 1},
    SignalCue{Signal::kBug, "se cuelga*", false, false, 1},
    SignalCue{Signal::kBug, "se congela*", false, false, 1},
    SignalCue{Signal::kBug, "error*", false, false, 1},
    SignalCue{Signal::kBug, "fallo*", false, false, 1},
    SignalCue{Signal::kBug, "falla", false, false, 1},
    SignalCue{Signal::kBug, "bug*", false, false, 1},
    SignalCue{Signal::kBug, "no responde", false, false, 1},
    SignalCue{Signal::kBug, "dejó de funcionar", false, false, 1},
    SignalCue{Signal::kBug, "ya no funciona", false, false, 1},
    SignalCue{Signal::kBug, "no me deja", false, false, 1},
    SignalCue{Signal::kBug, "no puedo (?:iniciar|entrar|acceder|abrir|conectar|descargar|pagar|ver|usar|guardar|sincronizar|enviar|actualizar)", false, true, 1},
    SignalCue{Signal::kBug, "no se puede (?:abrir|entrar|acceder|iniciar|usar|conectar)", false, true, 1},
    SignalCue{Signal::kFeatureRequest, "por favor (?:añadan|agreguen|pongan|incluyan|quiten)", false, true, 1},
    SignalCue{Signal::kFeatureRequest, "sería (?:bueno|genial|útil) (?:que|si|poder|tener)", false, true, 1},
    SignalCue{Signal::kFeatureRequest, "me gustaría (?:que|poder|tener)", false, true, 1},
    SignalCue{Signal::kFeatureRequest, "deberían (?:añadir|agregar|poner|incluir)", false, true, 1},
    SignalCue{Signal::kFeatureRequest, "falta (?:una|un|la|el)", false, true, 1},
    SignalCue{Signal::kFeatureRequest, "ojalá", false, false, 1},
    SignalCue{Signal::kFeatureRequest, "añadan", false, false, 1},
    SignalCue{Signal::kFeatureRequest, "agreguen", false, false, 1},
    SignalCue{Signal::kQuestion, "cómo (?:puedo|hago|se)", false, true, 1},
    SignalCue{Signal::kQuestion, "alguien sabe", false, false, 1},
    SignalCue{Signal::kQuestion, "hay (?:alguna|una) forma", false, true, 1},
    SignalCue{Signal::kQuestion, "es posible", false, false, 1},
    SignalCue{Signal::kOutage, "(?:la app|el servicio|el servidor|la página|todo) (?:está|esta) caíd(?:o|a)", false, true, 1},
    SignalCue{Signal::kOutage, "no hay servicio", false, false, 1},
    SignalCue{Signal::kDataLoss, "(?:perdí|he perdido|se borraron|se borró|desaparecieron) (?:todos|todas|mis|mi|los|las)", false, true, 1},
    SignalCue{Signal::kSecurity, "me hackearon", false, false, 1},
    SignalCue{Signal::kSecurity, "hackead(?:o|a)", false, true, 1},
    SignalCue{Signal::kSecurity, "robaron mi cuenta", false, false, 1},
    SignalCue{Signal::kSecurity, "acceso no autorizado", false, false, 1},
    SignalCue{Signal::kLegalThreat, "abogado*", false, false, 1},
    SignalCue{Signal::kLegalThreat, "demanda*", false, false, 1},
    SignalCue{Signal::kLegalThreat, "denunciar*", false, false, 1},
    SignalCue{Signal::kLegalThreat, "acciones legales", false, false, 1},
    SignalCue{Signal::kChurnThreat, "(?:voy a|vamos a) (?:cancelar|desinstalar|borrar)", false, true, 1},
    SignalCue{Signal::kChurnThreat, "desinstal*", false, false, 1},
    SignalCue{Signal::kChurnThreat, "cancelar (?:mi|la) suscripción", false, true, 1},
    SignalCue{Signal::kChurnThreat, "me cambio a", false, false, 1},
    SignalCue{Signal::kChurnThreat, "no (?:vuelvo|volveré) a", false, true, 1},
    // French.
    SignalCue{Signal::kBug, "ne fonctionne pas", false, false, 2},
    SignalCue{Signal::kBug, "ne marche pas", false, false, 2},
    SignalCue{Signal::kBug, "ne s'ouvre pas", false, false, 2},
    SignalCue{Signal::kBug, "ne charge pas", false, false, 2},
    SignalCue{Signal::kBug, "plante*", false, false, 2},
    SignalCue{Signal::kBug, "se ferme*", false, false, 2},
    SignalCue{Signal::kBug, "bug*", false, false, 2},
    SignalCue{Signal::kBug, "beug*", false, false, 2},
    SignalCue{Signal::kBug, "erreur*", false, false, 2},
    SignalCue{Signal::kBug, "ne répond pas", false, false, 2},
    SignalCue{Signal::kBug, "ne fonctionne plus", false, false, 2},
    SignalCue{Signal::kBug, "ne marche plus", false, false, 2},
    SignalCue{Signal::kBug, "impossible de", false, false, 2},
    SignalCue{Signal::kBug, "(?:je n'arrive|j'arrive) (?:pas|plus) à", false, true, 2},
    SignalCue{Signal::kBug, "je ne peux (?:pas|plus)", false, true, 2},
    SignalCue{Signal::kBug, "ne (?:se lance|démarre|se connecte|s'affiche) (?:pas|plus)", false, true, 2},
    SignalCue{Signal::kFeatureRequest, "(?:merci d'|veuillez |pourriez-vous |pouvez-vous )ajouter", false, true, 2},
    SignalCue{Signal::kFeatureRequest, "ce serait (?:bien|génial|top|utile)", false, true, 2},
    SignalCue{Signal::kFeatureRequest, "j'aimerais (?:pouvoir|qu'il|avoir)", false, true, 2},
    SignalCue{Signal::kFeatureRequest, "il manque", false, false, 2},
    SignalCue{Signal::kFeatureRequest, "il faudrait", false, false, 2},
    SignalCue{Signal::kFeatureRequest, "ajoutez", false, false, 2},
    SignalCue{Signal::kQuestion, "comment (?:faire|puis-je|on)", false, true, 2},
    SignalCue{Signal::kQuestion, "quelqu'un sait", false, false, 2},
    SignalCue{Signal::kQuestion, "est-il possible", false, false, 2},
    SignalCue{Signal::kQuestion, "est-ce possible", false, false, 2},
    SignalCue{Signal::kQuestion, "y a-t-il", false, false, 2},
    SignalCue{Signal::kOutage, "(?:le service|le serveur|le site|l'app) (?:est )?en panne", false, true, 2},
    SignalCue{Signal::kOutage, "service indisponible", false, false, 2},
    SignalCue{Signal::kDataLoss, "(?:j'ai perdu|perdu) (?:toutes|tous|mes|mon|ma)", false, true, 2},
    SignalCue{Signal::kDataLoss, "(?:tout|toutes mes données) (?:a|ont) disparu", false, true, 2},
    SignalCue{Signal::kSecurity, "piraté*", false, false, 2},
    SignalCue{Signal::kSecurity, "compte volé", false, false, 2},
    SignalCue{Signal::kSecurity, "accès non autorisé", false, false, 2},
    SignalCue{Signal::kLegalThreat, "avocat*", false, false, 2},
    SignalCue{Signal::kLegalThreat, "plainte", false, false, 2},
    SignalCue{Signal::kLegalThreat, "porter plainte", false, false, 2},
    SignalCue{Signal::kLegalThreat, "poursuites", false, false, 2},
    SignalCue{Signal::kLegalThreat, "action en justice", false, false, 2},
    SignalCue{Signal::kChurnThreat, "(?:je vais|je vais) (?:résilier|désinstaller|supprimer)", false, true, 2},
    SignalCue{Signal::kChurnThreat, "désinstall*", false, false, 2},
    SignalCue{Signal::kChurnThreat, "résilier (?:mon|l')abonnement", false, true, 2},
    SignalCue{Signal::kChurnThreat, "je passe à", false, false, 2},
    SignalCue{Signal::kChurnThreat, "plus jamais", false, false, 2},
    // German.
    SignalCue{Signal::kBug, "funktioniert nicht", false, false, 3},
    SignalCue{Signal::kBug, "funktioniert nicht mehr", false, false, 3},
    SignalCue{Signal::kBug, "geht nicht", false, false, 3},
    SignalCue{Signal::kBug, "geht nicht mehr", false, false, 3},
    SignalCue{Signal::kBug, "stürzt*", false, false, 3},
    SignalCue{Signal::kBug, "absturz*", false, false, 3},
    SignalCue{Signal::kBug, "abgestürzt", false, false, 3},
    SignalCue{Signal::kBug, "fehler*", false, false, 3},
    SignalCue{Signal::kBug, "bug*", false, false, 3},
    SignalCue{Signal::kBug, "hängt sich auf", false, false, 3},
    SignalCue{Signal::kBug, "lädt nicht", false, false, 3},
    SignalCue{Signal::kBug, "öffnet nicht", false, false, 3},
    SignalCue{Signal::kBug, "friert ein", false, false, 3},
    SignalCue{Signal::kBug, "kann (?:mich|ich|man) (?:mich )?nicht", false, true, 3},
    SignalCue{Signal::kBug, "lässt sich nicht", false, false, 3},
    SignalCue{Signal::kBug, "klappt nicht", false, false, 3},
    SignalCue{Signal::kBug, "startet nicht", false, false, 3},
    SignalCue{Signal::kFeatureRequest, "bitte (?:fügt|hinzufügen|einbauen|ergänzen)", false, true, 3},
    SignalCue{Signal::kFeatureRequest, "(?:wäre|wär) (?:schön|toll|super|gut|praktisch)", false, true, 3},
    SignalCue{Signal::kFeatureRequest, "ich würde mir (?:wünschen|ein|einen|eine)", false, true, 3},
    SignalCue{Signal::kFeatureRequest, "es fehlt", false, false, 3},
    SignalCue{Signal::kFeatureRequest, "ich wünsche mir", false, false, 3},
    SignalCue{Signal::kFeatureRequest, "hinzufügen", false, false, 3},
    SignalCue{Signal::kFeatureRequest, "hinzuzufügen", false, false, 3},
    SignalCue{Signal::kFeatureRequest, "einbauen", false, false, 3},
    SignalCue{Signal::kQuestion, "wie kann ich", false, false, 3},
    SignalCue{Signal::kQuestion, "wie geht", false, false, 3},
    SignalCue{Signal::kQuestion, "weiß jemand", false, false, 3},
    SignalCue{Signal::kQuestion, "gibt es (?:eine|einen) möglichkeit", false, true, 3},
    SignalCue{Signal::kQuestion, "ist es möglich", false, false, 3},
    SignalCue{Signal::kOutage, "(?:der server|der dienst|die app|die seite|alles) (?:ist )?(?:down|ausgefallen)", false, true, 3},
    SignalCue{Signal::kOutage, "störung", false, false, 3},
    SignalCue{Signal::kDataLoss, "(?:alle|meine) (?:daten|fotos|notizen|dateien) (?:sind )?(?:weg|gelöscht|verloren)", false, true, 3},
    SignalCue{Signal::kDataLoss, "alles (?:ist )?weg", false, true, 3},
    SignalCue{Signal::kSecurity, "gehackt", false, false, 3},
    SignalCue{Signal::kSecurity, "konto gestohlen", false, false, 3},
    SignalCue{Signal::kSecurity, "unbefugte*", false, false, 3},
    SignalCue{Signal::kLegalThreat, "anwalt*", false, false, 3},
    SignalCue{Signal::kLegalThreat, "rechtsanwalt*", false, false, 3},
    SignalCue{Signal::kLegalThreat, "anzeige", false, false, 3},
    SignalCue{Signal::kLegalThreat, "verbraucherzentrale", false, false, 3},
    SignalCue{Signal::kLegalThreat, "rechtliche schritte", false, false, 3},
    SignalCue{Signal::kChurnThreat, "(?:werde|werden) (?:kündigen|deinstallieren|löschen)", false, true, 3},
    SignalCue{Signal::kChurnThreat, "deinstalliert", false, false, 3},
    SignalCue{Signal::kChurnThreat, "abo gekündigt", false, false, 3},
    SignalCue{Signal::kChurnThreat, "nie wieder", false, false, 3},
    // Portuguese.
    SignalCue{Signal::kBug, "não funciona", false, false, 4},
    SignalCue{Signal::kBug, "não abre", false, false, 4},
    SignalCue{Signal::kBug, "não carrega", false, false, 4},
    SignalCue{Signal::kBug, "não consigo", false, false, 4},
    SignalCue{Signal::kBug, "fecha sozinh(?:o|a)", false, true, 4},
    SignalCue{Signal::kBug, "trava*", false, false, 4},
    SignalCue{Signal::kBug, "travando", false, false, 4},
    SignalCue{Signal::kBug, "erro*", false, false, 4},
    SignalCue{Signal::kBug, "falha*", false, false, 4},
    SignalCue{Signal::kBug, "bug*", false, false, 4},
    SignalCue{Signal::kBug, "parou de funcionar", false, false, 4},
    SignalCue{Signal::kBug, "não responde", false, false, 4},
    SignalCue{Signal::kBug, "não (?:deixa|entra|conecta|sincroniza|carrega|inicia)", false, true, 4},
    SignalCue{Signal::kFeatureRequest, "por favor (?:adicionem|coloquem|incluam|tirem)", false, true, 4},
    SignalCue{Signal::kFeatureRequest, "seria (?:bom|ótimo|legal|útil) (?:se|ter|poder)", false, true, 4},
    SignalCue{Signal::kFeatureRequest, "gostaria (?:que|de)", false, true, 4},
    SignalCue{Signal::kFeatureRequest, "deveriam (?:adicionar|colocar|incluir)", false, true, 4},
    SignalCue{Signal::kFeatureRequest, "falta (?:uma|um|a|o)", false, true, 4},
    SignalCue{Signal::kFeatureRequest, "adicionem", false, false, 4},
    SignalCue{Signal::kQuestion, "como (?:faço|posso|eu)", false, true, 4},
    SignalCue{Signal::kQuestion, "alguém sabe", false, false, 4},
    SignalCue{Signal::kQuestion, "tem como", false, false, 4},
    SignalCue{Signal::kQuestion, "é possível", false, false, 4},
    SignalCue{Signal::kOutage, "(?:o app|o serviço|o servidor|o site|tudo) (?:está|esta) fora do ar", false, true, 4},
    SignalCue{Signal::kOutage, "fora do ar", false, false, 4},
    SignalCue{Signal::kDataLoss, "(?:perdi|apagou|sumiram|sumiu) (?:todos|todas|meus|minhas|meu|minha|tudo)", false, true, 4},
    SignalCue{Signal::kSecurity, "hackead(?:o|a)", false, true, 4},
    SignalCue{Signal::kSecurity, "invadiram", false, false, 4},
    SignalCue{Signal::kSecurity, "conta roubada", false, false, 4},
    SignalCue{Signal::kSecurity, "acesso não autorizado", false, false, 4},
    SignalCue{Signal::kLegalThreat, "advogad*", false, false, 4},
    SignalCue{Signal::kLegalThreat, "procon", false, false, 4},
    SignalCue{Signal::kLegalThreat, "processo", false, false, 4},
    SignalCue{Signal::kLegalThreat, "processar", false, false, 4},
    SignalCue{Signal::kLegalThreat, "reclame aqui", false, false, 4},
    SignalCue{Signal::kChurnThreat, "(?:vou|vamos) (?:cancelar|desinstalar|apagar)", false, true, 4},
    SignalCue{Signal::kChurnThreat, "desinstal*", false, false, 4},
    SignalCue{Signal::kChurnThreat, "cancelar (?:minha|a) assinatura", false, true, 4},
    SignalCue{Signal::kChurnThreat, "nunca mais", false, false, 4},
    // Charged twice, said in each language: a complaint the unscored languages' type
    // otherwise misses (English has the construction "billed me twice").
    SignalCue{Signal::kComplaint, "(?:cobraron|cobró|cobraste|han cobrado) (?:dos veces|doble)", false, true, 1},
    SignalCue{Signal::kComplaint, "(?:doble cobro|cobro doble|cobro duplicado)", false, true, 1},
    SignalCue{Signal::kComplaint, "(?:débité|débitée|prélevé|prélevée|facturé|facturée|facturés) (?:deux fois|en double)", false, true, 2},
    SignalCue{Signal::kComplaint, "double (?:prélèvement|facturation|débit)", false, true, 2},
    SignalCue{Signal::kComplaint, "(?:doppelt|zweimal) (?:abgebucht|belastet|berechnet|bezahlt)", false, true, 3},
    SignalCue{Signal::kComplaint, "doppelte (?:abbuchung|belastung|rechnung)", false, true, 3},
    SignalCue{Signal::kComplaint, "(?:cobrado|cobrada|cobraram|cobrou|debitado|debitada) (?:duas vezes|em dobro)", false, true, 4},
    SignalCue{Signal::kComplaint, "cobrança (?:duplicada|dupla|em dobro)", false, true, 4},
};

#undef VOC_WORD
#undef VOC_WORD_REST

}  // namespace

std::span<const SignalCue> SignalCues() { return kCues; }

namespace {

// Appends to *out every spelling of expression[i..) up to the ')' or '|' that ends the
// current group, each prefixed by one of `prefixes`; returns the position after it.
size_t ExpandSequence(std::string_view e, size_t i, std::vector<std::string> prefixes, std::vector<std::string>* out,
                      bool* ok);

// A group "(?:a|b|c)" at e[i] (after "(?:"): its alternatives, each after each prefix.
size_t ExpandGroup(std::string_view e, size_t i, const std::vector<std::string>& prefixes,
                   std::vector<std::string>* out, bool* ok) {
  for (;;) {
    std::vector<std::string> alternative;
    i = ExpandSequence(e, i, prefixes, &alternative, ok);
    out->insert(out->end(), alternative.begin(), alternative.end());
    if (!*ok || i >= e.size()) {
      *ok = false;
      return i;
    }
    if (e[i] == ')') return i + 1;
    ++i;  // '|'
  }
}

size_t ExpandSequence(std::string_view e, size_t i, std::vector<std::string> prefixes, std::vector<std::string>* out,
                      bool* ok) {
  while (*ok && i < e.size() && e[i] != ')' && e[i] != '|') {
    std::vector<std::string> next;
    if (e.substr(i, 3) == "(?:") {
      i = ExpandGroup(e, i + 3, prefixes, &next, ok);
    } else if (e[i] == '(' || e[i] == '\\' || e[i] == '[' || e[i] == '*' || e[i] == '+' || e[i] == '.' ||
               e[i] == '^' || e[i] == '$' || e[i] == '{') {
      *ok = false;
      return i;
    } else {
      for (const std::string& p : prefixes) next.push_back(p + e[i]);
      ++i;
    }
    if (i < e.size() && e[i] == '?') {
      next.insert(next.end(), prefixes.begin(), prefixes.end());  // optional: or nothing
      ++i;
    }
    prefixes = std::move(next);
    if (prefixes.size() > 4096) *ok = false;
  }
  *out = std::move(prefixes);
  return i;
}

}  // namespace

std::vector<std::string> ExpandAlternatives(std::string_view expression) {
  bool ok = true;
  std::vector<std::string> raw;
  const size_t end = ExpandSequence(expression, 0, {std::string()}, &raw, &ok);
  if (!ok || end != expression.size()) return {};
  std::vector<std::string> phrases;
  for (const std::string& r : raw) {
    std::string p;
    for (const char c : r) {
      if (c == ' ' && (p.empty() || p.back() == ' ')) continue;
      p.push_back(c);
    }
    while (!p.empty() && p.back() == ' ') p.pop_back();
    if (!p.empty() && std::find(phrases.begin(), phrases.end(), p) == phrases.end()) phrases.push_back(std::move(p));
  }
  return phrases;
}

FeedbackType ClassifyFeedback(const SignalCounts& cues, double compound, bool sentiment_scored, const TextFacts& facts) {
  // Advice to the reader ("If Firefox is not running, you can ...", "Make sure your
  // extensions are updated") names problems without reporting one.
  const bool advice = cues[Signal::kAdvice] > 0 && !facts.first_person;
  // A fix the writer tried that failed ("I tried safe mode, still didn't work") reports
  // on the attempt, not a new bug.
  const int bug = advice || cues[Signal::kAttempt] > 0 ? 0 : cues[Signal::kBug];
  // "I want my money back" is said with the words of "I want the old layout back".
  const int feature = advice || cues[Signal::kMoneyBack] > 0 ? 0 : cues[Signal::kFeatureRequest];
  // A request outranks a bug cue it mentions ("please add an option to stop the crashes").
  if (feature > 0 && feature >= bug) return FeedbackType::kFeatureRequest;
  // A question about a problem ("Is this a bug or a deliberate design?", "Why doesn't
  // Firefox underline errors?") asks for help more than it reports.
  if (bug > 0 && facts.question_mark && cues[Signal::kQuestion] > 0) return FeedbackType::kQuestion;
  if (bug > 0) return FeedbackType::kBugReport;
  if (feature > 0) return FeedbackType::kFeatureRequest;
  if (cues[Signal::kQuestion] > 0) return FeedbackType::kQuestion;
  // A question mark asks, unless the question is put to the reader ("Which version are
  // you using?" asks for details, it seeks no help).
  // "Success?", "Ctrl-M?": a word or two is a reply, not a request for help.
  if (facts.question_mark && !facts.second_person && facts.words > 2) return FeedbackType::kQuestion;
  const double s = sentiment_scored ? compound : 0.0;
  if (cues[Signal::kComplaint] > 0 || s <= -0.25) return FeedbackType::kComplaint;
  // A thank-you before a complaint ("Thanks, but the issue is still there") is no praise.
  if ((cues[Signal::kPraise] > 0 && s > -0.05) || s >= 0.25) return FeedbackType::kPraise;
  return FeedbackType::kUnspecified;
}

uint32_t UrgencyFlags(const SignalCounts& cues) {
  uint32_t flags = kUrgencyNone;
  if (cues[Signal::kOutage] > 0) flags |= kUrgencyOutage;
  if (cues[Signal::kDataLoss] > 0) flags |= kUrgencyDataLoss;
  if (cues[Signal::kSecurity] > 0) flags |= kUrgencySecurity;
  if (cues[Signal::kLegalThreat] > 0) flags |= kUrgencyLegalThreat;
  if (cues[Signal::kChurnThreat] > 0) flags |= kUrgencyChurnThreat;
  return flags;
}

}  // namespace voc::text
