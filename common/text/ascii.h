// ASCII character classes, byte by byte, as Hyperscan's \w, \s and \b see them (bytes of
// 0x80 and above are none of these): the text modules check matches and patterns with
// them in code.
#pragma once

namespace voc::text {

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }
constexpr bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
constexpr bool IsLowerAscii(char c) { return c >= 'a' && c <= 'z'; }
constexpr bool IsAlpha(char c) { return IsLowerAscii(c) || IsUpper(c); }
constexpr bool IsAlnum(char c) { return IsDigit(c) || IsAlpha(c); }
// \w: what \b looks at.
constexpr bool IsWordChar(char c) { return IsAlnum(c) || c == '_'; }
// \s: ' ', \t, \n, \v, \f, \r.
constexpr bool IsSpace(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }
// Lowercase as HS_FLAG_CASELESS compares.
constexpr char Lower(char c) { return IsUpper(c) ? static_cast<char>(c + 32) : c; }

}  // namespace voc::text
