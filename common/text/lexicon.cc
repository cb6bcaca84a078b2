#include "common/text/lexicon.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace voc::text {
namespace {

// VADER's booster increment (Hutto & Gilbert 2014, empirically derived).
constexpr float kBoosterIncrement = 0.293f;
// Share of a base word's valence that its inflected forms inherit.
constexpr float kDerivedScale = 0.8f;

// VADER's NEGATE list plus a few spellings seen in feedback ("dont" is there already), and
// "zero" ("zero issues", "zero help from support").
constexpr std::array kNegators = {
    "aint",    "arent",  "cannot",  "cant",     "couldnt", "darent",   "didnt",   "doesnt",   "ain't",   "aren't",
    "can't",   "couldn't", "daren't", "didn't", "doesn't", "dont",     "hadnt",   "hasnt",    "havent",  "isnt",
    "mightnt", "mustnt", "neither", "don't",    "hadn't",  "hasn't",   "haven't", "isn't",    "mightn't", "mustn't",
    "neednt",  "needn't", "never",  "none",     "nope",    "nor",      "not",     "nothing",  "nowhere", "oughtnt",
    "shant",   "shouldnt", "uhuh",  "wasnt",    "werent",  "oughtn't", "shan't",  "shouldn't", "uh-uh",  "wasn't",
    "weren't", "without", "wont",   "wouldnt",  "won't",   "wouldn't", "rarely",  "seldom",   "despite", "no",
    "nobody", "zero"};

constexpr std::array kBoostersUp = {
    "absolutely", "amazingly",  "awfully",   "completely", "considerable", "considerably", "decidedly", "deeply",
    "effing",     "enormous",   "enormously", "entirely",  "especially",   "exceptional",  "exceptionally",
    "extreme",    "extremely",  "fabulously", "flipping",  "flippin",      "frackin",      "fracking",  "fricking",
    "frickin",    "frigging",   "friggin",   "fully",      "fuckin",       "fucking",      "fuggin",    "fugging",
    "greatly",    "hella",      "highly",    "hugely",     "incredible",   "incredibly",   "intensely", "major",
    "majorly",    "more",       "most",      "particularly", "purely",     "quite",        "really",    "remarkably",
    "so",         "substantially", "thoroughly", "total",  "totally",      "tremendous",   "tremendously", "uber",
    "unbelievably", "unusually", "utter",    "utterly",    "very",         "super",        "constantly", "always",
    "insanely",   "ridiculously", "seriously", "terribly", "horribly", "pretty"};

constexpr std::array kBoostersDown = {
    "almost",   "barely",   "kind of",  "kinda",  "kindof",   "kind-of", "less",   "little",   "marginal",
    "marginally", "occasional", "occasionally", "partly", "scarce", "scarcely", "slight", "slightly", "somewhat",
    "sort of",  "sorta",    "sortof",   "sort-of", "a bit",  "a little", "fairly", "mostly",  "just enough",
    "pretty much"};

// Contrast conjunctions: the clause after them carries the writer's conclusion.
constexpr std::array kContrast = {"but", "however", "although", "though", "yet", "nevertheless", "nonetheless",
                                  "except", "whereas"};

// Frequent English function words; their share of tokens is a cheap, reliable English
// signal that lets most texts skip CLD2.
constexpr std::array kStopwords = {
    "the",  "a",     "an",    "and",   "or",    "of",    "to",    "in",    "on",    "for",   "with",  "is",
    "are",  "was",   "were",  "be",    "been",  "it",    "this",  "that",  "i",     "you",   "he",    "she",
    "we",   "they",  "my",    "your",  "our",   "their", "me",    "him",   "her",   "them",  "have",  "has",
    "had",  "do",    "does",  "did",   "not",   "but",   "at",    "by",    "from",  "as",    "if",    "so",
    "what", "when",  "where", "which", "who",   "why",   "how",   "can",   "will",  "would", "should", "could",
    "there", "here", "all",   "just",  "very",  "about", "after", "before", "then", "than",  "also",  "its",
    "it's", "i'm",   "don't", "can't", "doesn't", "no",  "only",  "out",   "up",    "get",   "got",   "any",
    "some", "every", "into",  "over",  "because", "again", "still", "now", "too",  "am",    "these", "those"};

// Frequent function words of Spanish, French, German and Portuguese (words that are also
// English words, such as "a", "no", "me", "die", are left out), and the words short
// feedback in them is made of ("muy buena", "me encanta", "sehr gut", "merci").
constexpr std::array kStopwordsEs = {"el", "la", "de", "en", "un", "los", "las", "una", "unos", "del", "que", "es", "por", "para", "con", "muy",
                                     "pero", "mi", "lo", "se", "su", "y", "como", "esta", "este", "está", "hay",
                                     "funciona", "cuando", "todo", "también", "aplicación", "esa", "ese", "eso", "esto",
                                     "estos", "sus", "le", "les", "más", "cada", "vez", "porque", "desde", "hasta",
                                     "puedo", "tengo", "sería", "añadan", "buena", "bueno", "buenísima", "encanta",
                                     "gusta", "malo", "mala", "pésima", "pésimo", "gracias", "sirve", "puede", "deja", "entrar",
                                     "agreguen", "oscuro"};
constexpr std::array kStopwordsFr = {"le", "la", "de", "en", "un", "que", "les", "des", "une", "du", "est", "et", "pour", "avec", "très", "mais",
                                     "je", "ne", "pas", "sur", "ce", "cette", "mon", "ma", "mes", "qui", "quand",
                                     "dans", "il", "elle", "c'est", "j'ai", "fonctionne", "aussi", "tout", "au", "aux",
                                     "sa", "ses", "nous", "vous", "ils", "sans", "peu", "depuis", "toutes", "tous",
                                     "être", "avoir", "fait", "peut", "faut", "n'est", "marche", "plus", "bien", "génial",
                                     "nul", "nulle", "merci", "j'adore", "adore", "bon", "bonne"};
constexpr std::array kStopwordsDe = {"der", "das", "und", "ist", "nicht", "mit", "ein", "eine", "ich", "es", "sehr",
                                     "aber", "zu", "den", "dem", "auf", "für", "wenn", "auch", "noch", "mein", "meine",
                                     "kann", "nur", "sich", "funktioniert", "immer", "schon", "ab", "jetzt", "wieder",
                                     "seit", "bitte", "leider", "keine", "kein", "nach", "beim", "oder", "habe", "hat",
                                     "wird", "dass", "einen", "ständig", "im", "vom", "zum", "zur", "sie", "wir", "ihr",
                                     "dann", "gibt", "wäre", "sein", "ohne", "alle", "diese", "dieser", "dieses",
                                     "mehr", "geht", "gut", "toll", "schlecht", "danke", "klasse", "tolle", "gute"};
constexpr std::array kStopwordsPt = {"o", "os", "de", "e", "uma", "da", "na", "no", "ao", "dos", "das", "que", "é", "não",
                                     "para", "com", "muito", "mas", "meu", "minha", "em", "se", "quando", "está",
                                     "funciona", "também", "aplicativo", "você", "isso", "tudo", "nem", "sem", "ele",
                                     "ela", "eles", "pelo", "pela", "numa", "num", "mais", "já", "porque", "depois",
                                     "seria", "tem", "fica", "foi", "vou", "meus", "minhas", "abre", "bom", "boa",
                                     "ótimo", "ótima", "obrigado", "obrigada", "péssimo", "péssima", "adorei", "gostei",
                                     "adicionem", "coloquem", "escuro", "entra"};

// Words a person's name follows in pii.cc's cues ("my name is", "this is X from"); sign-offs
// are looked for at the end of every text, which costs little.
constexpr std::array kNameCueWords = {"name", "name's", "names", "nombre", "nom", "nome", "llamo",
                                      "m'appelle", "appelle", "heiße", "heisse", "from"};

// VADER's special cases and idioms, as phrases whose valence replaces their words'.
struct PhraseValence {
  const char* phrase;
  float valence;
};
constexpr std::array kIdioms = {
    PhraseValence{"the shit", 3.0f},      PhraseValence{"the bomb", 3.0f},      PhraseValence{"bad ass", 1.5f},
    PhraseValence{"badass", 1.5f},        PhraseValence{"bus stop", 0.0f},      PhraseValence{"yeah right", -2.0f},
    PhraseValence{"kiss of death", -1.5f}, PhraseValence{"to die for", 3.0f},   PhraseValence{"beating heart", 3.1f},
    PhraseValence{"broken heart", -2.9f}, PhraseValence{"cut the mustard", 2.0f}, PhraseValence{"hand to mouth", -2.0f},
    PhraseValence{"back handed", -2.0f},  PhraseValence{"blow smoke", -2.0f},   PhraseValence{"blowing smoke", -2.0f},
    PhraseValence{"upper hand", 1.0f},    PhraseValence{"break a leg", 2.0f},   PhraseValence{"cooking with gas", 2.0f},
    PhraseValence{"in the black", 2.0f},  PhraseValence{"in the red", -2.0f},   PhraseValence{"on the ball", 2.0f},
    PhraseValence{"under the weather", -2.0f}};

// The words of the constructions (sentiment.h): each with its part.
struct CueList {
  CueWord cue;
  std::initializer_list<const char*> words;
};
const CueList kCueLists[] = {
    {kCueToo, {"too"}},
    {kCueMany, {"many", "much"}},
    {kCueTake, {"take", "takes", "took", "taking", "taken"}},
    {kCueWait, {"wait", "waits", "waited", "waiting"}},
    {kCueLongTime, {"forever", "ages", "eternity", "eternities"}},
    {kCueTimeUnit, {"minute", "minutes", "mins", "hour", "hours", "hrs", "day", "days", "week", "weeks", "month", "months"}},
    {kCueSeconds, {"second", "seconds", "sec", "secs"}},
    {kCueFiller, {"a", "an", "the", "few", "several", "couple", "of", "so", "very", "like", "about", "over", "for", "me",
                  "it", "be", "able", "even", "really", "always", "properly", "correctly", "my", "your", "this", "us",
                  "them", "you", "i", "we", "ever", "anymore", "up", "on", "in", "one"}},
    {kCueLess, {"less", "under", "only", "just"}},
    {kCueKeep, {"keep", "keeps", "kept", "keeping", "stopped", "stops", "started"}},
    {kCueLonger, {"longer"}},
    {kCueStill, {"still"}},
    {kCueRepeat, {"twice", "again", "double", "thrice", "doubled", "both"}},
    {kCueCharge, {"charged", "billed", "charge", "charges", "bill", "bills", "debited"}},
    {kCueFail, {"unable", "fail", "fails", "failed", "refuse", "refuses", "refused", "impossible"}},
    {kCueMissing, {"response", "reply", "answer", "way", "option", "help", "support", "refund", "sound", "audio", "video",
                   "signal", "feedback", "contact", "reason", "explanation", "notification", "notifications", "follow",
                   "update", "updates", "confirmation", "idea", "clue", "progress", "email", "call"}},
    {kCueMore, {"more"}},
    {kCueHave, {"have", "has", "had", "having", "need", "needs", "needed"}},
    {kCueTo, {"to"}},
    {kCueRedo, {"reinstall", "restart", "reset", "reboot", "relogin", "pay", "uninstall", "re-enter", "retype", "redo",
                "wait", "repeat", "enter", "re-download", "redownload"}},
    {kCueRemoved, {"removed", "ditched", "discontinued"}},
    {kCueAway, {"away", "rid"}},
    {kCueBring, {"bring", "give", "put"}},
    {kCueBack, {"back"}},
    {kCueFix, {"fixed", "solved", "resolved", "sorted", "cured", "fixes", "solves", "resolves"}},
    {kCueWithin, {"within"}},
    {kCueUsed, {"used"}},
    {kCueDo, {"do", "does", "did", "shows", "showed", "returns", "returned", "finds", "found", "says", "said", "happens",
              "happened", "loads", "loaded", "works", "worked"}},
    {kCueNothing, {"nothing"}},
    {kCueSpeed, {"fast", "faster", "quickly", "quick", "rapidly"}},
    {kCueWould, {"would", "i'd", "it'd", "we'd", "that'd", "you'd", "they'd", "wud"}},
    {kCueWish, {"wish"}},
    {kCueUntil, {"until", "till", "til"}},
    {kCueCould, {"couldn't", "couldnt", "could", "can't", "cant", "should"}},
    {kCueBetter, {"better"}},
};

// What a product is expected to do: "won't X", "never Xed", "nobody Xed" complain.
constexpr std::array kActionVerbs = {
    "open", "load", "work", "start", "launch", "play", "connect", "sync", "show", "display", "respond", "download",
    "upload", "install", "update", "save", "send", "log", "login", "sign", "boot", "run", "print", "stream", "refresh",
    "pair", "read", "remember", "recognize", "recognise", "detect", "find", "see", "hear", "stay", "resume", "close",
    "exit", "quit", "render", "record", "import", "export", "recover", "accept", "let", "allow", "change", "arrive",
    "come", "ring", "receive", "get", "delete", "cancel", "reach", "access", "register", "verify", "unlock",
    "scroll", "type", "move", "reply", "answer", "help", "call", "contact", "refund", "order", "happen", "ask", "figure",
    "scan", "search", "upgrade", "restore", "share", "edit", "tell", "notify", "appear", "function", "process",
    "complete", "finish", "submit", "check", "track", "deliver", "ship", "pick", "bother", "care", "fix",
    "solve", "resolve", "return", "hold", "recognise", "transfer", "backup", "link", "add",
    "remove", "switch", "enter", "translate", "listen", "mute", "rotate", "zoom", "reload", "vibrate", "offer", "honor",
    "honour", "explain", "apologize", "apologise"};
// Past forms and participles that the regular rules below do not make.
constexpr std::array kIrregularActions = {"ran", "running", "got", "gotten", "came", "went", "gone", "saw", "seen",
                                          "heard", "found", "sent", "told", "shown", "rang", "kept", "paid", "held",
                                          "logged", "logging", "scanned", "scanning", "shipped", "shipping", "backed"};

// base, base+s, base+ed, base+ing with the regular spelling changes.
std::vector<std::string> VerbForms(std::string_view base) {
  std::string b(base);
  std::vector<std::string> forms = {b};
  const char last = b.back();
  const bool consonant_y = last == 'y' && b.size() > 1 && std::string_view("aeiou").find(b[b.size() - 2]) == std::string_view::npos;
  if (consonant_y) {
    forms.push_back(b.substr(0, b.size() - 1) + "ies");
    forms.push_back(b.substr(0, b.size() - 1) + "ied");
  } else {
    const bool es = last == 's' || last == 'x' || last == 'z' || b.ends_with("sh") || b.ends_with("ch");
    forms.push_back(b + (es ? "es" : "s"));
    forms.push_back(b + (last == 'e' ? "d" : "ed"));
  }
  forms.push_back((last == 'e' && !b.ends_with("ee") ? b.substr(0, b.size() - 1) : b) + "ing");
  return forms;
}

bool HasUpper(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 'A' && c <= 'Z') return true;
  }
  return false;
}

