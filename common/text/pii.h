// PII redaction for feedback text: e-mail addresses, phone numbers (international and
// national forms), payment cards (Luhn-valid only), IBANs (mod-97 valid only), IPv4 and
// IPv6 addresses, person names after reliable cues, street addresses and US Social
// Security numbers become [EMAIL] [PHONE] [CARD] [IBAN] [IP] [NAME] [ADDRESS]
// [NATIONAL_ID]. Validation keeps lookalikes (order numbers, dates, prices, versions
// such as 3.2.1.4, ISBNs, tracking codes, file names such as icon@2x.png) intact.
// Forward passes over the bytes with no regex engine; stateless.
#pragma once

#include <string>
#include <string_view>

#include "common/text/analyzer.h"

namespace voc::text {

// Replaces the PII in `text`, writing the result to *out (cleared first; its capacity is
// reused) and adding what it found to *counts. Any byte sequence is accepted.
void RedactPii(std::string_view text, std::string* out, PiiCounts* counts);

// The same in two steps, for a caller that can tell cheaply whether a name's cue words
// occur (the analyzer, from its tokens): everything but names, then names alone, the
// cues only when `look_for_cues` (sign-offs at the end always). RedactNames writes *out
// and returns true only when it found a name.
void RedactPiiExceptNames(std::string_view text, std::string* out, PiiCounts* counts);
bool RedactNames(std::string_view text, std::string* out, PiiCounts* counts, bool look_for_cues = true);

// Exposed for tests: the checksums that separate real numbers from lookalikes.
bool LuhnValid(std::string_view digits);
bool IbanValid(std::string_view iban);  // compact form, no spaces

}  // namespace voc::text
