#include "common/text/pii.h"

#include <array>
#include <cstring>

#include "common/text/simd.h"

namespace voc::text {
namespace {

enum class PiiKind { kNone, kEmail, kPhone, kCard, kIban, kIp };

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || IsUpper(c); }
constexpr bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
constexpr bool IsWordChar(char c) { return IsAlnum(c) || c == '_'; }
bool IsLocalChar(char c) {
  return IsAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

char Lower(char c) { return IsUpper(c) ? static_cast<char>(c + 32) : c; }

// IsWordChar, and the bytes a PII candidate can start with, as tables for the scan loop.
constexpr std::array<bool, 256> kWordByte = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<size_t>(c)] = IsWordChar(static_cast<char>(c));
  return t;
}();

// Which bytes can start a match depends on what the text holds: without an '@' no
// e-mail, and without a ':' no IPv6 (its hex letters then start nothing).
enum class Candidates {
  kAll,          // alphanumerics and + ( : . _ %
  kNoAt,         // digit runs, IBANs (capital first), IPv4, and IPv6 from a hex digit or ':'
  kNoAtNoColon,  // digit runs, IBANs and IPv4
};

constexpr bool IsCandidateStart(Candidates set, char c) {
  switch (set) {
    case Candidates::kAll: return IsAlnum(c) || c == '+' || c == '(' || c == ':' || c == '.' || c == '_' || c == '%';
    case Candidates::kNoAt: return IsDigit(c) || IsUpper(c) || c == '+' || c == '(' || c == ':' || (c >= 'a' && c <= 'f');
    case Candidates::kNoAtNoColon: return IsDigit(c) || IsUpper(c) || c == '+' || c == '(';
  }
  return false;
}

template <Candidates kSet>
constexpr std::array<bool, 256> kCandidateByte = [] {
  std::array<bool, 256> t{};
  for (int c = 0; c < 256; ++c) t[static_cast<size_t>(c)] = IsCandidateStart(kSet, static_cast<char>(c));
  return t;
}();

#ifdef __SSE2__
// 0xFF in each byte of v that IsWordChar.
inline __m128i WordBytes(__m128i v) {
  return _mm_or_si128(_mm_or_si128(ByteInRange(v, '0', '9'), ByteInRange(v, 'A', 'Z')),
                      _mm_or_si128(ByteInRange(v, 'a', 'z'), ByteIs(v, '_')));
}

// 0xFF in each byte of v that IsCandidateStart(kSet, .).
template <Candidates kSet>
inline __m128i CandidateBytes(__m128i v) {
  const __m128i common = _mm_or_si128(_mm_or_si128(ByteInRange(v, '0', '9'), ByteInRange(v, 'A', 'Z')),
                                      _mm_or_si128(ByteIs(v, '+'), ByteIs(v, '(')));
  if constexpr (kSet == Candidates::kNoAtNoColon) return common;
  const __m128i colon = _mm_or_si128(common, ByteIs(v, ':'));
  if constexpr (kSet == Candidates::kNoAt) return _mm_or_si128(colon, ByteInRange(v, 'a', 'f'));
  return _mm_or_si128(_mm_or_si128(colon, ByteInRange(v, 'a', 'z')),
                      _mm_or_si128(_mm_or_si128(ByteIs(v, '.'), ByteIs(v, '_')), ByteIs(v, '%')));
}
#endif

// The first position from p on where a match may start (a candidate byte not preceded by
// a word byte), or n. Most bytes start nothing: they are passed over sixteen at a time.
template <Candidates kSet>
size_t NextCandidate(const unsigned char* in, size_t p, size_t n) {
#ifdef __SSE2__
  if (p > 0) {
    for (; p + 16 <= n; p += 16) {
      const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + p));
      const __m128i before = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + p - 1));
      const auto starts =
          static_cast<unsigned>(_mm_movemask_epi8(_mm_andnot_si128(WordBytes(before), CandidateBytes<kSet>(v))));
      if (starts != 0) return p + static_cast<size_t>(__builtin_ctz(starts));
    }
  }