bool IsAlphaWord(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 'a' || c > 'z') return false;
  }
  return true;
}

bool ReadFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

}  // namespace

SpecialWord SpecialWordOf(std::string_view w) {
  for (size_t i = 1; i < kSpecialWordNames.size(); ++i) {
    if (kSpecialWordNames[i] == w) return static_cast<SpecialWord>(i);
  }
  return kWordNone;
}

// Entries in insertion order with a plain map: only Load() uses it.
struct Lexicon::Builder {
  std::vector<std::pair<std::string, LexEntry>> entries;
  std::unordered_map<std::string, uint32_t> index;

  LexEntry* Upsert(std::string_view key) {
    auto [it, inserted] = index.try_emplace(std::string(key), static_cast<uint32_t>(entries.size()));
    if (inserted) entries.emplace_back(std::string(key), LexEntry{});
    return &entries[it->second].second;
  }
  const LexEntry* Find(std::string_view key) const {
    if (key.empty()) return nullptr;
    auto it = index.find(std::string(key));
    return it == index.end() ? nullptr : &entries[it->second].second;
  }
  void AddDerivedForms();
};

void Lexicon::Builder::AddDerivedForms() {
  // Regular inflections of lexicon words ("crash" -> "crashes", "crashing", "crashed")
  // that the lexicon lacks inherit the base valence: the VADER lexicon lists many
  // lemmas without their forms, and feedback is full of them.
  std::vector<std::pair<std::string, float>> derived;
  for (const auto& [key, entry] : entries) {
    if (key.size() < 4 || !(entry.flags & kLexValence) || (entry.flags & (kLexPhrase | kLexDerived))) continue;
    const std::string& base = key;
    if (!IsAlphaWord(base)) continue;
    const float v = entry.valence;
    // Inflection shifts meaning now and then ("kind" -> "kinds", "clean" -> "cleaning"), so
    // derived forms count for a little less than their base.
    const float dv = v * kDerivedScale;
    const char last = base.back();
    std::string stem = base;
    if (last == 'e') stem.pop_back();
    derived.emplace_back(base + (last == 's' || last == 'h' || last == 'x' ? "es" : "s"), dv);
    derived.emplace_back(stem + "ing", dv);
    derived.emplace_back(stem + "ed", dv);
    if (last == 'y' && base.size() > 4) derived.emplace_back(base.substr(0, base.size() - 1) + "ily", dv);
    // Adverbs ("slowly", "terribly"): "le" endings take "ly" in place of "le".
    if (last != 'y') {
      derived.emplace_back(base.ends_with("le") ? base.substr(0, base.size() - 1) + "y" : base + "ly", dv);
    }
    // Comparatives and superlatives ("cooler", "coolest", "happier").
    if (last == 'y') {
      derived.emplace_back(base.substr(0, base.size() - 1) + "ier", dv);
      derived.emplace_back(base.substr(0, base.size() - 1) + "iest", dv);
    } else {
      derived.emplace_back(stem + "er", dv);
      derived.emplace_back(stem + "est", dv);
    }
  }
  for (auto& [word, v] : derived) {
    // A construction word ("fails", "charges") still inherits its base's valence.
    if (const LexEntry* f = Find(word); f != nullptr && f->flags != kLexCue) continue;
    LexEntry* e = Upsert(word);
    e->valence = v;
    e->flags |= kLexValence | kLexDerived;
  }
}

