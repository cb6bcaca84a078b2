#include "common/text/phrases.h"

#include <utf8proc.h>

#include <algorithm>
#include <array>

#include "common/core/string_map.h"

namespace voc::text {
namespace {

// Function words of English, Spanish, French, German and Portuguese, plus greetings and
// thanks, which name no topic. Kept sorted by bytes, where a duplicate or a gap shows.
constexpr std::string_view kStopWords[] = {
    "a", "ab", "aber", "about", "above", "after", "again", "against", "al", "all", "alle", "almost", "also", "am", "an",
    "and", "any", "anyone", "anything", "ao", "aos", "are", "aren't", "around", "as", "at", "au", "auch", "auf",
    "aus", "aussi", "aux", "avec", "avoir", "be", "because", "been", "before", "bei", "beim", "being", "below",
    "between", "bitte", "both", "but", "by", "c'est", "cada", "can", "can't", "cannot", "ce", "ces", "cet",
    "cette", "com", "como", "con", "could", "couldn't", "cuando", "da", "dann", "dans", "das", "dass", "de",
    "dein", "deine", "del", "dem", "den", "depois", "der", "des", "desde", "did", "didn't", "die", "diese",
    "dieser", "dieses", "do", "does", "doesn't", "doing", "don't", "done", "dos", "down", "du", "during", "déjà",
    "e", "each", "ein", "eine", "einem", "einen", "einer", "eines", "either", "el", "elle", "elles", "else", "em",
    "en", "encore", "er", "era", "es", "esa", "esas", "ese", "eso", "esos", "essa", "esse", "est", "esta", "estas",
    "este", "esto", "estos", "estoy", "está", "están", "estão", "et", "etc", "euer", "even", "ever", "every",
    "fait", "few", "foi", "for", "from", "fue", "further", "für", "get", "gets", "getting", "got", "habe", "haben",
    "had", "hadn't", "has", "hasn't", "hasta", "hat", "have", "haven't", "having", "hay", "he", "he's", "hello",
    "her", "here", "hers", "herself", "hey", "hi", "him", "himself", "his", "how", "however", "i", "i'd", "i'll",
    "i'm", "i've", "ich", "if", "ihr", "il", "ils", "im", "immer", "in", "into", "is", "isn't", "isso", "ist",
    "isto", "it", "it's", "its", "itself", "j'ai", "je", "jetzt", "just", "já", "kann", "kein", "keine", "können",
    "la", "las", "le", "leider", "les", "let", "let's", "leur", "leurs", "lo", "los", "lot", "lots", "ma", "mais",
    "man", "mas", "may", "me", "mehr", "mein", "meine", "menos", "mes", "meu", "meus", "mi", "might", "minha",
    "minhas", "mis", "mit", "mon", "more", "most", "much", "muito", "must", "mustn't", "muy", "my", "myself",
    "más", "n'est", "na", "nach", "nas", "ne", "neither", "nem", "ni", "nicht", "no", "noch", "nor", "nos", "not",
    "notre", "nous", "now", "nur", "não", "o", "oder", "of", "off", "often", "ohne", "ok", "okay", "on", "once",
    "one", "only", "or", "os", "other", "others", "ou", "our", "ours", "ourselves", "out", "over", "own", "para",
    "pas", "pela", "pelo", "per", "pero", "peut", "please", "plus", "por", "porque", "pour", "quand", "quando",
    "que", "qui", "quite", "quoi", "rather", "really", "sa", "same", "sans", "schon", "se", "sehr", "sein",
    "seine", "seit", "sem", "ser", "ses", "seu", "seus", "she", "she's", "should", "shouldn't", "si", "sie", "sin",
    "since", "sind", "so", "some", "someone", "something", "son", "sont", "sous", "soy", "still", "su", "sua",
    "suas", "such", "sur", "sus", "são", "sí", "ta", "también", "também", "te", "tem", "tengo", "tes", "than",
    "thank", "thanks", "that", "that's", "the", "their", "theirs", "them", "themselves", "then", "there",
    "there's", "these", "they", "they'd", "they'll", "they're", "they've", "this", "those", "though", "through",
    "thus", "tiene", "to", "todo", "todos", "ton", "too", "tous", "tout", "toutes", "très", "tu", "tudo", "tus",
    "u", "um", "uma", "umas", "un", "una", "unas", "und", "under", "une", "unos", "uns", "unser", "until", "up",
    "upon", "us", "very", "via", "vom", "von", "vos", "votre", "vous", "war", "waren", "was", "wasn't", "we",
    "we'd", "we'll", "we're", "we've", "wenn", "werden", "were", "weren't", "what", "what's", "whatever", "when",
    "where", "whether", "which", "while", "who", "whom", "whose", "why", "wieder", "will", "wir", "wird", "with",
    "within", "without", "won't", "would", "wouldn't", "y", "ya", "yes", "yet", "you", "you'd", "you'll", "you're",
    "you've", "your", "yours", "yourself", "yourselves", "zu", "zum", "zur", "é", "être"

};
static_assert(std::is_sorted(std::begin(kStopWords), std::end(kStopWords)), "kStopWords must stay sorted");

// Looked up by hash: a binary search over the list compared a word ~9 times, and with the
// phrase list's duplicate check it was half of the extraction's time.
const StringSet& StopWordSet() {
  static const StringSet set = [] {
    StringSet words;
    for (std::string_view w : kStopWords) words.emplace(w);
    return words;
  }();
  return set;
}

enum class Kind { kLetter, kMark, kJoiner, kSpace, kBreak };

// How a code point takes part in a word, by its Unicode category. Digits are letters here:
// the word holding one is dropped whole, so "mp3" never leaves "mp" behind.
Kind UnicodeKindOf(utf8proc_int32_t cp) {
  if (cp == ' ' || cp == '\t' || cp == 0xA0 || cp == 0x202F) return Kind::kSpace;
  if (cp == '\'' || cp == 0x2019 || cp == '-' || cp == 0x2010) return Kind::kJoiner;
  switch (utf8proc_category(cp)) {
    case UTF8PROC_CATEGORY_LU:
    case UTF8PROC_CATEGORY_LL:
    case UTF8PROC_CATEGORY_LT:
    case UTF8PROC_CATEGORY_LM:
    case UTF8PROC_CATEGORY_LO:
    case UTF8PROC_CATEGORY_ND:
    case UTF8PROC_CATEGORY_NL:
    case UTF8PROC_CATEGORY_NO:
      return Kind::kLetter;
    case UTF8PROC_CATEGORY_MN:
    case UTF8PROC_CATEGORY_MC:
    case UTF8PROC_CATEGORY_ME:
      return Kind::kMark;
    case UTF8PROC_CATEGORY_ZS:
      return Kind::kSpace;
    default:
      return Kind::kBreak;  // punctuation, symbols, emoji, line and paragraph breaks, controls
  }
}

bool IsDigit(utf8proc_int32_t cp) {
  const auto c = utf8proc_category(cp);
  return c == UTF8PROC_CATEGORY_ND || c == UTF8PROC_CATEGORY_NL || c == UTF8PROC_CATEGORY_NO;
}

// KindOf for the ASCII code points, which most feedback is made of: a table instead of a
// Unicode lookup per character (half of the extraction's time). Built by the same rules:
// letters and digits are letters, ' and - join, space and tab are spaces, and every other
// ASCII character (punctuation, symbols, controls, line breaks) breaks.
constexpr std::array<Kind, 128> kAsciiKind = [] {
  std::array<Kind, 128> kinds{};
  for (int c = 0; c < 128; ++c) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    kinds[c] = alnum                    ? Kind::kLetter
               : c == '\'' || c == '-'  ? Kind::kJoiner
               : c == ' ' || c == '\t'  ? Kind::kSpace
                                        : Kind::kBreak;
  }
  return kinds;
}();

Kind KindOf(utf8proc_int32_t cp) { return cp >= 0 && cp < 0x80 ? kAsciiKind[cp] : UnicodeKindOf(cp); }

// The code point at text[i] and its length; length 0 for bytes that are not UTF-8.
utf8proc_int32_t Next(std::string_view text, size_t i, size_t* length) {
  if (static_cast<unsigned char>(text[i]) < 0x80) {
    *length = 1;
    return static_cast<unsigned char>(text[i]);
  }
  utf8proc_int32_t cp = -1;
  const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(text.data() + i),
                                  static_cast<utf8proc_ssize_t>(text.size() - i), &cp);
  *length = n > 0 ? static_cast<size_t>(n) : 0;
  return cp;
}

