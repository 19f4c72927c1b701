// auth_results_test - the Authentication-Results field (RFC 8601): layout,
// comments escaped, property values quoted when they must be, "none"
#include "lib/mailauth/auth_results.h"

#include <gtest/gtest.h>

#include "lib/mailauth/spf_check.h"

namespace posthorn::mailauth {
namespace {

TEST(AuthResults, OneResultPerLine) {
  AuthResults ar("mx.example.net");
  ar.add("spf", "pass", "mx.example.net: domain of example.org designates 192.0.2.7 as permitted sender",
         {{"smtp.mailfrom", "alice@example.org"}});
  ar.add("iprev", "fail", "", {{"policy.iprev", "192.0.2.7"}});
  EXPECT_EQ(ar.header(),
            "Authentication-Results: mx.example.net;\r\n"
            "\tspf=pass (mx.example.net: domain of example.org designates 192.0.2.7 as permitted sender) "
            "smtp.mailfrom=alice@example.org;\r\n"
            "\tiprev=fail policy.iprev=192.0.2.7\r\n");
  EXPECT_EQ(ar.value(),
            "mx.example.net; spf=pass (mx.example.net: domain of example.org designates 192.0.2.7 as "
            "permitted sender) smtp.mailfrom=alice@example.org; iprev=fail policy.iprev=192.0.2.7");
}

TEST(AuthResults, NoResultIsNone) {
  AuthResults ar("mx.example.net");
  EXPECT_EQ(ar.header(), "Authentication-Results: mx.example.net; none\r\n");
}

TEST(AuthResults, CommentsAndValuesCannotBreakTheField) {
  AuthResults ar("mx");
  // A sender controls these: parentheses, backslashes, line breaks,
  // semicolons must not end the comment, the result or the field.
  ar.add("spf", "fail", "why (really)\\\r\nInjected: yes", {{"smtp.mailfrom", "\"odd; user\"@example.org"}});
  EXPECT_EQ(ar.header(),
            "Authentication-Results: mx;\r\n"
            "\tspf=fail (why \\(really\\)\\\\  Injected: yes) smtp.mailfrom=\"\\\"odd; user\\\"@example.org\"\r\n");
  AuthResults plain("mx");
  plain.add("spf", "none", "", {{"smtp.helo", "mail.example.org"}});
  EXPECT_EQ(plain.value(), "mx; spf=none smtp.helo=mail.example.org");
}

TEST(SpfResult, NamesAreRfc7208s) {
  EXPECT_EQ(spfResultName(SpfResult::None), "none");
  EXPECT_EQ(spfResultName(SpfResult::Neutral), "neutral");
  EXPECT_EQ(spfResultName(SpfResult::Pass), "pass");
  EXPECT_EQ(spfResultName(SpfResult::Fail), "fail");
  EXPECT_EQ(spfResultName(SpfResult::SoftFail), "softfail");
  EXPECT_EQ(spfResultName(SpfResult::TempError), "temperror");
  EXPECT_EQ(spfResultName(SpfResult::PermError), "permerror");
}

}  // namespace
TEST(AuthservIdOf, TokenQuotedCommentsAndFolding) {
  EXPECT_EQ(authservIdOf(" mx.example.org; spf=pass"), "mx.example.org");
  EXPECT_EQ(authservIdOf("mx.example.org;spf=pass"), "mx.example.org");
  EXPECT_EQ(authservIdOf("\r\n\tmx.example.org 1; none"), "mx.example.org");
  EXPECT_EQ(authservIdOf(" (a (nested) \\) comment) mx.example.org(c); none"), "mx.example.org");
  EXPECT_EQ(authservIdOf(" \"mx.example.org\"; none"), "mx.example.org");
  EXPECT_EQ(authservIdOf(" \"odd\\\"id\"; none"), "odd\"id");
  EXPECT_EQ(authservIdOf(" ; none"), "");
  EXPECT_EQ(authservIdOf(""), "");
  EXPECT_EQ(authservIdOf(" (unterminated comment mx.example.org; none"), "");
}

}  // namespace posthorn::mailauth