Status Lexicon::Freeze(const Builder& builder) {
  // Load factor at most 1/3: a miss, the common case for running text, probes about
  // two 32-byte slots, two to a cache line.
  size_t capacity = 1024;
  while (capacity < builder.entries.size() * 3) capacity *= 2;
  slots_.assign(capacity, Slot{});
  long_keys_.clear();
  const size_t mask = capacity - 1;
  for (const auto& [key, entry] : builder.entries) {
    if (key.empty()) continue;  // never looked up
    Slot s;
    std::memcpy(s.key, key.data(), std::min<size_t>(key.size(), 16));
    s.entry = entry;
    s.entry.flags |= kLexKnown;
    s.entry.word = SpecialWordOf(key);
    if (key.size() <= 16) {
      s.meta = static_cast<uint32_t>(key.size());
    } else {
      if (long_keys_.size() >= (1u << 24) - key.size() - 4) return Status::InvalidArgument("sentiment lexicon: keys too long");
      s.meta = static_cast<uint32_t>(long_keys_.size() << 8) | kLongKey;
      const auto n = static_cast<uint32_t>(key.size());
      long_keys_.append(reinterpret_cast<const char*>(&n), 4);
      long_keys_.append(key, 16);
    }
    const uint64_t h = HashLong(key);
    size_t i = h & mask;
    while (slots_[i].meta != 0) i = (i + 1) & mask;
    slots_[i] = s;
  }
  std::fill(second_words_.begin(), second_words_.end(), 0);
  std::fill(phrases_.begin(), phrases_.end(), 0);
  for (const auto& [key, entry] : builder.entries) {
    if (!(entry.flags & kLexPhrase)) continue;
    const size_t first_space = key.find(' ');
    if (first_space == std::string::npos) continue;
    const size_t second_end = key.find(' ', first_space + 1);
    const std::string_view second = std::string_view(key).substr(
        first_space + 1, second_end == std::string::npos ? std::string::npos : second_end - first_space - 1);
    SetBit(second_words_, HashLong(second));
    SetBit(phrases_, HashLong(key));
    // Its first two words too: a pair that starts no phrase rules out every length.
    SetBit(phrases_, HashLong(std::string_view(key).substr(0, second_end)));
  }
  count_ = builder.entries.size();
  return Status::Ok();
}

