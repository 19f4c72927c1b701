// cleanup_headers_test - cleanup's header pass, header values, address
// lists and envelope checks (cleanup/cleanup_*)
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <regex>
#include <string>
#include <vector>

#include "lib/address/address_list.h"
#include "lib/config/config.h"
#include "cleanup/cleanup_envelope.h"
#include "cleanup/cleanup_header_values.h"
#include "cleanup/cleanup_headers.h"
#include "cleanup/cleanup_settings.h"

namespace {

using posthorn::cleanup::HeaderFilter;
using posthorn::cleanup::HeaderPolicy;
using posthorn::cleanup::HeaderVerdict;

constexpr const char* kId = "<20240101000000.1BvWq3ZkT0004@mx.example>";
constexpr const char* kDate = "Mon, 1 Jan 2024 01:00:00 +0100 (CET)";

// The limits of a default configuration; nothing to add.
HeaderPolicy limitsOnly() {
  const auto session =
      posthorn::cleanup::Settings(posthorn::config::Config::defaults()).session;
  HeaderPolicy p;
  p.headerSizeLimit = session.headerSizeLimit;
  p.hopcountLimit = session.hopcountLimit;
  return p;
}

HeaderPolicy policy() {
  HeaderPolicy p = limitsOnly();
  p.messageId = kId;
  p.date = kDate;
  return p;
}

struct Filtered {
  std::string out;
  std::unique_ptr<HeaderFilter> filter;
};

// Feeds `in` in pieces of `piece` bytes (0: all at once).
Filtered run(const std::string& in, HeaderPolicy p = policy(), std::size_t piece = 0) {
  Filtered r;
  r.filter = std::make_unique<HeaderFilter>(std::move(p), [&r](std::string_view s) { r.out += s; });
  if (piece == 0) {
    r.filter->feed(in);
  } else {
    for (std::size_t i = 0; i < in.size(); i += piece) r.filter->feed(in.substr(i, piece));
  }
  r.filter->finish();
  return r;
}

const std::string kAdded = std::string("Message-ID: ") + kId + "\nDate: " + kDate + "\n";

TEST(HeaderFilter, AddsMessageIdAndDateWhenMissing) {
  const Filtered r = run("From: a@example.com\nSubject: hi\n\nbody\n");
  EXPECT_EQ(r.out, "From: a@example.com\nSubject: hi\n" + kAdded + "\nbody\n");
  EXPECT_TRUE(r.filter->addedMessageId());
  EXPECT_TRUE(r.filter->addedDate());
  EXPECT_EQ(r.filter->messageId(), kId);
  EXPECT_EQ(r.filter->outputSize(), r.out.size());
}

TEST(HeaderFilter, LeavesPresentHeadersAlone) {
  const std::string in =
      "Message-ID: <x@y>\nDate: Tue, 2 Jan 2024 10:00:00 +0000\nSubject: hi\n\nbody\n";
  const Filtered r = run(in);
  EXPECT_EQ(r.out, in);
  EXPECT_FALSE(r.filter->addedMessageId());
  EXPECT_FALSE(r.filter->addedDate());
  EXPECT_EQ(r.filter->messageId(), "<x@y>");
}

TEST(HeaderFilter, HeaderNamesAreCaseInsensitive) {
  const std::string in = "MESSAGE-id: <x@y>\ndATE: Tue, 2 Jan 2024 10:00:00 +0000\n\nb\n";
  const Filtered r = run(in);
  EXPECT_EQ(r.out, in);
  EXPECT_EQ(r.filter->messageId(), "<x@y>");
}

TEST(HeaderFilter, OnlyTheMissingOneIsAdded) {
  Filtered r = run("Date: Tue, 2 Jan 2024 10:00:00 +0000\n\nb\n");
  EXPECT_EQ(r.out, std::string("Date: Tue, 2 Jan 2024 10:00:00 +0000\nMessage-ID: ") + kId +
                       "\n\nb\n");
  r = run("Message-Id: <a@b>\n\nb\n");
  EXPECT_EQ(r.out, std::string("Message-Id: <a@b>\nDate: ") + kDate + "\n\nb\n");
}

TEST(HeaderFilter, ObsoleteSpaceBeforeColonIsAHeader) {
  const Filtered r = run("Message-ID : <x@y>\nDate\t: Tue, 2 Jan 2024 10:00:00 +0000\n\nb\n");
  EXPECT_FALSE(r.filter->addedMessageId());
  EXPECT_FALSE(r.filter->addedDate());
}

TEST(HeaderFilter, FoldedHeadersStayWhole) {
  const std::string in =
      "Subject: a long\n subject\n\tline\nMessage-ID:\n <folded@id>\nDate: Tue, 2 Jan\n 2024 "
      "10:00:00 +0000\n\nbody\n";
  const Filtered r = run(in);
  EXPECT_EQ(r.out, in);
  EXPECT_EQ(r.filter->messageId(), "<folded@id>");
}

TEST(HeaderFilter, CrlfBecomesLf) {
  const Filtered r = run("Subject: x\r\nMessage-ID: <a@b>\r\nDate: d\r\n\r\nline 1\r\nline 2\r\n");
  EXPECT_EQ(r.out, "Subject: x\nMessage-ID: <a@b>\nDate: d\n\nline 1\nline 2\n");
}

TEST(HeaderFilter, SplitAnywhereGivesTheSameResult) {
  const std::string in =
      "Subject: x\r\n folded\r\nTo: a@b\r\n\r\nline 1\r\n\r\nbare\rcr\r\nend\r\n";
  const std::string whole = run(in).out;
  for (std::size_t piece = 1; piece < 12; ++piece) EXPECT_EQ(run(in, policy(), piece).out, whole);
  EXPECT_EQ(whole, "Subject: x\n folded\nTo: a@b\n" + kAdded + "\nline 1\n\nbare\rcr\nend\n");
}

TEST(HeaderFilter, BareLfAndBareCrAreKept) {
  const Filtered r = run("Message-ID: <a@b>\nDate: d\n\na\nb\r\nc\rd\n");
  EXPECT_EQ(r.out, "Message-ID: <a@b>\nDate: d\n\na\nb\nc\rd\n");
}

TEST(HeaderFilter, LastLineGetsALineEnd) {
  EXPECT_EQ(run("Message-ID: <a@b>\nDate: d\n\nno newline").out,
            "Message-ID: <a@b>\nDate: d\n\nno newline\n");
  EXPECT_EQ(run("Message-ID: <a@b>\nDate: d\n\nends in CR\r").out,
            "Message-ID: <a@b>\nDate: d\n\nends in CR\r\n");
  EXPECT_EQ(run("Message-ID: <a@b>\nDate: d").out, "Message-ID: <a@b>\nDate: d\n");
}

TEST(HeaderFilter, NoSeparatorBeforeTheBody) {
  // The first line that is not a header starts the body; an empty line is
  // inserted so that it does not read as a broken header.
  const Filtered r = run("Subject: hi\nthis is the body\nmore\n");
  EXPECT_EQ(r.out, "Subject: hi\n" + kAdded + "\nthis is the body\nmore\n");
  EXPECT_TRUE(r.filter->insertedSeparator());
}

TEST(HeaderFilter, NoHeadersAtAll) {
  Filtered r = run("just a body line\n");
  EXPECT_EQ(r.out, kAdded + "\njust a body line\n");
  r = run(" indented first line\n");
  EXPECT_EQ(r.out, kAdded + "\n indented first line\n");
  r = run("From someone Mon Jan  1 00:00:00 2024\nSubject: x\n\nb\n");
  EXPECT_EQ(r.out, kAdded + "\nFrom someone Mon Jan  1 00:00:00 2024\nSubject: x\n\nb\n");
}

TEST(HeaderFilter, EmptyMessageAndHeadersOnly) {
  EXPECT_EQ(run("").out, kAdded);
  EXPECT_EQ(run("Subject: x\n").out, "Subject: x\n" + kAdded);
  EXPECT_EQ(run("\nbody only\n").out, kAdded + "\nbody only\n");
}

TEST(HeaderFilter, EightBitHeaders) {
  // UTF-8 and raw 8-bit values pass unchanged; an 8-bit byte in a name
  // makes the line body.
  const std::string in = "Subject: Gr\xc3\xbc\xc3\x9f" "e \xe9t\xe9\nTo: J\xc3\xb6rg <j@x>\n\nb\n";
  Filtered r = run(in);
  EXPECT_EQ(r.out, "Subject: Gr\xc3\xbc\xc3\x9f" "e \xe9t\xe9\nTo: J\xc3\xb6rg <j@x>\n" + kAdded +
                       "\nb\n");
  r = run("Subj\xc3\xa9t: x\nMore: y\n");
  EXPECT_EQ(r.out, kAdded + "\nSubj\xc3\xa9t: x\nMore: y\n");
}

TEST(HeaderFilter, NulInTheNameOrNoNameMakesBody) {
  EXPECT_EQ(run(std::string("Sub\0ject: x\n", 12)).out, kAdded + "\n" + std::string("Sub\0ject: x\n", 12));
  EXPECT_EQ(run(": no name\n").out, kAdded + "\n: no name\n");
}

TEST(HeaderFilter, DropsBccReturnPathContentLength) {
  const Filtered r = run(
      "To: a@x\nBcc: secret@x,\n  other@x\nRESENT-BCC: s@x\nReturn-Path: <r@x>\nContent-Length: "
      "5\nCc: c@x\n\nbody\n");
  EXPECT_EQ(r.out, "To: a@x\nCc: c@x\n" + kAdded + "\nbody\n");
}

// RFC 8601 section 5: a field claiming our authserv-id came from someone
// else and goes; others' fields stay where they were. The id is compared
// without case, after comments and folding, quoted or not.
TEST(HeaderFilter, DropsAuthenticationResultsClaimingOurAuthservId) {
  HeaderPolicy p = limitsOnly();
  p.authservId = "mx.example.org";
  const std::string in =
      "Authentication-Results: mx.example.org; dmarc=pass header.from=bank.example\n"
      "Received: from a by b\n"
      "authentication-results: (forged) MX.Example.ORG 1;\n\tspf=pass smtp.mailfrom=bank.example\n"
      "Authentication-Results: other.example; dkim=pass header.d=x.example\n"
      "Authentication-Results:\n \"mx.example.org\"; dkim=pass\n"
      "Authentication-Results: mx.example.org.evil.example; spf=pass\n"
      "Authentication-Results: mx.example;spf=pass\n"
      "Subject: s\n\nAuthentication-Results: mx.example.org; body, not a header\n";
  for (std::size_t piece : {0u, 1u, 3u, 17u}) {
    const Filtered r = run(in, p, piece);
    EXPECT_EQ(r.out,
              "Received: from a by b\n"
              "Authentication-Results: other.example; dkim=pass header.d=x.example\n"
              "Authentication-Results: mx.example.org.evil.example; spf=pass\n"
              "Authentication-Results: mx.example;spf=pass\n"
              "Subject: s\n\nAuthentication-Results: mx.example.org; body, not a header\n")
        << "pieces of " << piece;
    EXPECT_EQ(r.filter->removedAuthResults(), 3) << "pieces of " << piece;
  }
  // Without an authserv-id (a message posthorn already accepted) all stay.
  const Filtered kept = run(in, limitsOnly());
  EXPECT_EQ(kept.out, in);
  EXPECT_EQ(kept.filter->removedAuthResults(), 0);
  // A held field is still bounded by header_size_limit.
  HeaderPolicy small = p;
  small.headerSizeLimit = 1024;
  const Filtered big = run("Authentication-Results: x.example; " + std::string(2000, 'a') + "\n\nb\n", small);
  EXPECT_TRUE(big.filter->rejected());
  EXPECT_EQ(big.out, "");
}

TEST(HeaderFilter, AddsFromForLocalSubmissions) {
  HeaderPolicy p = policy();
  p.from = "Jane <jane@x>";
  Filtered r = run("Subject: s\n\nb\n", p);
  EXPECT_EQ(r.out, "Subject: s\n" + kAdded + "From: Jane <jane@x>\n\nb\n");
  EXPECT_TRUE(r.filter->addedFrom());
  r = run("from: other@x\n\nb\n", p);
  EXPECT_FALSE(r.filter->addedFrom());
}

TEST(HeaderFilter, NothingAddedWhenThePolicySaysSo) {
  const Filtered r = run("Subject: s\n\nb\n", limitsOnly());
  EXPECT_EQ(r.out, "Subject: s\n\nb\n");
  EXPECT_EQ(r.filter->messageId(), "");
}

TEST(HeaderFilter, TooManyHops) {
  std::string in;
  for (int i = 0; i < 5; ++i) in += "Received: from h" + std::to_string(i) + "\n";
  HeaderPolicy p = policy();
  p.hopcountLimit = 5;
  Filtered r = run(in + "\nb\n", p);
  EXPECT_FALSE(r.filter->rejected());
  EXPECT_EQ(r.filter->receivedCount(), 5);
  r = run("Received: x\n" + in + "\nb\n", p);
  EXPECT_TRUE(r.filter->rejected());
  EXPECT_EQ(r.filter->verdict(), HeaderVerdict::TooManyHops);
  EXPECT_NE(r.filter->rejectDetail().find("hopcount_limit 5"), std::string::npos);
  // Received: lines in the body do not count.
  r = run("Subject: x\n\n" + in + in, p);
  EXPECT_FALSE(r.filter->rejected());
}

TEST(HeaderFilter, HeaderLongerThanTheLimit) {
  HeaderPolicy p = policy();
  p.headerSizeLimit = 2000;
  std::string folded = "X-Long: start\n";
  while (folded.size() < 1990) folded += " more text\n";
  Filtered r = run(folded + "\nb\n", p);
  EXPECT_FALSE(r.filter->rejected());
  r = run(folded + " over the top\n\nb\n", p);
  EXPECT_EQ(r.filter->verdict(), HeaderVerdict::HeaderTooLong);
  // One unfolded line, fed in small pieces: rejected as it streams.
  std::size_t emitted = 0;
  HeaderFilter f(p, [&](std::string_view s) { emitted += s.size(); });
  f.feed("X-Huge: ");
  for (int i = 0; i < 1000 && !f.rejected(); ++i) f.feed(std::string(100, 'a'));
  EXPECT_TRUE(f.rejected());
  EXPECT_LE(emitted, 2000u);
  f.feed("more after the rejection\n");
  f.finish();
  EXPECT_LE(emitted, 2000u);
}

TEST(HeaderFilter, LongBodyLinesAndHugeNonHeaderLines) {
  // A 1 MB line in the body, and a 5000-byte first line without a colon.
  const std::string big(1 << 20, 'x');
  Filtered r = run("Message-ID: <a@b>\nDate: d\n\n" + big + "\n", policy(), 65536);
  EXPECT_EQ(r.out, "Message-ID: <a@b>\nDate: d\n\n" + big + "\n");
  const std::string noColon(5000, 'y');
  r = run(noColon + "\n", policy(), 333);
  EXPECT_EQ(r.out, kAdded + "\n" + noColon + "\n");
}

TEST(HeaderFilter, ExtractsRecipients) {
  HeaderPolicy p = policy();
  p.extractRecipients = true;
  Filtered r = run(
      "To: Jane <jane@x>, bob\nCc: \"Doe, J\" <jd@y>,\n\tlist: a@z, b@z;\nBcc: hidden@x\n"
      "Subject: s\n\nTo: not@body\n",
      p);
  EXPECT_EQ(r.filter->extractedRecipients(),
            (std::vector<std::string>{"jane@x", "bob", "jd@y", "a@z", "b@z", "hidden@x"}));
  EXPECT_EQ(r.out.find("hidden"), std::string::npos);  // Bcc is not in the output
  // With Resent- recipient headers, only those count.
  r = run("To: old@x\nResent-To: new@x\nResent-Bcc: nb@x\n\nb\n", p);
  EXPECT_EQ(r.filter->extractedRecipients(), (std::vector<std::string>{"new@x", "nb@x"}));
  // Without the flag nothing is collected.
  r = run("To: a@x\n\nb\n");
  EXPECT_TRUE(r.filter->extractedRecipients().empty());
}

TEST(AddressList, Forms) {
  using posthorn::address::parseAddressList;
  using V = std::vector<std::string>;
  EXPECT_EQ(parseAddressList("a@b"), V{"a@b"});
  EXPECT_EQ(parseAddressList("  a@b ,c@d,, "), (V{"a@b", "c@d"}));
  EXPECT_EQ(parseAddressList("Name <a@b>"), V{"a@b"});
  EXPECT_EQ(parseAddressList("\"Last, First\" <a@b>, x@y"), (V{"a@b", "x@y"}));
  EXPECT_EQ(parseAddressList("a@b (comment, with (nested) parens)"), V{"a@b"});
  EXPECT_EQ(parseAddressList("undisclosed-recipients:;"), V{});
  EXPECT_EQ(parseAddressList("team: a@b, C <c@d>; e@f"), (V{"a@b", "c@d", "e@f"}));
  EXPECT_EQ(parseAddressList("<@relay1,@relay2:user@host>"), V{"user@host"});
  EXPECT_EQ(parseAddressList("\"john doe\"@example.com"), V{"john doe@example.com"});
  EXPECT_EQ(parseAddressList("first . last @ example . com"), V{"first.last@example.com"});
  EXPECT_EQ(parseAddressList("user@[192.0.2.1]"), V{"user@[192.0.2.1]"});
  EXPECT_EQ(parseAddressList("J\xc3\xb6rg <j\xc3\xb6rg@b\xc3\xbc.de>"), V{"j\xc3\xb6rg@b\xc3\xbc.de"});
  // Malformed input: no crash, what can be made out.
  EXPECT_EQ(parseAddressList("<unterminated@x"), V{"unterminated@x"});
  EXPECT_EQ(parseAddressList("\"open quote"), V{"open quote"});
  EXPECT_EQ(parseAddressList("((("), V{});
  EXPECT_EQ(parseAddressList(""), V{});
  EXPECT_EQ(posthorn::address::qualifyAddress("bob", "example.org"), "bob@example.org");
  EXPECT_EQ(posthorn::address::qualifyAddress("bob@x", "example.org"), "bob@x");
}

TEST(HeaderValues, DateIsRfc5322InTheLocalZone) {
  ::setenv("TZ", "Europe/Berlin", 1);
  ::tzset();
  // 2024-01-01 00:00:00 UTC is 01:00 in Berlin (CET, +0100), a Monday.
  EXPECT_EQ(posthorn::cleanup::rfc5322Date(1704067200), "Mon, 1 Jan 2024 01:00:00 +0100 (CET)");
  // Summer time.
  EXPECT_EQ(posthorn::cleanup::rfc5322Date(1719835200), "Mon, 1 Jul 2024 14:00:00 +0200 (CEST)");
  ::setenv("TZ", "America/St_Johns", 1);
  ::tzset();
  EXPECT_EQ(posthorn::cleanup::rfc5322Date(1704067200), "Sun, 31 Dec 2023 20:30:00 -0330 (NST)");
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  EXPECT_EQ(posthorn::cleanup::rfc5322Date(1704067200), "Mon, 1 Jan 2024 00:00:00 +0000 (UTC)");
  ::unsetenv("TZ");
  ::tzset();
}

TEST(HeaderValues, MessageIdAndFrom) {
  using namespace posthorn::cleanup;
  EXPECT_EQ(messageIdValue("1BvWq3ZkT0004", 1704067200, "mx.example"),
            "<20240101000000.1BvWq3ZkT0004@mx.example>");
  EXPECT_EQ(fromValue("jane@x", "", "h"), "jane@x");
  EXPECT_EQ(fromValue("jane@x", "Jane Doe", "h"), "Jane Doe <jane@x>");
  EXPECT_EQ(fromValue("jane@x", "Doe, Jane \"JD\"", "h"), "\"Doe, Jane \\\"JD\\\"\" <jane@x>");
  EXPECT_EQ(fromValue("j@x", "J\xc3\xb6rg", "h"), "=?UTF-8?B?SsO2cmc=?= <j@x>");
  EXPECT_EQ(fromValue("", "", "mx.example"), "MAILER-DAEMON@mx.example");
  EXPECT_EQ(fromValue("j@x", "evil\r\nBcc: x", "h"), "\"evil  Bcc: x\" <j@x>");
}

TEST(Envelope, ChecksAndConversion) {
  namespace ipc = posthorn::ipc;
  namespace q = posthorn::queue;
  using posthorn::cleanup::checkEnvelope;
  ipc::CleanupEnvelope e;
  e.sender = "s@x";
  e.recipients.push_back({"a@x", "rfc822;A@X", q::notify::kSuccess | q::notify::kFailure, "A@x"});
  e.recipients.push_back({"b@x", "", 0, ""});
  EXPECT_EQ(checkEnvelope(e), std::nullopt);

  auto bad = e;
  bad.recipients[1].address = "";
  EXPECT_NE(checkEnvelope(bad), std::nullopt);
  bad = e;
  bad.recipients[0].notify = q::notify::kNever | q::notify::kDelay;
  EXPECT_NE(checkEnvelope(bad), std::nullopt);
  bad = e;
  bad.recipients[0].notify = 0x40;
  EXPECT_NE(checkEnvelope(bad), std::nullopt);
  bad = e;
  bad.sender = "s\r\n@x";
  EXPECT_NE(checkEnvelope(bad), std::nullopt);
  bad = e;
  bad.ret = static_cast<q::Ret>(7);
  EXPECT_NE(checkEnvelope(bad), std::nullopt);
  bad = e;
  bad.body = q::BodyType::BinaryMime;
  EXPECT_NE(checkEnvelope(bad)->find("BINARYMIME"), std::string::npos);

  const q::Time arrival(std::chrono::microseconds(1700000000123456));
  q::Envelope out = posthorn::cleanup::toQueueEnvelope(e, arrival);
  EXPECT_EQ(out.arrival, arrival);
  ASSERT_EQ(out.recipients.size(), 2u);
  EXPECT_EQ(out.recipients[0].orcpt, "rfc822;A@X");
  EXPECT_EQ(out.recipients[0].originalAddress, "A@x");
  EXPECT_EQ(out.recipients[1].originalAddress, "b@x");  // defaults to the address

  posthorn::cleanup::addRecipients(out, {"c", "B@X", "a@x"}, "example.org");
  ASSERT_EQ(out.recipients.size(), 5u);
  EXPECT_EQ(out.recipients[2].address, "c@example.org");
  EXPECT_EQ(out.recipients[2].originalAddress, "c");
  // "B@X" differs from "b@x" in the local part: kept. "a@x" without
  // NOTIFY/ORCPT differs from the first recipient: kept. A true duplicate
  // (domain case aside) goes.
  out.recipients.push_back(out.recipients[1]);
  out.recipients.back().address = "b@X";
  EXPECT_EQ(posthorn::cleanup::removeDuplicateRecipients(out), 1u);
  EXPECT_EQ(out.recipients.size(), 5u);
}

TEST(Settings, LimitsFromTheConfiguration) {
  using posthorn::cleanup::Settings;
  using posthorn::config::Config;
  const Settings s(Config::parse(
      "queue_directory = /q\nmail_owner = mo\nmyhostname = mx.example\nmyorigin = example.org\n"
      "message_size_limit = 1000\nheader_size_limit = 2048\nhopcount_limit = 7\n"
      "ipc_timeout = 20s\ndaemon_timeout = 1h\nmax_idle = 30s\n",
      "posthorn.conf"));
  EXPECT_EQ(s.queueDirectory, "/q");
  EXPECT_EQ(s.session.myhostname, "mx.example");
  EXPECT_EQ(s.session.myorigin, "example.org");
  EXPECT_EQ(s.session.messageSizeLimit, 1000u);
  EXPECT_EQ(s.session.headerSizeLimit, 2048u);
  EXPECT_EQ(s.session.hopcountLimit, 7);
  EXPECT_EQ(s.session.ipcTimeout, std::chrono::seconds(20));
  EXPECT_EQ(s.session.messageTimeout, std::chrono::hours(1));
  EXPECT_EQ(s.session.idleTimeout, std::chrono::seconds(30));
  // Postfix's defaults when unset.
  const Settings d(Config::parse("myhostname = h.example\n", "posthorn.conf"));
  EXPECT_EQ(d.session.headerSizeLimit, 102400u);
  EXPECT_EQ(d.session.hopcountLimit, 50);
  EXPECT_EQ(d.session.messageSizeLimit, 10240000u);
  EXPECT_EQ(d.session.myorigin, "h.example");
  // Bad values name the parameter.
  try {
    Settings bad(Config::parse("header_size_limit = 10\n", "posthorn.conf"));
    FAIL() << "a tiny header_size_limit was accepted";
  } catch (const posthorn::config::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("header_size_limit"), std::string::npos) << e.what();
  }
  EXPECT_THROW(Settings(Config::parse("hopcount_limit = many\n", "posthorn.conf")),
               posthorn::config::ConfigError);
}

}  // namespace
