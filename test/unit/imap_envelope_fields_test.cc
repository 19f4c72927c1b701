// imap_envelope_fields_test - SEARCH's header fields read back from a cached ENVELOPE
#include <gtest/gtest.h>

#include "imapd/envelope_fields.h"
#include "imapd/imap_envelope.h"

namespace posthorn::imapd {
namespace {

TEST(EnvelopeFieldsTest, RoundTripThroughImapEnvelope) {
  const std::string header =
      "From: =?UTF-8?Q?J=C3=BCrgen?= <juergen@example.org>\r\n"
      "To: alice@example.com, \"Bob B.\" <bob@example.net>\r\n"
      "Cc: friends: carol@example.com, dave@example.com;\r\n"
      "Subject: =?ISO-8859-1?Q?Gr=FC=DFe?= from\r\n the road\r\n"
      "\r\n";
  const auto f = parseEnvelopeFields(imapEnvelope(header));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->from, std::optional<std::string>("J\xC3\xBCrgen <juergen@example.org>"));
  EXPECT_EQ(f->to, std::optional<std::string>("alice@example.com, Bob B. <bob@example.net>"));
  EXPECT_EQ(f->cc, std::optional<std::string>("friends: carol@example.com, dave@example.com;"));
  EXPECT_EQ(f->subject, std::optional<std::string>("Gr\xC3\xBC\xC3\x9F" "e from the road"));
  EXPECT_FALSE(f->bcc);  // no Bcc: field, NIL
  ASSERT_NE(f->field("from"), nullptr);
  EXPECT_EQ(f->field("Sender"), nullptr);  // not served from the envelope
}

TEST(EnvelopeFieldsTest, LiteralsAndMissingFields) {
  // 8-bit subjects come out as literals.
  const std::string header = "Subject: caf\xC3\xA9\r\n\r\n";
  const auto f = parseEnvelopeFields(imapEnvelope(header));
  ASSERT_TRUE(f);
  EXPECT_EQ(f->subject, std::optional<std::string>("caf\xC3\xA9"));
  EXPECT_FALSE(f->from);
}

TEST(EnvelopeFieldsTest, RejectsWhatIsNoEnvelope) {
  EXPECT_FALSE(parseEnvelopeFields(""));
  EXPECT_FALSE(parseEnvelopeFields("(NIL NIL)"));
  EXPECT_FALSE(parseEnvelopeFields("(\"unterminated"));
  EXPECT_FALSE(parseEnvelopeFields("({99}\r\nshort NIL NIL NIL NIL NIL NIL NIL NIL NIL)"));
  EXPECT_FALSE(parseEnvelopeFields(std::string(200, '(')));
}

}  // namespace
}  // namespace posthorn::imapd
