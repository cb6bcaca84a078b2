#include "common/text/pii.h"

#include <algorithm>
#include <array>
#include <cstring>

#include "common/text/ascii.h"
#include "common/text/one_of.h"
#include "common/text/simd.h"

namespace voc::text {
namespace {

enum class PiiKind { kNone, kEmail, kPhone, kCard, kIban, kIp, kName, kAddress, kNationalId };

bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
constexpr bool IsHigh(char c) { return static_cast<unsigned char>(c) >= 0x80; }

char Upper(char c) { return IsLowerAscii(c) ? static_cast<char>(c - 32) : c; }

// RFC 5322 atext plus '.': everything an unquoted local part may hold besides letters,
// digits and non-ASCII letters (RFC 6531).
constexpr bool IsLocalPunct(char c) {
  switch (c) {
    case '.': case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '/': case '=': case '?': case '^': case '_': case '`': case '{': case '|': case '}': case '~':
      return true;
    default:
      return false;
  }
}

// The code point of the UTF-8 sequence of `len` bytes at p (already checked well-formed).
uint32_t DecodeUtf8(const char* p, size_t len) {
  const auto b = [&](size_t k) { return static_cast<uint32_t>(static_cast<unsigned char>(p[k])); };
  if (len == 2) return (b(0) & 0x1F) << 6 | (b(1) & 0x3F);
  if (len == 3) return (b(0) & 0x0F) << 12 | (b(1) & 0x3F) << 6 | (b(2) & 0x3F);
  return (b(0) & 0x07) << 18 | (b(1) & 0x3F) << 12 | (b(2) & 0x3F) << 6 | (b(3) & 0x3F);
}

// Length of a well-formed UTF-8 sequence starting at t[i], 0 when there is none.
size_t Utf8SequenceAt(std::string_view t, size_t i) {
  const auto c = static_cast<unsigned char>(t[i]);
  const size_t len = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 && c < 0xF0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (len == 0 || i + len > t.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((static_cast<unsigned char>(t[i + k]) & 0xC0) != 0x80) return 0;
  }
  return len;
}

// Whether a non-ASCII code point can be part of a name, an address or a mailbox: letters
// of any script, not the spaces, quotes and punctuation that surround them in text.
bool IsNameCodePoint(uint32_t cp) {
  if (cp < 0xC0) return false;                    // Latin-1 punctuation, NBSP, << >>
  if (cp == 0xD7 || cp == 0xF7) return false;     // multiplication and division signs
  if (cp >= 0x2000 && cp <= 0x2BFF) return false;  // spaces, quotes, dashes, symbols, arrows
  if (cp >= 0x3000 && cp <= 0x303F) return false;  // CJK punctuation
  if (cp >= 0xFE00 && cp <= 0xFE0F) return false;  // variation selectors
  if (cp >= 0xFF00 && cp <= 0xFF0F) return false;  // full-width punctuation
  if (cp >= 0x1F000) return false;                 // emoji
  return true;
}

// Start of the name-like code point that ends at t[e - 1], or e when there is none.
size_t NameCodePointBefore(std::string_view t, size_t e, size_t floor) {
  size_t b = e;
  while (b > floor && e - b < 4 && (static_cast<unsigned char>(t[b - 1]) & 0xC0) == 0x80) --b;
  if (b == floor || b == e) return e;
  --b;
  const size_t len = Utf8SequenceAt(t, b);
  if (len != e - b || !IsNameCodePoint(DecodeUtf8(t.data() + b, len))) return e;
  return b;
}

// Length of the name-like code point at t[i], 0 when there is none.
size_t NameCodePointAt(std::string_view t, size_t i) {
  const size_t len = Utf8SequenceAt(t, i);
  return len != 0 && IsNameCodePoint(DecodeUtf8(t.data() + i, len)) ? len : 0;
}

constexpr std::array<bool, 256> kWordByte = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<size_t>(c)] = IsWordChar(static_cast<char>(c));
  return t;
}();

// Where a match other than an e-mail can start (e-mails are found from their '@'): the
// first digit of a digit run, '+' and '(' before a phone, and with a ':' in the text IPv6
// from a hex digit or ':'. Except for digits, not after a word byte. A digit run glued to
// a word is either an IBAN's check digits ("de89 ...") or nothing: RedactPii decides.
template <bool kColon>
constexpr bool IsCandidateAt(const unsigned char* in, size_t p) {
  const char c = static_cast<char>(in[p]);
  if (IsDigit(c)) return p == 0 || !IsDigit(static_cast<char>(in[p - 1]));
  if (p > 0 && kWordByte[in[p - 1]]) return false;
  if (c == '+' || c == '(') return true;
  return kColon && (c == ':' || IsHex(c));
}

#ifdef __SSE2__
inline __m128i WordBytes(__m128i v) {
  return _mm_or_si128(_mm_or_si128(ByteInRange(v, '0', '9'), ByteInRange(v, 'A', 'Z')),
                      _mm_or_si128(ByteInRange(v, 'a', 'z'), ByteIs(v, '_')));
}
#endif

// The first position from p on where a match may start, or n. Most bytes start nothing:
// they are passed over sixteen at a time.
template <bool kColon>
size_t NextCandidate(const unsigned char* in, size_t p, size_t n) {
  // Byte 0 has no byte before it: checked here, so the vector loop can start at 1.
  if (p == 0) {
    if (n == 0 || IsCandidateAt<kColon>(in, 0)) return 0;
    p = 1;
  }
#ifdef __SSE2__
  {
    for (; p + 16 <= n; p += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + p));
      const __m128i before = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + p - 1));
      const __m128i digit_starts = _mm_andnot_si128(ByteInRange(before, '0', '9'), ByteInRange(v, '0', '9'));
      __m128i others = _mm_or_si128(ByteIs(v, '+'), ByteIs(v, '('));
      if constexpr (kColon) {
        others = _mm_or_si128(others, _mm_or_si128(ByteIs(v, ':'), ByteInRange(_mm_or_si128(v, _mm_set1_epi8(0x20)), 'a', 'f')));
      }
      const __m128i starts = _mm_or_si128(digit_starts, _mm_andnot_si128(WordBytes(before), others));
      const auto mask = static_cast<unsigned>(_mm_movemask_epi8(starts));
      if (mask != 0) return p + static_cast<size_t>(__builtin_ctz(mask));
    }
  }
#endif
  for (; p < n; ++p) {
    if (IsCandidateAt<kColon>(in, p)) return p;
  }
  return n;
}

struct TextBytes {
  bool at = false;
  bool digit = false;
  bool colon = false;
  // Where a person's name may follow a cue: "nam"/"nom" in any case ("my name is",
  // "Name:", "mon nom est", "nombre"), or a capital after "s ", "m " or ": " ("this is Sam
  // from", "I'm Bo from"). The first kMaxNameCues of them. (Sign-offs are looked for at
  // the end of the text only.)
  static constexpr size_t kMaxNameCues = 8;
  std::array<uint32_t, kMaxNameCues> name_cues;
  size_t name_cue_count = 0;
  void AddNameCue(size_t k) {
    if (name_cue_count < kMaxNameCues) name_cues[name_cue_count++] = static_cast<uint32_t>(k);
  }
};

constexpr bool IsNameCueByte(char c) { return c == 's' || c == 'm' || c == ':'; }