uint64_t Lexicon::HashLong(std::string_view key) {
  char buf[16] = {};
  std::memcpy(buf, key.data(), std::min<size_t>(key.size(), 16));
  uint64_t h = HashShort(LoadWord(buf), LoadWord(buf + 8), key.size());
  for (size_t i = 16; i < key.size(); i += 8) {
    uint64_t w = 0;
    std::memcpy(&w, key.data() + i, std::min<size_t>(key.size() - i, 8));
    h = Mix((h ^ w) * 0xBF58476D1CE4E5B9ull);
  }
  return h;
}

const LexEntry* Lexicon::FindLong(std::string_view key, uint64_t h) const {
  const size_t mask = slots_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const Slot& s = slots_[i];
    if (s.meta == 0) return nullptr;
    if ((s.meta & 0xFF) != kLongKey || std::memcmp(s.key, key.data(), 16) != 0) continue;
    const char* rest = long_keys_.data() + (s.meta >> 8);
    uint32_t n;
    std::memcpy(&n, rest, 4);
    if (n == key.size() && std::memcmp(rest + 4, key.data() + 16, n - 16) == 0) return &s.entry;
  }
}

const LexEntry* Lexicon::Find(std::string_view key) const {
  if (key.size() > 16) return FindLong(key, HashLong(key));
  char buf[kPadding + 16] = {};
  std::memcpy(buf, key.data(), key.size());
  return FindPadded(std::string_view(buf, key.size()));
}

