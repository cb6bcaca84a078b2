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