// With kNames false the name cues are not looked for (RedactPiiExceptNames).
template <bool kNames>
TextBytes ScanTextBytes(std::string_view text) {
  TextBytes seen;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  unsigned at = 0;
  unsigned digit = 0;
  unsigned colon = 0;
  const auto scalar_name_cue = [&](size_t k) {
    const char c = static_cast<char>(in[k]);
    if (Lower(c) == 'n' && k + 2 < n && (Lower(static_cast<char>(in[k + 1])) == 'a' || Lower(static_cast<char>(in[k + 1])) == 'o') &&
        Lower(static_cast<char>(in[k + 2])) == 'm') {
      return true;
    }
    return IsUpper(c) && k >= 2 && in[k - 1] == ' ' && IsNameCueByte(static_cast<char>(in[k - 2]));
  };
  size_t i = 0;
#ifdef __SSE2__
  if (n >= 20) {
    for (size_t k = 0; k < 2; ++k) {
      at |= in[k] == '@';
      digit |= IsDigit(static_cast<char>(in[k]));
      colon |= in[k] == ':';
      if (kNames && scalar_name_cue(k)) seen.AddNameCue(k);
    }
    __m128i at_v = _mm_setzero_si128();
    __m128i digit_v = _mm_setzero_si128();
    __m128i colon_v = _mm_setzero_si128();
    const __m128i case_bit = _mm_set1_epi8(0x20);
    // Bytes 0 and 1 have no two bytes before them: the loop starts at 2.
    for (i = 2; i + 18 <= n; i += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
      at_v = _mm_or_si128(at_v, ByteIs(v, '@'));
      digit_v = _mm_or_si128(digit_v, ByteInRange(v, '0', '9'));
      colon_v = _mm_or_si128(colon_v, ByteIs(v, ':'));
      if constexpr (!kNames) continue;
      const __m128i b1 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i - 1));
      const __m128i b2 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i - 2));
      const __m128i a1 = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i + 1)), case_bit);
      const __m128i a2 = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i + 2)), case_bit);
      const __m128i nam = _mm_and_si128(_mm_and_si128(ByteIs(_mm_or_si128(v, case_bit), 'n'), ByteIs(a2, 'm')),
                                        _mm_or_si128(ByteIs(a1, 'a'), ByteIs(a1, 'o')));
      const __m128i cue_before = _mm_or_si128(_mm_or_si128(ByteIs(b2, 's'), ByteIs(b2, 'm')), ByteIs(b2, ':'));
      const __m128i capital = _mm_and_si128(_mm_and_si128(ByteInRange(v, 'A', 'Z'), ByteIs(b1, ' ')), cue_before);
      for (auto cues = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(nam, capital))); cues != 0; cues &= cues - 1) {
        seen.AddNameCue(i + static_cast<size_t>(__builtin_ctz(cues)));
      }
    }
    at = static_cast<unsigned>(_mm_movemask_epi8(at_v));
    digit = static_cast<unsigned>(_mm_movemask_epi8(digit_v));
    colon = static_cast<unsigned>(_mm_movemask_epi8(colon_v));
  }
#endif
  for (; i < n; ++i) {
    const char c = static_cast<char>(in[i]);
    at |= c == '@';
    digit |= IsDigit(c);
    colon |= c == ':';
    if (kNames && scalar_name_cue(i)) seen.AddNameCue(i);
  }
  seen.at = at != 0;
  seen.digit = digit != 0;
  seen.colon = colon != 0;
  return seen;
}

// The word before position p (letters, ASCII ones lowercased, into buf), for context
// rules such as "version 3.2.1.4", "order #1234567890" or "número 612 345 678".
std::string_view PreviousWord(std::string_view text, size_t p, char (&buf)[16]) {
  size_t e = p;
  while (e > 0 && (text[e - 1] == ' ' || text[e - 1] == '#' || text[e - 1] == ':' || text[e - 1] == '.')) --e;
  const auto letter = [&](size_t k) { return IsAlpha(text[k]) || IsHigh(text[k]); };
  size_t b = e;
  while (b > 0 && letter(b - 1) && e - b < sizeof(buf)) --b;
  if (b > 0 && letter(b - 1)) return {};
  for (size_t k = b; k < e; ++k) buf[k - b] = Lower(text[k]);
  return std::string_view(buf, e - b);
}

bool EqualsCaseless(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t k = 0; k < a.size(); ++k) {
    if (Lower(a[k]) != lower[k]) return false;
  }
  return true;
}