#endif
  for (; p < n; ++p) {
    if (kCandidateByte<kSet>[in[p]] && (p == 0 || !kWordByte[in[p - 1]])) return p;
  }
  return n;
}

struct TextBytes {
  bool at = false;
  bool digit = false;
  bool colon = false;
};

TextBytes ScanTextBytes(std::string_view text) {
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  unsigned at = 0;
  unsigned digit = 0;
  unsigned colon = 0;
  size_t i = 0;
#ifdef __SSE2__
  __m128i at_v = _mm_setzero_si128();
  __m128i digit_v = _mm_setzero_si128();
  __m128i colon_v = _mm_setzero_si128();
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(in + i));
    at_v = _mm_or_si128(at_v, ByteIs(v, '@'));
    digit_v = _mm_or_si128(digit_v, ByteInRange(v, '0', '9'));
    colon_v = _mm_or_si128(colon_v, ByteIs(v, ':'));
  }
  at = static_cast<unsigned>(_mm_movemask_epi8(at_v));
  digit = static_cast<unsigned>(_mm_movemask_epi8(digit_v));
  colon = static_cast<unsigned>(_mm_movemask_epi8(colon_v));
#endif
  for (; i < n; ++i) {
    at |= in[i] == '@';
    digit |= IsDigit(static_cast<char>(in[i]));
    colon |= in[i] == ':';
  }
  return TextBytes{at != 0, digit != 0, colon != 0};
}

// The word before position p (letters only, lowercased into buf), for context rules
// such as "version 3.2.1.4" or "order #1234567890".
std::string_view PreviousWord(std::string_view text, size_t p, char (&buf)[16]) {
  size_t e = p;
  while (e > 0 && (text[e - 1] == ' ' || text[e - 1] == '#' || text[e - 1] == ':')) --e;
  size_t b = e;
  while (b > 0 && IsAlpha(text[b - 1]) && e - b < sizeof(buf)) --b;
  if (b > 0 && IsAlpha(text[b - 1])) return {};
  for (size_t k = b; k < e; ++k) buf[k - b] = Lower(text[k]);
  return std::string_view(buf, e - b);
}

bool Contains(std::string_view word, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    if (w == word) return true;
  }
  return false;
}

// local@domain.tld; p is at a local-part boundary.
size_t MatchEmail(std::string_view t, size_t p) {
  size_t j = p;
  while (j < t.size() && IsLocalChar(t[j])) ++j;
  if (j == p || j >= t.size() || t[j] != '@' || t[p] == '.' || t[j - 1] == '.') return 0;
  size_t k = j + 1;
  size_t labels = 0;
  size_t last_label_begin = k;
  bool last_label_alpha = true;
  size_t end = 0;
  while (k < t.size()) {
    const size_t label_begin = k;
    bool alpha = true;
    while (k < t.size() && (IsAlnum(t[k]) || t[k] == '-')) {
      alpha = alpha && IsAlpha(t[k]);
      ++k;
    }
    if (k == label_begin) break;
    ++labels;
    last_label_begin = label_begin;
    last_label_alpha = alpha;
    end = k;
    if (k + 1 < t.size() && t[k] == '.' && IsAlnum(t[k + 1])) {
      ++k;
      continue;
    }
    break;
  }
  if (labels < 2 || !last_label_alpha || end - last_label_begin < 2) return 0;
  return end;
}

