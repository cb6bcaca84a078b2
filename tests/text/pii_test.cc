#include "common/text/pii.h"

#include <gtest/gtest.h>

namespace voc::text {
namespace {

struct Redacted {
  std::string text;
  PiiCounts counts;
};

Redacted Redact(std::string_view in) {
  Redacted r;
  RedactPii(in, &r.text, &r.counts);
  return r;
}

TEST(Pii, EmailsAreReplacedAndCounted) {
  const Redacted r = Redact("mail me at jane.doe+vip@example.co.uk or bob@mail.example.com.");
  EXPECT_EQ(r.text, "mail me at [EMAIL] or [EMAIL].");
  EXPECT_EQ(r.counts.email, 2u);
  EXPECT_EQ(r.counts.total(), 2u);
}

TEST(Pii, InternationalAndNationalPhones) {
  const Redacted r = Redact(
      "call +44 20 7946 0958 or +1 (555) 123-4567 or +491701234567, at home (555) 123-4567, "
      "555-123-4567, 020 7946 0958 or 06 12 34 56 78");
  EXPECT_EQ(r.text,
            "call [PHONE] or [PHONE] or [PHONE], at home [PHONE], [PHONE], [PHONE] or [PHONE]");
  EXPECT_EQ(r.counts.phone, 7u);
}

TEST(Pii, OnlyLuhnValidCards) {
  const Redacted r = Redact("card 4111 1111 1111 1111 and 5500-0000-0000-0004 and 4111111111111111");
  EXPECT_EQ(r.text, "card [CARD] and [CARD] and [CARD]");
  EXPECT_EQ(r.counts.card, 3u);
  const Redacted bad = Redact("card 4111 1111 1111 1112 was declined");
  EXPECT_EQ(bad.text, "card 4111 1111 1111 1112 was declined");
  EXPECT_EQ(bad.counts.total(), 0u);
}

TEST(Pii, OnlyChecksumValidIbans) {
  const Redacted r = Redact("pay to DE89 3704 0044 0532 0130 00 or GB82WEST12345698765432 please");
  EXPECT_EQ(r.text, "pay to [IBAN] or [IBAN] please");
  EXPECT_EQ(r.counts.iban, 2u);
  const Redacted bad = Redact("pay to DE89 3704 0044 0532 0130 01 please");
  EXPECT_EQ(bad.text, "pay to DE89 3704 0044 0532 0130 01 please");
  EXPECT_EQ(bad.counts.total(), 0u);
}

TEST(Pii, IpAddresses) {
  const Redacted r = Redact("from 192.168.1.20 and 2001:db8:85a3:0:0:8a2e:370:7334 and fe80::1 and ::1.");
  EXPECT_EQ(r.text, "from [IP] and [IP] and [IP] and [IP].");
  EXPECT_EQ(r.counts.ip, 4u);
}

TEST(Pii, LookalikesSurvive) {
  const char* kNotPii[] = {
      "Order #123456789 arrived late",
      "order number 1234567890 still not shipped",
      "Ticket 4455667788 was closed",
      "Updated to version 3.2.1.4 and it crashes",
      "Since v10.2.0.1 the app is slow",
      "Delivered on 2024-01-15 at 10:30:45",
      "It was 15.01.2024, paid $1,234.56 for it",
      "Tracking code 1Z999AA10123456784 shows nothing",
      "USPS tracking 9400 1000 0000 0000 0000 00",
      "Price went from 9.99 to 14.99 per month",
      "I rated it 5/5, 100% recommended, build 2023.11.2",
      "Error code 0x80070005 in std::vector",
      "MAC 00:1A:2B:3C:4D:5E is fine",
      "email at example dot com, or user at domain",
      "SKU ABCD1234EFGH5678 restocked",
      "Chapter 3.2.1 of the manual",
  };
  for (const char* text : kNotPii) {
    const Redacted r = Redact(text);
    EXPECT_EQ(r.text, text);
    EXPECT_EQ(r.counts.total(), 0u) << text;
  }
}

// Every PII format in every surrounding context: the placeholder replaces exactly the
// value (the context survives byte for byte), and no secret part of the value is left.
struct Format {
  const char* value;
  const char* placeholder;
  const char* secret;  // a part of the value that must never survive redaction
};

constexpr Format kFormats[] = {
    {"+44 20 7946 0958", "[PHONE]", "7946"},
    {"+1 (555) 123-4567", "[PHONE]", "4567"},
    {"+1-415-555-0132", "[PHONE]", "0132"},
    {"+1.415.555.0132", "[PHONE]", "0132"},
    {"+491701234567", "[PHONE]", "1234567"},
    {"0044 20 7946 0958", "[PHONE]", "7946"},
    {"00 44 20 7946 0958", "[PHONE]", "7946"},
    {"(415) 555-0132", "[PHONE]", "0132"},
    {"415-555-0132", "[PHONE]", "0132"},
    {"415.555.0132", "[PHONE]", "0132"},
    {"415 555 0132", "[PHONE]", "0132"},
    {"4155550132", "[PHONE]", "0132"},
    {"1-800-555-0199", "[PHONE]", "0199"},
    {"1 (800) 555-0199", "[PHONE]", "0199"},
    {"+1 800 555 0199", "[PHONE]", "0199"},
    {"020 7946 0958", "[PHONE]", "7946"},
    {"06 12 34 56 78", "[PHONE]", "56 78"},
    {"030/1234567", "[PHONE]", "1234567"},
    {"(030) 1234567", "[PHONE]", "1234567"},
    {"+49 (0)89 1234567", "[PHONE]", "1234567"},
    {"+44 (0) 20 7946 0958", "[PHONE]", "7946"},
    {"(+44) 20 7946 0958", "[PHONE]", "7946"},
    {"+33 1 23 45 67 89", "[PHONE]", "67 89"},
    {"4111 1111 1111 1111", "[CARD]", "1111 1111"},
    {"4111-1111-1111-1111", "[CARD]", "1111-1111"},
    {"4111111111111111", "[CARD]", "41111111"},
    {"4111.1111.1111.1111", "[CARD]", "1111.1111"},
    {"3782 822463 10005", "[CARD]", "822463"},
    {"5555 5555 5555 4444", "[CARD]", "4444"},
    {"6011 1111 1111 1117", "[CARD]", "1117"},
    {"2223 0031 2200 3222", "[CARD]", "3222"},
    {"3056 930902 5904", "[CARD]", "930902"},
    {"DE89 3704 0044 0532 0130 00", "[IBAN]", "0532"},
    {"DE89370400440532013000", "[IBAN]", "0532"},
    {"de89 3704 0044 0532 0130 00", "[IBAN]", "0532"},
    {"gb82west12345698765432", "[IBAN]", "5698"},
    {"GB82 WEST 1234 5698 7654 32", "[IBAN]", "5698"},
    {"FR14 2004 1010 0505 0001 3M02 606", "[IBAN]", "3M02"},
    {"NL91ABNA0417164300", "[IBAN]", "0417"},
    {"jane.doe@example.com", "[EMAIL]", "jane"},
    {"JANE.DOE@EXAMPLE.COM", "[EMAIL]", "JANE"},
    {"o'connor@example.ie", "[EMAIL]", "o'"},
    {"j\xC3\xBCrgen.m\xC3\xBCller@example.de", "[EMAIL]", "rgen"},
    {"\"john doe\"@example.com", "[EMAIL]", "john"},
    {"bob+tag@mail.example.co.uk", "[EMAIL]", "bob"},
    {"user@b\xC3\xBC" "cher.de", "[EMAIL]", "user"},
    {"a_b-c.d@sub.example.org", "[EMAIL]", "a_b"},
    {"x%y@example.net", "[EMAIL]", "x%y"},
    {"192.168.1.20", "[IP]", "168.1"},
    {"10.0.0.1", "[IP]", "10.0"},
    {"2001:db8:85a3::8a2e:370:7334", "[IP]", "8a2e"},
    {"2001:db8:85a3:0:0:8a2e:370:7334", "[IP]", "8a2e"},
    {"fe80::1", "[IP]", "fe80"},
    {"::ffff:192.0.2.128", "[IP]", "2.128"},
    {"::ffff:10.0.0.1", "[IP]", "ffff"},
    {"123-45-6789", "[NATIONAL_ID]", "45-6789"},
};

struct Context {
  const char* before;
  const char* after;
};

constexpr Context kContexts[] = {
    {"", ""},
    {"call ", " now"},
    {"(", ")"},
    {"[", "]"},
    {"{", "}"},
    {"<", ">"},
    {"\"", "\""},
    {"'", "'"},
    {"\xE2\x80\x9C", "\xE2\x80\x9D"},  // typographic quotes
    {"\xC2\xAB", "\xC2\xBB"},            // guillemets
    {"", ","},
    {"", "."},
    {"", ";"},
    {"", "!"},
    {"", "?"},
    {"", ")."},
    {"Phone: ", ""},
    {"phone:", ""},
    {"Contact:\t", "\n"},
    {"line one\n", "\nline three"},
    {"reach me at ", " (mobile)"},
    {"x ", " (visa)"},
    {"- ", " -"},
    {"a, ", ", b"},
    {"", "\r\n"},
    {"details: ", " and more"},
};

TEST(Pii, EveryFormatInEveryContextIsRedacted) {
  int leaks = 0;
  for (const Format& f : kFormats) {
    for (const Context& c : kContexts) {
      const std::string in = std::string(c.before) + f.value + c.after;
      const Redacted r = Redact(in);
      const std::string want = std::string(c.before) + f.placeholder + c.after;
      if (r.text != want || r.text.find(f.secret) != std::string::npos) {
        ++leaks;
        ADD_FAILURE() << "in:   [" << in << "]\nout:  [" << r.text << "]\nwant: [" << want << "]";
      }
    }
  }
  EXPECT_EQ(leaks, 0);
}

// A US Social Security number by its dashed 3-2-4 shape or after "SSN"; nine digits after
// a phone word are a phone (Spain's and Portugal's numbers have nine). Without a cue, or
// after an identifier's word, nine digits stay, and so do numbers no SSN can be.
TEST(Pii, SocialSecurityNumbersAndCuedNineDigitPhones) {
  const std::pair<const char*, const char*> kCases[] = {
      {"my SSN is 123-45-6789", "my SSN is [NATIONAL_ID]"},
      {"SSN 123456789", "SSN [NATIONAL_ID]"},
      {"social security number: 123 45 6789", "social security number: [NATIONAL_ID]"},
      {"mi n\xC3\xBAmero es 612 345 678", "mi n\xC3\xBAmero es [PHONE]"},
      {"Tel\xC3\xA9" "fono: 612345678", "Tel\xC3\xA9" "fono: [PHONE]"},
      {"my number is 612345678", "my number is [PHONE]"},
      {"call me at 912 345 678 tomorrow", "call me at [PHONE] tomorrow"},
      {"WhatsApp 612-345-678", "WhatsApp [PHONE]"},
  };
  for (const auto& [in, want] : kCases) {
    const Redacted r = Redact(in);
    EXPECT_EQ(r.text, want);
    EXPECT_EQ(r.counts.total(), 1u) << in;
  }
  EXPECT_EQ(Redact("SSN 123-45-6789").counts.national_id, 1u);
  EXPECT_EQ(Redact("call me at 912 345 678").counts.phone, 1u);
  for (const char* text : {"order 123-45-6789", "id 612345678", "I paid 612 345 678 euros", "Build 123456789 broke",
                           "000-12-3456", "666-12-3456", "900-12-3456", "123-00-4567", "123-45-0000",
                           "ticket number 612 345 678", "SSN 123.45.6789 is a version"}) {
    const Redacted r = Redact(text);
    EXPECT_EQ(r.text, text);
    EXPECT_EQ(r.counts.total(), 0u) << text;
  }
}

TEST(Pii, NamesAfterReliableCues) {
  const std::pair<const char*, const char*> kCases[] = {
      {"Hi, my name is John Smith and the app crashes", "Hi, my name is [NAME] and the app crashes"},
      {"My name's Ann-Marie O'Neil.", "My name's [NAME]."},
      {"Name: Jane Doe\nIssue: login", "Name: [NAME]\nIssue: login"},
      {"my name is jane doe.", "my name is [NAME]."},
      {"This is Sarah from Acme Corp, the export fails", "This is [NAME] from Acme Corp, the export fails"},
      {"Hello, I'm Tom Baker from IT.", "Hello, I'm [NAME] from IT."},
      {"The sync is broken.\nRegards,\nJohn Smith", "The sync is broken.\nRegards,\n[NAME]"},
      {"Please fix it. Thanks, Anna", "Please fix it. Thanks, [NAME]"},
      {"Please fix it.\nCheers,\nBob\n", "Please fix it.\nCheers,\n[NAME]\n"},
      {"Fix the login. Best regards Maria Garcia", "Fix the login. Best regards [NAME]"},
      {"Works again\n-- Sam", "Works again\n-- [NAME]"},
      {"Mein Name ist J\xC3\xBCrgen M\xC3\xBCller und", "Mein Name ist [NAME] und"},
      {"Bonjour, mon nom est \xC3\x89lodie Martin.", "Bonjour, mon nom est [NAME]."},
  };
  for (const auto& [in, want] : kCases) {
    const Redacted r = Redact(in);
    EXPECT_EQ(r.text, want) << in;
    EXPECT_EQ(r.counts.name, 1u) << in;
  }
  const char* kNoName[] = {
      "my name is displayed wrong in settings",
      "My name is misspelled.",
      "The name is misleading",
      "This is the best Samsung",
      "Thanks, great app",
      "This is Great",
      "I use it on my tablet",
      "Does it export to Excel?",
  };
  for (const char* text : kNoName) {
    const Redacted r = Redact(text);
    EXPECT_EQ(r.text, text);
    EXPECT_EQ(r.counts.total(), 0u) << text;
  }
}

TEST(Pii, NamesInASecondStepAsInOne) {
  // The analyzer redacts names in a second step when its tokens call for it: the result
  // must be RedactPii's.
  for (const char* in : {"Hi, my name is John Smith and the app crashes, call 415-555-0132",
                         "The sync is broken.\nRegards,\nJohn Smith", "mail jane@example.com. Thanks, Anna",
                         "This is Sarah from Acme Corp", "No names here at all"}) {
    const Redacted one = Redact(in);
    std::string first;
    std::string second;
    PiiCounts counts;
    RedactPiiExceptNames(in, &first, &counts);
    if (RedactNames(first, &second, &counts)) first.swap(second);
    EXPECT_EQ(first, one.text) << in;
    EXPECT_EQ(counts.total(), one.counts.total()) << in;
  }
}

TEST(Pii, StreetAddresses) {
  const std::pair<const char*, const char*> kCases[] = {
      {"I live at 221B Baker Street, London", "I live at [ADDRESS], London"},
      {"ship to 1600 Pennsylvania Avenue NW please", "ship to [ADDRESS] please"},
      {"sent to 42 Elm St. yesterday", "sent to [ADDRESS] yesterday"},
      {"j'habite 12 rue de la Paix, Paris", "j'habite [ADDRESS], Paris"},
      {"Lieferung an Hauptstra\xC3\x9F" "e 5, Berlin", "Lieferung an [ADDRESS], Berlin"},
      {"vivo en Calle Mayor 7, Madrid", "vivo en [ADDRESS], Madrid"},
      {"moro na Avenida da Liberdade 110", "moro na [ADDRESS]"},
  };
  for (const auto& [in, want] : kCases) {
    const Redacted r = Redact(in);
    EXPECT_EQ(r.text, want) << in;
    EXPECT_EQ(r.counts.address, 1u) << in;
  }
  const char* kNoAddress[] = {"I waited 2 days for support", "During 5 minutes it froze", "Top 3 reasons to buy",
                              "Android 12 broke it", "rated 4 stars"};
  for (const char* text : kNoAddress) {
    const Redacted r = Redact(text);
    EXPECT_EQ(r.text, text);
    EXPECT_EQ(r.counts.total(), 0u) << text;
  }
}

TEST(Pii, FileNamesIsbnsAndVersionsSurvive) {
  const char* kNotPii[] = {
      "the icon@2x.png asset is blurry",
      "see logo@3x.jpg and splash@1.5x.webp",
      "ISBN 978-3-16-148410-0",
      "ISBN-10: 0-306-40615-2",
      "ISBN 0306406152 is the paperback",
      "npm i react@18.2.0 lodash@4.17.21",
      "Windows 10.0.19045.3693 here",
      "version 2.4.1.1234 crashes",
      "v1.2.3 and build 12.0.1",
      "ping @john_doe on twitter",
      "it took 12/25 minutes",
      "from 10:30 to 11:45",
      "I have 4500000000 points",
      "order number 4155550132 never came",
      "customer id 4155550132",
  };
  for (const char* text : kNotPii) {
    const Redacted r = Redact(text);
    EXPECT_EQ(r.text, text);
    EXPECT_EQ(r.counts.total(), 0u) << text;
  }
}

TEST(Pii, CardFollowedByExpiryAndPhoneByExtension) {
  EXPECT_EQ(Redact("card 4111 1111 1111 1111 12/25").text, "card [CARD] 12/25");
  EXPECT_EQ(Redact("call 415-555-0132 ext. 12").text, "call [PHONE] ext. 12");
  EXPECT_EQ(Redact("phone number 4155550132").text, "phone number [PHONE]");
}

TEST(Pii, Checksums) {
  EXPECT_TRUE(LuhnValid("4111111111111111"));
  EXPECT_FALSE(LuhnValid("4111111111111112"));
  EXPECT_TRUE(IbanValid("DE89370400440532013000"));
  EXPECT_FALSE(IbanValid("DE89370400440532013001"));
}

TEST(Pii, ArbitraryBytesDoNotCrash) {
  std::string junk;
  for (int i = 0; i < 4096; ++i) junk.push_back(static_cast<char>((i * 7919) & 0xFF));
  junk += "@@@...+++(((:::1234-5678-";
  const Redacted r = Redact(junk);
  EXPECT_FALSE(r.text.empty());
}

}  // namespace
}  // namespace voc::text