// The length of a PII placeholder ("[EMAIL]": upper-case ASCII letters and underscores in
// brackets) at text[i], 0 when there is none.
size_t PlaceholderAt(std::string_view text, size_t i) {
  if (text[i] != '[') return 0;
  size_t j = i + 1;
  while (j < text.size() && j - i <= 16 && ((text[j] >= 'A' && text[j] <= 'Z') || text[j] == '_')) ++j;
  return j < text.size() && text[j] == ']' && j - i >= 3 ? j + 1 - i : 0;
}

// Builds the phrases as words arrive: the last three words of the current run, and the
// phrases that end at each new one.
class PhraseWriter {
 public:
  PhraseWriter(std::vector<std::string>* out, size_t max) : out_(out), max_(max) {}

  bool full() const { return count_ >= max_; }
  size_t count() const { return count_; }

  // A word of the run (lower case); emits the phrases that end with it.
  void Word(std::string_view word, size_t code_points) {
    last_ = (last_ + 1) % 3;
    words_[last_].assign(word);
    stop_[last_] = code_points < 2 || IsPhraseStopWord(word);
    run_ = std::min<size_t>(run_ + 1, 3);
    if (stop_[last_]) return;  // no phrase ends on it
    for (size_t n = 1; n <= run_ && !full(); ++n) {
      const size_t first = (last_ + 3 - (n - 1)) % 3;
      if (stop_[first]) continue;
      if (out_->size() <= count_) out_->emplace_back();
      std::string& phrase = (*out_)[count_];
      phrase.clear();
      for (size_t k = n; k-- > 0;) {
        phrase += words_[(last_ + 3 - k) % 3];
        if (k > 0) phrase += ' ';
      }
      // A phrase already listed is not listed again; the hashes spare comparing them all.
      const uint64_t hash = StringHash{}(phrase);
      bool seen = false;
      for (size_t k = 0; k < count_ && !seen; ++k) seen = hashes_[k] == hash && (*out_)[k] == phrase;
      if (!seen) hashes_[count_++] = hash;
    }
  }
  // The run of words ends: no phrase spans what comes next.
  void Break() { run_ = 0; }