size_t MatchIpv4(std::string_view t, size_t p) {
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
  // Version strings ("3.2.1.4", "version 10.2.0.1") look like addresses.
  if (max_octet_len == 1) return 0;
  char buf[16];
  const std::string_view prev = PreviousWord(t, p, buf);
  if (Contains(prev, {"version", "ver", "v", "build", "release", "firmware", "ios", "android", "update", "updated",
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

// A run of digit groups joined by single separators: candidate card or phone.
struct DigitRun {
  size_t end = 0;
  int digits = 0;
  int groups = 0;
  bool international = false;
  bool parens = false;
  bool dots = false;
  bool other_seps = false;  // space or dash
  int first_group_len = 0;
  char first_digit = 0;
  std::array<char, 24> compact{};  // the digits, when at most 24
};

bool ScanDigitRun(std::string_view t, size_t p, DigitRun* run) {
  size_t j = p;
  if (t[j] == '+') {
    run->international = true;
    ++j;
    if (j >= t.size() || !IsDigit(t[j])) return false;
  }
  while (j < t.size()) {
    bool open = false;
    if (t[j] == '(') {
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
    if (j == b) return false;
    if (run->groups == 0) {
      run->first_group_len = static_cast<int>(j - b);
      run->first_digit = t[b];
    }
    ++run->groups;
    if (open) {
      if (j >= t.size() || t[j] != ')') return false;
      ++j;
    }
    run->end = j;
    if (run->digits > 24) return false;
    // One separator (or ") " after a group) and then another group continues the run.
    if (j < t.size() && (t[j] == ' ' || t[j] == '-' || t[j] == '.')) {
      const char sep = t[j];
      if (j + 1 < t.size() && (IsDigit(t[j + 1]) || t[j + 1] == '(')) {
        (sep == '.' ? run->dots : run->other_seps) = true;
        ++j;
        continue;
      }
    } else if (j < t.size() && t[j] == '(') {
      continue;
    }
    break;
  }
  const size_t e = run->end;
  return !(e < t.size() && (IsWordChar(t[e]) || t[e] == '@'));
}

PiiKind ClassifyDigitRun(std::string_view t, size_t p, const DigitRun& run) {
  if (!run.international && !run.parens && !run.dots && run.digits >= 13 && run.digits <= 19 &&
      run.first_digit >= '2' && run.first_digit <= '6' &&
      LuhnValid(std::string_view(run.compact.data(), static_cast<size_t>(run.digits)))) {
    return PiiKind::kCard;
  }
  if (run.international) return run.digits >= 8 && run.digits <= 15 ? PiiKind::kPhone : PiiKind::kNone;
  if (run.digits < 10 || run.digits > 11) return PiiKind::kNone;
  // A hash or a word such as "order" before a number marks an identifier, not a phone.
  if (p > 0 && t[p - 1] == '#') return PiiKind::kNone;
  char buf[16];
  const std::string_view prev = PreviousWord(t, p, buf);
  if (Contains(prev, {"order", "ticket", "invoice", "tracking", "case", "ref", "reference", "id", "sku", "item",
                      "serial", "account", "transaction", "confirmation", "booking", "no", "nr"})) {
    return PiiKind::kNone;
  }
  const bool separated = run.groups >= 2 || run.parens;
  // National forms: a trunk prefix 0, a bracketed area code, or the North American 3-3-4.
  if (run.parens) return PiiKind::kPhone;
  if (run.first_digit == '0' && (separated || run.digits >= 10)) return PiiKind::kPhone;
  if (separated && run.digits == 10 && run.first_group_len == 3 && run.groups == 3) return PiiKind::kPhone;
  return PiiKind::kNone;
}

// On failure *scanned tells how far the candidate reached, so its tail is not retried
// as a shorter number ("DE89 3704 0044 ..." with a bad checksum is not a card).
size_t MatchIban(std::string_view t, size_t p, size_t* scanned) {
  *scanned = p;
  if (p + 4 > t.size() || !IsUpper(t[p]) || !IsUpper(t[p + 1]) || !IsDigit(t[p + 2]) || !IsDigit(t[p + 3])) return 0;
  char compact[34];
  size_t len = 0;
  // Candidate ends: after each run of characters; the longest valid one wins.
  std::array<std::pair<size_t, size_t>, 40> ends;  // (byte end, compact length)
  size_t n_ends = 0;
  size_t j = p;
  while (j < t.size() && len < sizeof(compact)) {
    const size_t b = j;
    while (j < t.size() && (IsUpper(t[j]) || IsDigit(t[j])) && len < sizeof(compact)) compact[len++] = t[j++];
    if (j == b) break;
    *scanned = j;
    if (j < t.size() && IsWordChar(t[j])) break;  // glued to a lowercase word: not an IBAN
    if (n_ends < ends.size()) ends[n_ends++] = {j, len};
    if (j + 1 < t.size() && t[j] == ' ' && (IsUpper(t[j + 1]) || IsDigit(t[j + 1]))) {
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

const char* Placeholder(PiiKind kind) {
  switch (kind) {
    case PiiKind::kEmail: return "[EMAIL]";
    case PiiKind::kPhone: return "[PHONE]";
    case PiiKind::kCard: return "[CARD]";
    case PiiKind::kIban: return "[IBAN]";
    case PiiKind::kIp: return "[IP]";
    case PiiKind::kNone: break;
  }
  return "";
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

void RedactPii(std::string_view text, std::string* out, PiiCounts* counts) {
  out->clear();
  const TextBytes seen = ScanTextBytes(text);
  const bool has_at = seen.at;
  const bool has_digit = seen.digit;
  // Every kind of PII needs an '@' or a digit: most feedback has neither.
  if (!has_at && !has_digit) {
    out->append(text);
    return;
  }
  // Where a match can start, given what the text holds, so most words are passed over.
  const auto next_candidate = has_at       ? NextCandidate<Candidates::kAll>
                              : seen.colon ? NextCandidate<Candidates::kNoAt>
                                           : NextCandidate<Candidates::kNoAtNoColon>;
  size_t copied = 0;
  size_t p = 0;
  const size_t n = text.size();
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  while ((p = next_candidate(bytes, p, n)) < n) {
    const char c = text[p];
    PiiKind kind = PiiKind::kNone;
    size_t end = 0;
    size_t skip_to = p + 1;  // where to resume when nothing matched here
    if (has_at && IsLocalChar(c) && (p == 0 || !IsLocalChar(text[p - 1])) && (end = MatchEmail(text, p)) != 0) {
      kind = PiiKind::kEmail;
    } else if (has_digit) {
      size_t scanned = p;
      if (IsUpper(c) && (end = MatchIban(text, p, &scanned)) != 0) {
        kind = PiiKind::kIban;
      } else if (IsDigit(c) && (p == 0 || text[p - 1] != '.') && (end = MatchIpv4(text, p)) != 0) {
        kind = PiiKind::kIp;
      } else if ((IsHex(c) || c == ':') && (end = MatchIpv6(text, p)) != 0) {
        kind = PiiKind::kIp;
      } else if (IsDigit(c) || c == '+' || c == '(') {
        DigitRun run;
        if (ScanDigitRun(text, p, &run)) {
          kind = ClassifyDigitRun(text, p, run);
          end = run.end;
        }
        // A number that is not PII as a whole is not PII in parts either.
        if (kind == PiiKind::kNone && run.end > skip_to) skip_to = run.end;
      }
      if (kind == PiiKind::kNone && scanned > skip_to) skip_to = scanned;
    }
    if (kind == PiiKind::kNone) {
      p = skip_to;
      continue;
    }
    out->append(text.substr(copied, p - copied));
    out->append(Placeholder(kind));
    switch (kind) {
      case PiiKind::kEmail: ++counts->email; break;
      case PiiKind::kPhone: ++counts->phone; break;
      case PiiKind::kCard: ++counts->card; break;
      case PiiKind::kIban: ++counts->iban; break;
      case PiiKind::kIp: ++counts->ip; break;
      case PiiKind::kNone: break;
    }
    copied = end;
    p = end;
  }
  out->append(text.substr(copied));
}

}  // namespace voc::text