// Whether `lower` occurs (ASCII caseless) in t[b, e).
bool ContainsCaseless(std::string_view t, size_t b, size_t e, std::string_view lower) {
  for (size_t k = b; k + lower.size() <= e; ++k) {
    if (EqualsCaseless(t.substr(k, lower.size()), lower)) return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------
// E-mail addresses, found from their '@': the local part is read backwards, so whatever
// precedes it (quotes, brackets, "mailto:", a label) does not decide whether it is seen.

// Extensions of file names that are no top-level domain: "icon@2x.png" is a file.
bool IsFileExtension(std::string_view label) {
  char buf[8];
  if (label.size() > sizeof(buf)) return false;
  for (size_t k = 0; k < label.size(); ++k) buf[k] = Lower(label[k]);
  const std::string_view l(buf, label.size());
  return IsOneOf(l, {"png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "ico", "tif", "tiff", "heic", "pdf", "txt",
                      "json", "yaml", "yml", "xml", "html", "htm", "css", "js", "ts", "jsx", "tsx", "mp3", "mp4", "wav",
                      "mkv", "avi", "webm", "apk", "ipa", "dmg", "exe", "dll", "log", "csv", "ini", "cfg", "docx",
                      "xlsx", "pptx", "doc", "xls", "ppt", "odt", "rtf", "jar", "lock", "kt", "java", "cpp", "hpp",
                      "gz", "tgz", "tar", "rar", "psd", "woff", "woff2", "ttf", "otf", "wasm", "plist", "sqlite"});
}

// End of the domain that starts at t[p], or 0 when there is none: labels of letters,
// digits, hyphens and non-ASCII letters (IDN), at least two, the last one a plausible
// top-level domain; or an address literal in brackets.
size_t MatchDomain(std::string_view t, size_t p) {
  if (p < t.size() && t[p] == '[') {
    size_t k = p + 1;
    while (k < t.size() && k - p < 48 && (IsHex(t[k]) || t[k] == '.' || t[k] == ':' || IsAlpha(t[k]))) ++k;
    return k < t.size() && t[k] == ']' && k > p + 1 ? k + 1 : 0;
  }
  size_t k = p;
  size_t labels = 0;
  size_t end = 0;
  size_t first_end = 0;
  size_t last_begin = p;
  bool last_tld_like = false;
  while (k < t.size()) {
    const size_t label_begin = k;
    bool letters_only = true;
    bool non_ascii = false;
    while (k < t.size()) {
      if (IsAlnum(t[k]) || t[k] == '-') {
        letters_only = letters_only && IsAlpha(t[k]);
        ++k;
      } else if (const size_t len = IsHigh(t[k]) ? NameCodePointAt(t, k) : 0; len > 0) {
        non_ascii = true;
        k += len;
      } else {
        break;
      }
    }
    if (k == label_begin) break;
    if (labels == 0) first_end = k;
    ++labels;
    last_begin = label_begin;
    last_tld_like = non_ascii || (letters_only && k - label_begin >= 2) ||
                    (k - label_begin > 4 && EqualsCaseless(t.substr(label_begin, 4), "xn--"));
    end = k;
    if (k + 1 < t.size() && t[k] == '.' && (IsAlnum(t[k + 1]) || IsHigh(t[k + 1]))) {
      ++k;
      continue;
    }
    break;
  }
  if (labels < 2 || !last_tld_like) return 0;
  // "icon@2x.png", "logo@1.5x.webp": an image scale suffix and a file extension.
  const std::string_view first = t.substr(p, first_end - p);
  if (first.size() >= 2 && (first.back() == 'x' || first.back() == 'X') && IsDigit(first[0])) return 0;
  if (IsFileExtension(t.substr(last_begin, end - last_begin))) return 0;
  return end;
}

// Start of the local part that ends at the '@' at t[a], or a when there is none. It
// never reaches before `floor` (the end of what was already redacted).
size_t LocalPartStart(std::string_view t, size_t a, size_t floor) {
  if (a > floor && t[a - 1] == '"') {
    // A quoted local part: "john doe"@example.com.
    for (size_t k = a - 1; k > floor && a - k < 66;) {
      --k;
      if (t[k] == '\n') break;
      if (t[k] == '"') return k + 1 < a - 1 ? k : a;
    }
    return a;
  }
  size_t b = a;
  while (b > floor) {
    const char c = t[b - 1];
    if (IsAlnum(c) || IsLocalPunct(c)) {
      --b;
    } else if (IsHigh(c)) {
      const size_t s = NameCodePointBefore(t, b, floor);
      if (s == b) break;
      b = s;
    } else {
      break;
    }
  }
  // Quotes, brackets and dots at its start are the sentence's, not the address's:
  // 'bob@x.com', {bob@x.com}.
  while (b < a && std::string_view("'`.{}|~^=?!#$&*/").find(t[b]) != std::string_view::npos) ++b;
  return b;
}

struct Span {
  size_t begin = 0;
  size_t end = 0;
};

// The first e-mail address with its '@' at or after `from`, not starting before `floor`;
// {npos, npos} when there is none.
Span NextEmail(std::string_view t, size_t from, size_t floor) {
  for (size_t a = t.find('@', from); a != std::string_view::npos; a = t.find('@', a + 1)) {
    const size_t end = MatchDomain(t, a + 1);
    if (end == 0) continue;
    const size_t begin = LocalPartStart(t, a, floor);
    if (begin < a) return Span{begin, end};
  }
  return Span{std::string_view::npos, std::string_view::npos};
}

// ---------------------------------------------------------------------------------------
// IP addresses.

size_t MatchIpv4(std::string_view t, size_t p, bool versions_allowed = true) {
  size_t j = p;
  size_t max_octet_len = 0;
  for (int octet = 0; octet < 4; ++octet) {
    if (octet > 0) {
      if (j >= t.size() || t[j] != '.') return 0;
      ++j;
    }
    const size_t b = j;
    int value = 0;
    while (j < t.size() && IsDigit(t[j]) && j - b < 4) value = value * 10 + (t[j++] - '0');
    const size_t len = j - b;
    if (len == 0 || len > 3 || value > 255 || (len > 1 && t[b] == '0')) return 0;
    if (len > max_octet_len) max_octet_len = len;
  }
  if (j < t.size() && (IsWordChar(t[j]) || (t[j] == '.' && j + 1 < t.size() && IsDigit(t[j + 1])))) return 0;
  if (!versions_allowed) return j;
  // Version strings ("3.2.1.4", "version 10.2.0.1") look like addresses.
  if (max_octet_len == 1) return 0;
  char buf[16];
  const std::string_view prev = PreviousWord(t, p, buf);
  if (IsOneOf(prev, {"version", "ver", "v", "build", "release", "firmware", "ios", "android", "update", "updated",
                      "upgrade", "upgraded", "patch", "os"})) {
    return 0;
  }
  return j;
}

size_t MatchIpv6(std::string_view t, size_t p) {
  size_t j = p;
  int groups = 0;
  bool double_colon = false;
  bool has_digit = false;
  size_t end = 0;
  if (j + 1 < t.size() && t[j] == ':' && t[j + 1] == ':') {
    double_colon = true;
    j += 2;
    end = j;
  }
  while (j < t.size()) {
    const size_t b = j;
    while (j < t.size() && IsHex(t[j]) && j - b < 5) {
      has_digit = has_digit || IsDigit(t[j]);
      ++j;
    }
    const size_t len = j - b;
    if (len == 0) break;
    if (len > 4) return 0;
    if (j < t.size() && t[j] == '.' && (groups > 0 || double_colon)) {
      // An embedded IPv4 address ends the address and counts as two groups:
      // ::ffff:192.0.2.128, 64:ff9b::192.0.2.33.
      if (const size_t v4 = MatchIpv4(t, b, false); v4 != 0) {
        groups += 2;
        end = v4;
        break;
      }
    }
    ++groups;
    end = j;
    if (j < t.size() && t[j] == ':') {
      if (j + 1 < t.size() && t[j + 1] == ':') {
        if (double_colon) return 0;
        double_colon = true;
        j += 2;
        end = j;
        continue;
      }
      if (j + 1 < t.size() && IsHex(t[j + 1])) {
        ++j;
        continue;
      }
    }
    break;
  }
  if (end < t.size() && (IsWordChar(t[end]) || t[end] == ':')) return 0;
  if (!has_digit || groups > 8) return 0;
  if (double_colon ? groups < 1 || groups > 7 : groups != 8) return 0;
  if (double_colon && groups < 2 && end > 0 && t[end - 1] != ':' && t[p] != ':') return 0;
  return end;
}

// ---------------------------------------------------------------------------------------
// Cards and phones: a run of digit groups joined by single separators.

struct DigitRun {
  static constexpr int kMaxGroups = 12;
  size_t end = 0;
  int digits = 0;
  int groups = 0;
  bool international = false;  // '+' or "00" before the country code
  bool parens = false;
  bool dots = false;
  bool slash = false;
  bool other_seps = false;  // space or dash
  bool only_dots_of_four = true;  // every group before the last has four digits, dots between
  // Filled as far as `digits` and `groups` reach, and read no further: left uninitialised,
  // as zeroing them cost more than the rest of most runs.
  std::array<char, 24> compact;  // the digits, when at most 24
  // Per group: where it ends, digits up to its end, its own length, and whether the
  // separator after it is a space (so the run may be cut there).
  std::array<uint32_t, kMaxGroups> group_end;
  std::array<uint8_t, kMaxGroups> group_digits;
  std::array<uint8_t, kMaxGroups> group_len;
  std::array<bool, kMaxGroups> space_after;
};

bool ScanDigitRun(std::string_view t, size_t p, DigitRun* run) {
  size_t j = p;
  bool open = false;
  if (t[j] == '(' && j + 1 < t.size() && t[j + 1] == '+') {
    open = true;  // "(+44) 20 ..."
    run->parens = true;
    ++j;
  }
  if (t[j] == '+') {
    run->international = true;
    ++j;
    if (j >= t.size() || !IsDigit(t[j])) return false;
  }
  while (j < t.size()) {
    // A group that does not close its bracket is not part of the run: undo it.
    const int digits_before = run->digits;
    const bool parens_before = run->parens;
    if (!open && t[j] == '(') {
      open = true;
      run->parens = true;
      ++j;
    }
    const size_t b = j;
    while (j < t.size() && IsDigit(t[j])) {
      if (run->digits < static_cast<int>(run->compact.size())) run->compact[run->digits] = t[j];
      ++run->digits;
      ++j;
    }
    if (j == b || (open && (j >= t.size() || t[j] != ')'))) {
      run->digits = digits_before;
      run->parens = parens_before;
      return run->groups > 0;
    }
    if (open) {
      ++j;
      open = false;
    }
    const int g = run->groups;
    run->group_end[g] = static_cast<uint32_t>(j);
    run->group_digits[g] = static_cast<uint8_t>(std::min(run->digits, 255));
    run->group_len[g] = static_cast<uint8_t>(std::min<size_t>(j - b, 255));
    ++run->groups;
    run->end = j;
    if (run->digits > 24 || run->groups == DigitRun::kMaxGroups) break;
    // One separator (or none after ')') and then another group continues the run; a '('
    // continues it only before a digit ("415-555-0132 (mobile)" ends at 2).
    const bool after_paren = t[j - 1] == ')';
    const auto group_follows = [&](size_t k) {
      return k < t.size() && (IsDigit(t[k]) || (t[k] == '(' && k + 1 < t.size() && IsDigit(t[k + 1])));
    };
    if (j < t.size() && (t[j] == ' ' || t[j] == '-' || t[j] == '.' || t[j] == '/') && group_follows(j + 1)) {
      const char sep = t[j];
      if (sep == '/') {
        // "030/1234567": a slash only after a trunk-prefixed area code (dates stay).
        if (run->groups != 1 || t[b] != '0' || run->international) break;
        run->slash = true;
      } else if (sep == '.') {
        run->dots = true;
      } else {
        run->other_seps = true;
      }
      if (sep != '.' || j - b != 4) run->only_dots_of_four = false;
      run->space_after[g] = sep == ' ';
      ++j;
      continue;
    }
    run->space_after[g] = false;
    if (after_paren && group_follows(j)) {
      run->only_dots_of_four = false;
      continue;  // "(0)89 ...", "(555)123-4567"
    }
    break;
  }
  const size_t e = run->end;
  return !(e < t.size() && (IsWordChar(t[e]) || t[e] == '@'));
}

// The run's first `groups` groups as a run of their own.
DigitRun Prefix(const DigitRun& run, int groups) {
  DigitRun r = run;
  r.groups = groups;
  r.digits = run.group_digits[groups - 1];
  r.end = run.group_end[groups - 1];
  return r;
}

bool NanpAt(const DigitRun& run, int offset) {
  // North American numbers: area code and exchange start with 2-9.
  return run.compact[offset] >= '2' && run.compact[offset + 3] >= '2';
}

// Whether an ISBN is named just before p ("ISBN 0-306-40615-2", "ISBN-13: 978-...").
bool AfterIsbn(std::string_view t, size_t p) {
  const size_t b = p > 16 ? p - 16 : 0;
  return ContainsCaseless(t, b, p, "isbn");
}

// What the words before a number say it is: an identifier ("order 123...", "order
// number 123..."), a phone number ("phone 612...", "my number is 612...", "call me at
// 612..."), a Social Security number ("SSN", "social security number"), or nothing.
enum class NumberCue { kNone, kIdentifier, kPhone, kSsn };
NumberCue CueBefore(std::string_view t, size_t p) {
  // Up to four words before p, nearest first.
  char bufs[4][16];
  std::array<std::string_view, 4> w{};
  size_t k = p;
  for (size_t i = 0; i < w.size(); ++i) {
    w[i] = PreviousWord(t, k, bufs[i]);
    if (w[i].empty()) break;
    while (k > 0 && (t[k - 1] == ' ' || t[k - 1] == '#' || t[k - 1] == ':' || t[k - 1] == '.')) --k;
    k -= w[i].size();
  }
  // Words between a cue and its number: "number is", "call me at", "número es".
  const auto connector = [](std::string_view x) {
    return IsOneOf(x, {"is", "es", "ist", "est", "é", "at", "on", "me", "al", "au", "to", "under", "unter", "am"});
  };
  const auto number_word = [](std::string_view x) {
    return IsOneOf(x, {"number", "num", "no", "nr", "nummer", "numero", "número", "numéro"});
  };
  const auto phone_word = [](std::string_view x) {
    return IsOneOf(x, {"phone", "mobile", "cell", "telephone", "tel", "call", "whatsapp", "fax", "text", "reach",
                        "teléfono", "telefono", "telefone", "móvil", "movil", "celular", "telemóvel", "handy",
                        "téléphone", "portable", "llámame", "llamar", "ligue", "anrufen", "contact"});
  };
  const auto owner_word = [&](std::string_view x) {
    return phone_word(x) || IsOneOf(x, {"my", "mi", "mein", "meine", "mon", "meu", "our", "his", "her"});
  };
  for (size_t i = 0; i + 2 < w.size(); ++i) {  // "SSN 123...", "SSN is", "social security number:"
    if (w[i] == "ssn" || (w[i] == "security" && w[i + 1] == "social") ||
        (number_word(w[i]) && w[i + 1] == "security" && w[i + 2] == "social")) {
      return NumberCue::kSsn;
    }
    if (!connector(w[i])) break;
  }
  if (IsOneOf(w[0], {"order", "ticket", "invoice", "tracking", "case", "ref", "reference", "id", "sku", "item",
                      "serial", "account", "transaction", "confirmation", "booking", "customer", "membership",
                      "policy", "imei", "isbn", "issn", "asin", "upc", "ean", "pedido", "commande", "bestellung"})) {
    return NumberCue::kIdentifier;
  }
  // "order number 123...", but "phone number 415...", "my number": the word before decides.
  if (number_word(w[0])) return owner_word(w[1]) ? NumberCue::kPhone : NumberCue::kIdentifier;
  for (size_t i = 0; i < w.size() && !w[i].empty(); ++i) {
    if (phone_word(w[i]) || (number_word(w[i]) && i + 1 < w.size() && owner_word(w[i + 1]))) return NumberCue::kPhone;
    if (!connector(w[i])) break;
  }
  return NumberCue::kNone;
}

// US Social Security number rules: no area 000, 666 or 900-999, no group 00, no serial 0000.
bool SsnValid(std::string_view d) {
  if (d.size() != 9) return false;
  const std::string_view area = d.substr(0, 3), group = d.substr(3, 2), serial = d.substr(5);
  return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000";
}

PiiKind ClassifyDigitRun(std::string_view t, size_t p, const DigitRun& run) {
  const std::string_view digits(run.compact.data(), static_cast<size_t>(std::min(run.digits, 24)));
  if (!run.international && !run.slash && (!run.dots || (run.only_dots_of_four && !run.other_seps)) &&
      run.digits >= 13 && run.digits <= 19 && run.compact[0] >= '2' && run.compact[0] <= '6' && LuhnValid(digits)) {
    return AfterIsbn(t, p) ? PiiKind::kNone : PiiKind::kCard;
  }
  if (run.international) return run.digits >= 8 && run.digits <= 15 ? PiiKind::kPhone : PiiKind::kNone;
  // "0044 20 7946 0958": 00 is the international call prefix.
  if (run.digits >= 10 && run.digits <= 17 && digits[0] == '0' && digits[1] == '0' && digits[2] != '0') {
    return PiiKind::kPhone;
  }
  if (run.digits < 9 || run.digits > 12) return PiiKind::kNone;
  // A hash or a word such as "order" before a number marks an identifier, not a phone.
  if (p > 0 && t[p - 1] == '#') return PiiKind::kNone;
  const NumberCue cue = CueBefore(t, p);
  if (cue == NumberCue::kIdentifier || AfterIsbn(t, p)) return PiiKind::kNone;
  if (run.digits == 9) {
    // US Social Security numbers: 3-2-4 with dashes, or nine digits after "SSN" or
    // "social security (number)". Nine digits after a phone word are a phone number
    // (Spain's and Portugal's have nine: "mi número es 612 345 678").
    if (!run.dots && !run.slash && !run.parens && SsnValid(digits) &&
        (cue == NumberCue::kSsn ||
         (run.groups == 3 && run.group_len[0] == 3 && run.group_len[1] == 2 && !run.space_after[0] &&
          !run.space_after[1]))) {
      return PiiKind::kNationalId;
    }
    return cue == NumberCue::kPhone && !run.dots ? PiiKind::kPhone : PiiKind::kNone;
  }
  const bool separated = run.groups >= 2 || run.parens;
  if (run.digits == 12) return run.parens && run.digits == 12 && digits[0] == '0' ? PiiKind::kPhone : PiiKind::kNone;
  // National forms: a trunk prefix 0, a bracketed area code, the North American 3-3-4 and
  // 1-3-3-4, and bare North American numbers.
  if (run.parens) return PiiKind::kPhone;
  if (digits[0] == '0' && (separated || run.digits >= 10)) return PiiKind::kPhone;
  if (run.digits == 10 && (separated ? run.groups == 3 && run.group_len[0] == 3 : NanpAt(run, 0))) {
    return PiiKind::kPhone;
  }
  if (run.digits == 11 && digits[0] == '1' && NanpAt(run, 1) &&
      (!separated || (run.groups == 4 && run.group_len[0] == 1 && run.group_len[1] == 3))) {
    return PiiKind::kPhone;  // 1-800-555-0199, 1 (800) 555-0199
  }
  return PiiKind::kNone;
}

// The run as a whole, or else its longest prefix that ends before a space and is a card
// or phone ("4111 1111 1111 1111 12/25"); *end is where the match ends.
PiiKind ClassifyRunOrPrefix(std::string_view t, size_t p, const DigitRun& run, size_t* end) {
  PiiKind kind = ClassifyDigitRun(t, p, run);
  *end = run.end;
  for (int g = run.groups - 1; kind == PiiKind::kNone && g >= 1; --g) {
    if (!run.space_after[g - 1] || run.group_digits[g - 1] < 10) continue;
    const DigitRun prefix = Prefix(run, g);
    kind = ClassifyDigitRun(t, p, prefix);
    *end = prefix.end;
  }
  return kind;
}

// On failure *scanned tells how far the candidate reached, so its tail is not retried
// as a shorter number ("DE89 3704 0044 ..." with a bad checksum is not a card).
size_t MatchIban(std::string_view t, size_t p, size_t* scanned) {
  *scanned = p;
  if (p + 4 > t.size() || !IsAlpha(t[p]) || !IsAlpha(t[p + 1]) || !IsDigit(t[p + 2]) || !IsDigit(t[p + 3])) return 0;
  char compact[34];
  size_t len = 0;
  // Candidate ends: after each group; the longest valid one wins.
  std::array<std::pair<size_t, size_t>, 40> ends;  // (byte end, compact length)
  size_t n_ends = 0;
  size_t j = p;
  while (j < t.size() && len < sizeof(compact)) {
    const size_t b = j;
    bool digit = false;
    while (j < t.size() && IsAlnum(t[j]) && len < sizeof(compact)) {
      digit = digit || IsDigit(t[j]);
      compact[len++] = Upper(t[j++]);
    }
    if (j == b) break;
    // Only groups with a digit are passed over on failure: "de12 is my code" must not
    // hide what follows it.
    if (digit) *scanned = j;
    if (j < t.size() && IsWordChar(t[j])) break;
    if (n_ends < ends.size()) ends[n_ends++] = {j, len};
    if (j + 1 < t.size() && t[j] == ' ' && IsAlnum(t[j + 1])) {
      ++j;
      continue;
    }
    break;
  }
  for (size_t k = n_ends; k-- > 0;) {
    const auto [end, clen] = ends[k];
    if (clen >= 15 && clen <= 34 && IbanValid(std::string_view(compact, clen))) return end;
  }
  return 0;
}

// ---------------------------------------------------------------------------------------
// Street addresses: a house number next to a street word ("221B Baker Street",
// "12 rue de la Paix", "Hauptstraße 5", "Calle Mayor 7").

// A word at t[b, e) (letters, non-ASCII letters, inner '-' and '.'); returns e.
size_t WordEnd(std::string_view t, size_t b) {
  size_t k = b;
  while (k < t.size()) {
    if (IsAlpha(t[k]) || ((t[k] == '-' || t[k] == '\'') && k > b && k + 1 < t.size() && IsAlpha(t[k + 1]))) {
      ++k;
    } else if (const size_t len = IsHigh(t[k]) ? NameCodePointAt(t, k) : 0; len > 0) {
      k += len;
    } else {
      break;
    }
  }
  return k;
}

bool IsCapitalised(std::string_view t, size_t b) { return IsUpper(t[b]) || (IsHigh(t[b]) && NameCodePointAt(t, b) > 0); }

// Street types written after the street's name (English).
bool IsStreetSuffix(std::string_view w) {
  char buf[12];
  if (w.size() > sizeof(buf)) return false;
  for (size_t k = 0; k < w.size(); ++k) buf[k] = Lower(w[k]);
  return IsOneOf(std::string_view(buf, w.size()),
                  {"street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "lane", "ln", "drive", "dr",
                   "court", "ct", "way", "place", "pl", "terrace", "parkway", "pkwy", "highway", "hwy", "square", "sq",
                   "circle", "cir", "crescent", "close", "row", "alley", "gardens", "grove", "mews"});
}

// Street types written before the street's name (French, Spanish, Portuguese, Italian).
bool IsStreetPrefix(std::string_view w) {
  char buf[12];
  if (w.size() < 2 || w.size() > sizeof(buf)) return false;
  // Most words after a number ("2 days", "5 stars") start with another letter.
  const char first = Lower(w[0]);
  if (first != 'r' && first != 'a' && first != 'b' && first != 'c' && first != 'i' && first != 'q' && first != 'v' &&
      first != 'p') {
    return false;
  }
  for (size_t k = 0; k < w.size(); ++k) buf[k] = Lower(w[k]);
  return IsOneOf(std::string_view(buf, w.size()),
                  {"rue", "avenue", "boulevard", "bd", "chemin", "impasse", "quai", "route", "calle", "avenida",
                   "avda", "rua", "travessa", "via", "viale", "piazza", "carrer", "paseo", "camino", "rambla"});
}

// German street names end in their type: "Hauptstraße", "Lindenweg", "Marktplatz".
bool HasGermanStreetEnding(std::string_view w) {
  for (std::string_view s : {"stra\xC3\x9F" "e", "strasse", "str", "weg", "gasse", "allee", "platz", "chaussee"}) {
    if (w.size() > s.size() + 1 && EqualsCaseless(w.substr(w.size() - s.size()), s)) return true;
  }
  return false;
}

// End of an address whose house number is the digit run [p, num_end), or 0.
size_t MatchAddressAfterNumber(std::string_view t, size_t num_end) {
  size_t k = num_end;
  if (k < t.size() && IsAlpha(t[k]) && (k + 1 >= t.size() || !IsAlpha(t[k + 1]))) ++k;  // 221B
  if (k < t.size() && t[k] == ',') ++k;
  if (k >= t.size() || t[k] != ' ') return 0;
  ++k;
  size_t end = 0;
  for (int w = 0; w < 5 && k < t.size(); ++w) {
    const size_t e = WordEnd(t, k);
    if (e == k) break;
    const std::string_view word = t.substr(k, e - k);
    // Most numbers are followed by a lower-case word ("2 days"): neither form fits.
    if (w == 0 && !IsCapitalised(t, k) && (word.size() < 3 || word.size() > 9)) break;
    if (w == 0 && IsStreetPrefix(word) && !EqualsCaseless(word, "via") && !EqualsCaseless(word, "route")) {
      // "12 rue de la Paix": capitalised words and particles follow, the last capitalised.
      size_t q = e;
      size_t last = 0;
      for (int x = 0; x < 5 && q + 1 < t.size() && t[q] == ' '; ++x) {
        const size_t wb = q + 1;
        const size_t we = WordEnd(t, wb);
        if (we == wb) break;
        const bool particle = IsOneOf(t.substr(wb, we - wb), {"de", "la", "du", "des", "del", "da", "do", "dos", "das",
                                                                "di", "le", "les", "el", "los", "las"});
        if (!particle && !IsCapitalised(t, wb)) break;
        if (!particle) last = we;
        q = we;
      }
      return last;
    }
    if (!IsCapitalised(t, k)) break;
    if (w > 0 && IsStreetSuffix(word)) {
      end = e;
      if (end < t.size() && t[end] == '.') ++end;
      // A compass point after it: "1600 Pennsylvania Avenue NW".
      if (end + 1 < t.size() && t[end] == ' ') {
        size_t d = end + 1;
        while (d < t.size() && d - end <= 2 && (t[d] == 'N' || t[d] == 'S' || t[d] == 'E' || t[d] == 'W')) ++d;
        if (d > end + 1 && (d >= t.size() || !IsWordChar(t[d]))) end = d;
      }
      break;
    }
    if (e >= t.size() || t[e] != ' ') break;
    k = e + 1;
  }
  return end;
}

// Start of an address whose house number starts at p, written after the street
// ("Hauptstraße 5", "Calle Mayor 7"), or p when there is none.
size_t MatchAddressBeforeNumber(std::string_view t, size_t p) {
  size_t k = p;
  if (k == 0 || t[k - 1] != ' ') return p;
  --k;
  if (k > 0 && t[k - 1] == ',') --k;
  if (k > 0 && t[k - 1] == '.') --k;  // "Hauptstr. 5"
  for (int w = 0; w < 5 && k > 0; ++w) {
    size_t b = k;
    while (b > 0) {
      if (IsAlpha(t[b - 1]) || t[b - 1] == '-') {
        --b;
      } else if (IsHigh(t[b - 1])) {
        const size_t s = NameCodePointBefore(t, b, 0);
        if (s == b) break;
        b = s;
      } else {
        break;
      }
    }
    if (b == k) return p;
    const std::string_view word = t.substr(b, k - b);
    // Between the street type and the number: the street's name ("Calle Mayor",
    // "Avenida da Liberdade"), not a phrase ("Avenue north of 96th", "in 2 days").
    if (!IsCapitalised(t, b)) {
      if (word.size() > 3 || !IsOneOf(word, {"de", "la", "du", "des", "del", "da", "do", "dos", "das", "di"})) return p;
    } else if ((w == 0 && HasGermanStreetEnding(word)) || IsStreetPrefix(word)) {
      return b;
    }
    if (b == 0 || t[b - 1] != ' ') return p;
    k = b - 1;
  }
  return p;
}

// ---------------------------------------------------------------------------------------
// Person names after reliable cues.

// End of a run of one to three capitalised words starting at k (or k).
size_t CapitalisedWords(std::string_view t, size_t k, int max_words) {
  size_t end = k;
  for (int w = 0; w < max_words && k < t.size(); ++w) {
    if (!IsCapitalised(t, k)) break;
    size_t e = WordEnd(t, k);
    if (e == k) break;
    if (e < t.size() && t[e] == '.' && e - k == 1) ++e;  // an initial: "J. Smith"
    end = e;
    if (e + 1 >= t.size() || t[e] != ' ') break;
    k = e + 1;
  }
  return end;
}

bool IsNameWordStopper(char c) { return c == '.' || c == ',' || c == ';' || c == '!' || c == '?' || c == '\n' || c == ')'; }

// The span of a name after a cue that ends at k ("my name is |Ann Lee"), or {k, k}.
Span NameAfter(std::string_view t, size_t k, bool lowercase_ok) {
  if (k < t.size() && (t[k] == '"' || t[k] == '\'')) ++k;
  const size_t e = CapitalisedWords(t, k, 3);
  if (e > k) return Span{k, e};
  if (!lowercase_ok) return Span{k, k};
  // "my name is jane doe.": lower-case words only when the sentence ends after them.
  size_t q = k;
  for (int w = 0; w < 2; ++w) {
    const size_t we = WordEnd(t, q);
    if (we == q) return Span{k, k};
    // "my name is misspelled.": a past participle or gerund is no name.
    const std::string_view word = t.substr(q, we - q);
    if (word.ends_with("ed") || word.ends_with("ing")) return Span{k, k};
    if (we >= t.size() || IsNameWordStopper(t[we])) return Span{k, we};
    if (t[we] != ' ') return Span{k, k};
    q = we + 1;
  }
  return Span{k, k};
}

// Cues a name follows directly, lowercased, each ending where the name begins.
constexpr std::array<std::string_view, 16> kNameCues = {
    "my name is ",   "my name's ",      "name: ",        "name : ",      "name is ",         "name = ",
    "mein name ist ", "ich hei\xC3\x9F" "e ", "ich heisse ", "je m'appelle ", "mon nom est ",     "me llamo ",
    "mi nombre es ", "meu nome \xC3\xA9 ", "o meu nome \xC3\xA9 ", "name - "};

// Sign-offs a name follows at the end of a message ("Regards,\nJohn Smith").
constexpr std::array<std::string_view, 24> kSignOffs = {
    "regards", "thanks", "thank you", "thx", "cheers", "best", "sincerely", "yours", "br", "kr", "greetings",
    "best wishes", "cordialement", "merci", "gr\xC3\xBC\xC3\x9F" "e", "gruss", "mfg", "saludos", "gracias",
    "obrigado", "obrigada", "atenciosamente", "danke", "ciao"};

// Whether the text ends with a capitalised word (before trailing spaces, '.' and '!'):
// only then can it end with a signed name.
bool EndsCapitalised(std::string_view t) {
  size_t e = t.size();
  while (e > 0 && (t[e - 1] == ' ' || t[e - 1] == '\n' || t[e - 1] == '\r' || t[e - 1] == '.')) --e;
  size_t s = e;
  while (s > 0 && (IsAlpha(t[s - 1]) || IsHigh(t[s - 1]))) --s;
  return s < e && IsCapitalised(t, s);
}

// Finds names after "my name is", "this is X from", "I'm X from" (at the cue positions
// ScanTextBytes flagged) and, when `sign_off`, in a sign-off at the end; writes their
// spans to spans[0..return).
size_t FindNames(std::string_view t, const TextBytes& seen, bool sign_off, std::array<Span, 8>* spans) {
  size_t count = 0;
  auto add = [&](Span s) {
    if (s.end > s.begin && count < spans->size()) (*spans)[count++] = s;
  };
  size_t done = 0;  // cues inside a name already found are not looked at again
  const auto starts_word_at = [&](size_t b, std::string_view cue) {
    return b + cue.size() <= t.size() && (b == 0 || !IsAlpha(t[b - 1])) && EqualsCaseless(t.substr(b, cue.size()), cue);
  };
  for (size_t x = 0; x < seen.name_cue_count; ++x) {
    const size_t k = seen.name_cues[x];
    if (k < done) continue;
    if (Lower(t[k]) == 'n') {
      // "nam"/"nom" inside one of kNameCues.
      for (std::string_view cue : kNameCues) {
        size_t off = cue.find("nam");
        if (off == std::string_view::npos) off = cue.find("nom");
        if (off == std::string_view::npos || off > k || !starts_word_at(k - off, cue)) continue;
        const size_t b = k - off;
        const bool strong = cue[0] != 'n';
        // "name: X" is a label at a line's start, or someone's: "your name is", "full name:".
        if (!strong && b > 0 && t[b - 1] != '\n') {
          char buf[16];
          const std::string_view owner = PreviousWord(t, b, buf);
          if (!IsOneOf(owner, {"my", "his", "her", "your", "our", "their", "full", "first", "last", "real", "sur",
                                "family", "given", "customer", "user"})) {
            break;
          }
        }
        const Span s = NameAfter(t, b + cue.size(), strong);
        add(s);
        done = s.end;
        break;
      }
      continue;
    }
    // A capital after "this is ", "I'm ", "I am ": a name only when "from" follows.
    bool cued = false;
    for (std::string_view cue : {std::string_view("this is "), std::string_view("i'm "), std::string_view("i am "),
                                 std::string_view("i\xE2\x80\x99m ")}) {
      if (k >= cue.size() && starts_word_at(k - cue.size(), cue)) cued = true;
    }
    if (!cued) continue;
    const size_t e = CapitalisedWords(t, k, 3);
    if (e > k && e + 6 <= t.size() && (EqualsCaseless(t.substr(e, 6), " from ") || EqualsCaseless(t.substr(e, 5), " here"))) {
      add(Span{k, e});
      done = e;
    }
  }
  // A sign-off: one to three capitalised words end the text, after a sign-off word and a
  // comma or line break ("Regards,\nJohn Smith"), or after a dash ("-- Sam").
  if (!sign_off) return count;
  const auto name_byte = [&](size_t k) {
    const char c = t[k];
    return IsAlpha(c) || c == '-' || c == '\'' || c == '.' || IsHigh(c);
  };
  size_t e = t.size();
  while (e > 0 && (t[e - 1] == ' ' || t[e - 1] == '\n' || t[e - 1] == '\r' || t[e - 1] == '.')) --e;
  // Nobody signs with an exclamation: "Thank you, DuckDuckGo!" thanks a product.
  if (e > 0 && t[e - 1] == '!') return count;
  std::array<size_t, 3> starts{};
  size_t n_starts = 0;
  for (size_t k = e; n_starts < starts.size();) {
    size_t s = k;
    while (s > 0 && name_byte(s - 1)) --s;
    if (s == k || !IsCapitalised(t, s)) break;
    starts[n_starts++] = s;
    if (s < 2 || t[s - 1] != ' ') break;
    k = s - 1;
  }
  for (size_t x = n_starts; x-- > 0 && count < spans->size();) {
    size_t k = starts[x];
    while (k > 0 && (t[k - 1] == ' ' || t[k - 1] == '\r')) --k;
    // A dash signs only at a line's start ("\n- Sam") or doubled ("-- Sam"); " - " is a pause.
    if (k > 0 && t[k - 1] == '-' && (k == 1 || t[k - 2] == '-' || t[k - 2] == '\n')) {
      add(Span{starts[x], e});  // "-- Sam", "- Sam Lee"
      break;
    }
    bool separated = false;
    while (k > 0 && (t[k - 1] == ',' || t[k - 1] == '\n' || t[k - 1] == '\r' || t[k - 1] == ' ')) {
      separated = separated || t[k - 1] == ',' || t[k - 1] == '\n';
      --k;
    }
    bool signed_off = false;
    bool firm = false;  // "regards", "sincerely": a name follows even without a comma
    for (std::string_view w : kSignOffs) {
      if (k >= w.size() && EqualsCaseless(t.substr(k - w.size(), w.size()), w) &&
          (k == w.size() || !IsAlpha(t[k - w.size() - 1]))) {
        signed_off = true;
        firm = w == "regards" || w == "sincerely";
        break;
      }
    }
    // "the best Samsung" is no sign-off: a comma or a line break must set the name apart.
    if (signed_off && (separated || firm)) {
      add(Span{starts[x], e});
      break;
    }
  }
  // In text order, without overlaps.
  for (size_t x = 1; x < count; ++x) {
    for (size_t y = x; y > 0 && (*spans)[y].begin < (*spans)[y - 1].begin; --y) std::swap((*spans)[y], (*spans)[y - 1]);
  }
  return count;
}

const char* Placeholder(PiiKind kind) {
  switch (kind) {
    case PiiKind::kEmail: return "[EMAIL]";
    case PiiKind::kPhone: return "[PHONE]";
    case PiiKind::kCard: return "[CARD]";
    case PiiKind::kIban: return "[IBAN]";
    case PiiKind::kIp: return "[IP]";
    case PiiKind::kName: return "[NAME]";
    case PiiKind::kAddress: return "[ADDRESS]";
    case PiiKind::kNationalId: return "[NATIONAL_ID]";
    case PiiKind::kNone: break;
  }
  return "";
}

void Count(PiiKind kind, PiiCounts* counts) {
  switch (kind) {
    case PiiKind::kEmail: ++counts->email; break;
    case PiiKind::kPhone: ++counts->phone; break;
    case PiiKind::kCard: ++counts->card; break;
    case PiiKind::kIban: ++counts->iban; break;
    case PiiKind::kIp: ++counts->ip; break;
    case PiiKind::kName: ++counts->name; break;
    case PiiKind::kAddress: ++counts->address; break;
    case PiiKind::kNationalId: ++counts->national_id; break;
    case PiiKind::kNone: break;
  }
}

}  // namespace

bool LuhnValid(std::string_view digits) {
  int sum = 0;
  bool dbl = false;
  for (size_t i = digits.size(); i-- > 0;) {
    if (!IsDigit(digits[i])) return false;
    int d = digits[i] - '0';
    if (dbl) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    dbl = !dbl;
  }
  return !digits.empty() && sum % 10 == 0;
}

bool IbanValid(std::string_view iban) {
  if (iban.size() < 15 || iban.size() > 34) return false;
  // ISO 13616: move the first four characters to the end, letters to 10..35, mod 97 == 1.
  int rem = 0;
  for (size_t k = 0; k < iban.size(); ++k) {
    const char c = iban[(k + 4) % iban.size()];
    if (IsDigit(c)) {
      rem = (rem * 10 + (c - '0')) % 97;
    } else if (IsUpper(c)) {
      rem = (rem * 100 + (c - 'A' + 10)) % 97;
    } else {
      return false;
    }
  }
  return rem == 1;
}

namespace {

template <bool kNames>
void Redact(std::string_view text, std::string* out, PiiCounts* counts) {
  out->clear();
  const TextBytes seen = ScanTextBytes<kNames>(text);
  // Every kind of PII needs an '@', a digit or a name cue: most feedback has none.
  const bool cue = seen.name_cue_count > 0;
  const bool sign_off = kNames && EndsCapitalised(text);
  if (!seen.at && !seen.digit && !cue && !sign_off) {
    out->append(text);
    return;
  }
  std::array<Span, 8> names;
  const size_t name_count = cue || sign_off ? FindNames(text, seen, sign_off, &names) : 0;
  size_t next_name = 0;
  const size_t n = text.size();
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const auto next_candidate = seen.colon ? NextCandidate<true> : NextCandidate<false>;
  size_t copied = 0;
  size_t p = 0;
  Span email = seen.at ? NextEmail(text, 0, 0) : Span{std::string_view::npos, std::string_view::npos};
  auto emit = [&](size_t begin, size_t end, PiiKind kind) {
    out->append(text.substr(copied, begin - copied));
    out->append(Placeholder(kind));
    Count(kind, counts);
    copied = end;
  };
  while (p < n) {
    // Earliest of: the next e-mail, the next name, the next other candidate.
    while (next_name < name_count && names[next_name].begin < copied) ++next_name;
    const size_t name_begin = next_name < name_count ? names[next_name].begin : std::string_view::npos;
    if (email.begin != std::string_view::npos && email.begin < copied) email = NextEmail(text, copied, copied);
    size_t q = seen.digit || seen.colon ? next_candidate(bytes, p, n) : n;
    if (q < n && q > 0 && IsDigit(text[q]) && kWordByte[bytes[q - 1]]) {
      // Digits glued to a word: an IBAN when two letters start the word ("DE89 3704 ...").
      if (q >= 2 && IsAlpha(text[q - 1]) && IsAlpha(text[q - 2]) && (q == 2 || !kWordByte[bytes[q - 3]]) &&
          q + 1 < n && IsDigit(text[q + 1]) && q - 2 >= p) {
        q -= 2;
      } else if (email.begin > q && name_begin > q) {
        p = q + 1;
        continue;
      }
    }
    const size_t first = std::min({q, email.begin, name_begin});
    if (first >= n) break;
    if (first == email.begin) {
      emit(email.begin, email.end, PiiKind::kEmail);
      p = email.end;
      email = NextEmail(text, p, p);
      continue;
    }
    if (first == name_begin) {
      emit(names[next_name].begin, names[next_name].end, PiiKind::kName);
      p = names[next_name].end;
      ++next_name;
      continue;
    }
    p = q;
    const char c = text[p];
    PiiKind kind = PiiKind::kNone;
    size_t begin = p;
    size_t end = 0;
    size_t skip_to = p + 1;  // where to resume when nothing matched here
    size_t scanned = p;
    if (IsAlpha(c) && (end = MatchIban(text, p, &scanned)) != 0) {
      kind = PiiKind::kIban;
    } else if (IsDigit(c) && (p == 0 || text[p - 1] != '.') && (end = MatchIpv4(text, p)) != 0) {
      kind = PiiKind::kIp;
    } else if ((IsHex(c) || c == ':') && (end = MatchIpv6(text, p)) != 0) {
      kind = PiiKind::kIp;
    } else if (IsDigit(c) || c == '+' || c == '(') {
      DigitRun run;
      const bool whole = ScanDigitRun(text, p, &run);
      if (whole) {
        kind = ClassifyRunOrPrefix(text, p, run, &end);
        // "(4155550132)": brackets around the whole number are the sentence's.
        if (kind != PiiKind::kNone && c == '(' && run.groups == 1 && text[end - 1] == ')') {
          begin = p + 1;
          --end;
        }
      }
      if (kind == PiiKind::kNone && IsDigit(c) && run.groups == 1 && run.digits <= 5 && c != '0') {
        {
          // A house number: "221B Baker Street", "Hauptstraße 5".
          if (const size_t a = MatchAddressAfterNumber(text, run.end); a != 0) {
            kind = PiiKind::kAddress;
            end = a;
          } else if (const size_t s = MatchAddressBeforeNumber(text, p);
                     s < p && s >= copied && !(run.end + 1 < n && IsAlpha(text[run.end]) && IsAlpha(text[run.end + 1]))) {
            kind = PiiKind::kAddress;
            begin = s;
            end = run.end;
            if (end < n && IsAlpha(text[end]) && (end + 1 >= n || !IsAlpha(text[end + 1]))) ++end;  // 12a
          }
        }
      }
      // A number that is not PII as a whole is not PII in parts either.
      if (kind == PiiKind::kNone && run.end > skip_to) skip_to = run.end;
    }
    if (kind == PiiKind::kNone && scanned > skip_to) skip_to = scanned;
    if (kind == PiiKind::kNone) {
      p = skip_to;
      continue;
    }
    // An e-mail or name that starts inside this match wins: it was found from firmer cues.
    if (email.begin < end || name_begin < end) {
      p = std::min(email.begin, name_begin);
      continue;
    }
    emit(begin, end, kind);
    p = end;
  }
  out->append(text.substr(copied));
}

}  // namespace

void RedactPii(std::string_view text, std::string* out, PiiCounts* counts) { Redact<true>(text, out, counts); }

void RedactPiiExceptNames(std::string_view text, std::string* out, PiiCounts* counts) {
  Redact<false>(text, out, counts);
}

bool RedactNames(std::string_view text, std::string* out, PiiCounts* counts, bool look_for_cues) {
  const TextBytes seen = look_for_cues ? ScanTextBytes<true>(text) : TextBytes{};
  const bool sign_off = EndsCapitalised(text);
  if (seen.name_cue_count == 0 && !sign_off) return false;
  std::array<Span, 8> names;
  const size_t count = FindNames(text, seen, sign_off, &names);
  if (count == 0) return false;
  out->clear();
  size_t copied = 0;
  for (size_t k = 0; k < count; ++k) {
    if (names[k].begin < copied) continue;
    out->append(text.substr(copied, names[k].begin - copied));
    out->append(Placeholder(PiiKind::kName));
    ++counts->name;
    copied = names[k].end;
  }
  out->append(text.substr(copied));
  return true;
}

}  // namespace voc::text
