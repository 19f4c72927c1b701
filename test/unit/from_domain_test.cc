// from_domain_test - the RFC5322.From domain DMARC evaluates: display
// names, comments and quoted strings that hold '@' or '<', case, several
// addresses, several fields, none
#include "lib/mailauth/from_domain.h"

#include <gtest/gtest.h>

namespace posthorn::mailauth {
namespace {

std::optional<std::string> from(const std::string& header, std::string* why = nullptr) {
  std::string ignored;
  return fromDomain(header + "\r\nSubject: x\r\n\r\nbody with From: a@elsewhere.test\r\n", why ? why : &ignored);
}

TEST(FromDomain, TheAddressesDomainInLowerCase) {
  EXPECT_EQ(from("From: alice@Example.ORG"), "example.org");
  EXPECT_EQ(from("From: Alice Smith <alice@example.org>"), "example.org");
  EXPECT_EQ(from("from:   <alice@example.org.>"), "example.org");
  EXPECT_EQ(from("From: Alice\r\n <alice@example.org>"), "example.org");  // folded
}

TEST(FromDomain, DisplayNamesAndCommentsAreNotAddresses) {
  EXPECT_EQ(from("From: \"bob@evil.test <x@evil.test>\" <alice@example.org>"), "example.org");
  EXPECT_EQ(from("From: alice@example.org (sent for bob@evil.test)"), "example.org");
  EXPECT_EQ(from("From: \"a \\\" <q@evil.test>\" <alice@example.org>"), "example.org");
}

TEST(FromDomain, SeveralAddressesMustShareTheDomain) {
  EXPECT_EQ(from("From: a@example.org, B <b@EXAMPLE.org>"), "example.org");
  std::string why;
  EXPECT_FALSE(from("From: a@example.org, b@other.test", &why));
  EXPECT_EQ(why, "From addresses in different domains");
}

TEST(FromDomain, NoneOrSeveralFields) {
  std::string why;
  EXPECT_FALSE(from("To: x@example.org", &why));
  EXPECT_EQ(why, "no From field");
  EXPECT_FALSE(from("From: a@example.org\r\nFrom: a@example.org", &why));
  EXPECT_EQ(why, "more than one From field");
  EXPECT_FALSE(from("From: undisclosed-recipients:;", &why));
  EXPECT_EQ(why, "no address in the From field");
}

}  // namespace
}  // namespace posthorn::mailauth