Result<Lexicon> Lexicon::Load(const std::string& dir) {
  Builder lex;
  // Phrases are registered after their words so the start flag lands on the word entry.
  std::vector<std::pair<std::string, float>> phrases;
  std::string contents;

  auto load_valences = [&](const std::string& file, bool required) -> Status {
    const std::string path = dir + "/" + file;
    if (!ReadFile(path, &contents)) {
      return required ? Status::NotFound("sentiment lexicon not found: " + path) : Status::Ok();
    }
    std::string_view rest(contents);
    size_t line_no = 0;
    while (!rest.empty()) {
      ++line_no;
      const size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.empty() || line[0] == '#') continue;
      const size_t tab = line.find('\t');
      if (tab == std::string_view::npos || tab == 0) {
        return Status::InvalidArgument(path + ":" + std::to_string(line_no) + ": expected term<TAB>valence");
      }
      std::string_view term = line.substr(0, tab);
      std::string_view num = line.substr(tab + 1);
      num = num.substr(0, num.find('\t'));
      float v = 0.0f;
      auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), v);
      if (ec != std::errc() || v < -4.0f || v > 4.0f) {
        return Status::InvalidArgument(path + ":" + std::to_string(line_no) + ": valence of '" + std::string(term) +
                                       "' must be a number in [-4, 4]");
      }
      // VADER lowercases every token before lookup, so keys with capitals are unreachable
      // there; skipping them keeps our scores comparable.
      if (HasUpper(term)) continue;
      if (term.find(' ') != std::string_view::npos) {
        if (static_cast<size_t>(std::count(term.begin(), term.end(), ' ')) >= kMaxPhraseWords) {
          return Status::InvalidArgument(path + ":" + std::to_string(line_no) + ": '" + std::string(term) +
                                         "' has more than " + std::to_string(kMaxPhraseWords) +
                                         " words, which no text would match; shorten it");
        }
        phrases.emplace_back(std::string(term), v);
        continue;
      }
      LexEntry* e = lex.Upsert(term);
      e->valence = v;
      e->flags = static_cast<uint16_t>((e->flags | kLexValence) & ~kLexDerived);
    }
    return Status::Ok();
  };
  VOC_RETURN_IF_ERROR(load_valences("vader_lexicon.txt", true));
  // The domain extension overrides VADER where feedback uses a word differently
  // ("freezes" is about a frozen app, not the weather).
  VOC_RETURN_IF_ERROR(load_valences("customer_feedback.txt", false));

  for (const char* w : kNegators) lex.Upsert(w)->flags |= kLexNegator;
  // Construction words: a word keeps its first part (the lists are in priority order),
  // and an action verb's every form is one.
  auto add_cue = [&](std::string_view w, CueWord cue) {
    LexEntry* e = lex.Upsert(w);
    if (e->cue != kCueNone) return;
    e->cue = cue;
    e->flags |= kLexCue;
  };
  for (const CueList& list : kCueLists) {
    for (const char* w : list.words) add_cue(w, list.cue);
  }
  for (const char* v : kActionVerbs) {
    for (const std::string& f : VerbForms(v)) add_cue(f, kCueAction);
  }
  for (const char* v : kIrregularActions) add_cue(v, kCueAction);
  for (const char* w : kContrast) lex.Upsert(w)->flags |= kLexContrast;
  for (const char* w : kStopwords) lex.Upsert(w)->flags |= kLexStopword;
  for (const char* w : kNameCueWords) lex.Upsert(w)->flags |= kLexNameCue;
  for (const char* w : kStopwordsEs) lex.Upsert(w)->flags |= kLexStopEs;
  for (const char* w : kStopwordsFr) lex.Upsert(w)->flags |= kLexStopFr;
  for (const char* w : kStopwordsDe) lex.Upsert(w)->flags |= kLexStopDe;
  for (const char* w : kStopwordsPt) lex.Upsert(w)->flags |= kLexStopPt;
  auto add_booster = [&](std::string_view w, float b) {
    if (w.find(' ') != std::string_view::npos) {
      phrases.emplace_back(std::string(w), 0.0f);
      // A multi-word booster is stored as a phrase entry that also boosts.
      LexEntry* e = lex.Upsert(w);
      e->booster = b;
      e->flags |= kLexBooster | kLexPhrase;
      return;
    }
    LexEntry* e = lex.Upsert(w);
    e->booster = b;
    e->flags |= kLexBooster;
  };
  for (const char* w : kBoostersUp) add_booster(w, kBoosterIncrement);
  for (const char* w : kBoostersDown) add_booster(w, -kBoosterIncrement);
  // Every word the valence rules look for has an entry (only "least" lacks one otherwise),
  // so a token that is not in the table is no SpecialWord either: the scorer never
  // compares strings.
  for (size_t i = 1; i < kSpecialWordNames.size(); ++i) lex.Upsert(kSpecialWordNames[i]);
  for (const PhraseValence& p : kIdioms) {
    if (std::string_view(p.phrase).find(' ') == std::string_view::npos) {
      LexEntry* e = lex.Upsert(p.phrase);
      e->valence = p.valence;
      e->flags |= kLexValence;
    } else {
      phrases.emplace_back(p.phrase, p.valence);
    }
  }

  lex.AddDerivedForms();

  for (auto& [phrase, v] : phrases) {
    LexEntry* e = lex.Upsert(phrase);
    if (!(e->flags & kLexBooster)) {
      e->valence = v;
      e->flags |= kLexValence;
    }
    e->flags |= kLexPhrase;
    lex.Upsert(std::string_view(phrase).substr(0, phrase.find(' ')))->flags |= kLexPhraseStart;
  }

  // Emoji: VADER swaps each emoji for its description and scores the words; we score
  // the description once here so the hot path sees one token.
  const std::string emoji_path = dir + "/emoji_utf8_lexicon.txt";
  if (ReadFile(emoji_path, &contents)) {
    std::vector<std::pair<std::string, float>> emoji;
    std::string_view rest(contents);
    while (!rest.empty()) {
      const size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
      const size_t tab = line.find('\t');
      if (tab == std::string_view::npos || tab == 0) continue;
      std::string_view desc = line.substr(tab + 1);
      float sum = 0.0f;
      std::string word;
      for (size_t i = 0; i <= desc.size(); ++i) {
        const char c = i < desc.size() ? desc[i] : ' ';
        if (c == ' ' || c == '\r' || c == '-') {
          if (const LexEntry* e = lex.Find(word); e != nullptr && (e->flags & kLexValence) && !(e->flags & kLexDerived)) {
            sum += e->valence;
          }
          word.clear();
        } else {
          word.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
        }
      }
      if (sum != 0.0f) emoji.emplace_back(std::string(line.substr(0, tab)), sum);
    }
    for (auto& [e, v] : emoji) {
      LexEntry* entry = lex.Upsert(e);
      entry->valence = v;
      entry->flags |= kLexValence | kLexEmoji;
    }
  }
  Lexicon lexicon;
  VOC_RETURN_IF_ERROR(lexicon.Freeze(lex));
  return lexicon;
}

}  // namespace voc::text