 private:
  std::vector<std::string>* out_;
  size_t max_;
  size_t count_ = 0;
  std::array<uint64_t, kMaxPhrasesPerFeedback> hashes_;  // of the phrases listed
  std::array<std::string, 3> words_;
  std::array<bool, 3> stop_{};
  size_t last_ = 0;
  size_t run_ = 0;
};

}  // namespace

bool IsPhraseStopWord(std::string_view word) { return StopWordSet().contains(word); }

void ExtractPhrases(std::string_view text, std::vector<std::string>* out, size_t max_phrases) {
  PhraseWriter writer(out, std::min(max_phrases, kMaxPhrasesPerFeedback));
  std::string word;
  size_t code_points = 0;
  bool usable = true;  // no digit, not too long
  bool after_letter = false;
  // Ends the word in hand; a word that cannot be in a phrase breaks the run.
  auto end_word = [&] {
    if (!word.empty()) {
      if (usable) {
        writer.Word(word, code_points);
      } else {
        writer.Break();
      }
    }
    word.clear();
    code_points = 0;
    usable = true;
    after_letter = false;
  };
  for (size_t i = 0; i < text.size() && !writer.full();) {
    if (const size_t placeholder = PlaceholderAt(text, i)) {
      end_word();
      writer.Break();
      i += placeholder;
      continue;
    }
    size_t length = 0;
    const utf8proc_int32_t cp = Next(text, i, &length);
    if (length == 0) {  // not UTF-8: a break, one byte at a time
      end_word();
      writer.Break();
      ++i;
      continue;
    }
    switch (KindOf(cp)) {
      case Kind::kLetter:
      case Kind::kMark: {
        utf8proc_uint8_t bytes[4];
        utf8proc_ssize_t n = 1;
        if (cp < 0x80) {
          if (cp >= '0' && cp <= '9') usable = false;
          bytes[0] = static_cast<utf8proc_uint8_t>(cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp);
        } else {
          if (IsDigit(cp)) usable = false;
          n = utf8proc_encode_char(utf8proc_tolower(cp), bytes);
        }
        if (word.size() + static_cast<size_t>(n) > kMaxPhraseWordBytes) usable = false;
        if (usable) {
          word.append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(n));
        } else if (word.empty()) {
          word.push_back('x');  // non-empty, so that the word still breaks the run
        }
        ++code_points;
        after_letter = true;
        break;
      }
      case Kind::kJoiner: {
        // Inside a word only between two letters ("don't", "wi-fi"); elsewhere a break.
        size_t next_length = 0;
        const bool joins = after_letter && i + length < text.size() &&
                           KindOf(Next(text, i + length, &next_length)) == Kind::kLetter && next_length > 0;
        if (joins) {
          word.push_back(cp == '-' || cp == 0x2010 ? '-' : '\'');
          after_letter = false;
        } else {
          end_word();
          writer.Break();
        }
        break;
      }
      case Kind::kSpace:
        end_word();
        break;
      case Kind::kBreak:
        end_word();
        writer.Break();
        break;
    }
    i += length;
  }
  if (!writer.full()) end_word();
  out->resize(writer.count());
}

}  // namespace voc::text
