// master_conf_test - master.conf parsing: fields and their defaults, -o
// overrides, continuation lines, inet addresses, and errors with file:line.
#include <gtest/gtest.h>

#include "lib/config/config.h"
#include "lib/config/master_conf.h"

namespace posthorn::config {
namespace {

std::vector<ServiceEntry> parse(std::string_view text) {
  return parseMasterConf(text, "master.conf");
}

std::string errorOf(std::string_view text) {
  try {
    parse(text);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(MasterConf, FieldsAndDefaults) {
  const auto s = parse(
      "# service type private unpriv chroot wakeup maxproc command\n"
      "\n"
      "mapd      unix  -       -       n       -       -       mapd\n"
      "smtp      inet  n       -       y       -       5       smtpd\n"
      "pickup    unix  n       -       y       60      1       pickup\n"
      "qmgr      unix  n       -       n       300?    1       qmgr\n"
      "local     unix  -       n       n       -       0       local\n");
  ASSERT_EQ(s.size(), 5u);

  EXPECT_EQ(s[0].name, "mapd");
  EXPECT_EQ(s[0].type, ServiceType::Unix);
  EXPECT_TRUE(s[0].privateService);
  EXPECT_TRUE(s[0].unprivileged);
  EXPECT_FALSE(s[0].chroot);
  EXPECT_EQ(s[0].wakeupSeconds, 0);
  EXPECT_FALSE(s[0].maxproc.has_value());
  EXPECT_EQ(s[0].command, "mapd");
  EXPECT_TRUE(s[0].args.empty());
  EXPECT_EQ(s[0].where(), "master.conf:3");

  EXPECT_EQ(s[1].type, ServiceType::Inet);
  EXPECT_FALSE(s[1].privateService);
  EXPECT_TRUE(s[1].chroot);
  EXPECT_EQ(s[1].maxproc, 5);
  EXPECT_EQ(s[1].port, 25);  // "smtp" through getservbyname or the fallback
  EXPECT_EQ(s[1].host, "");

  EXPECT_EQ(s[2].wakeupSeconds, 60);
  EXPECT_FALSE(s[2].wakeupIfUsed);
  EXPECT_EQ(s[3].wakeupSeconds, 300);
  EXPECT_TRUE(s[3].wakeupIfUsed);
  EXPECT_FALSE(s[4].unprivileged);
  EXPECT_EQ(s[4].maxproc, 0);
}

TEST(MasterConf, InetDefaultsToNotPrivate) {
  const auto s = parse("2525 inet - - - - - smtpd\n");
  EXPECT_FALSE(s[0].privateService);
  EXPECT_TRUE(s[0].chroot);
  EXPECT_EQ(s[0].port, 2525);
}

TEST(MasterConf, InetAddresses) {
  const auto s = parse(
      "127.0.0.1:10025 inet n - n - - smtpd\n"
      "[::1]:10026     inet n - n - - smtpd\n"
      "*:submission    inet n - n - - smtpd\n"
      "mail.example.org:imaps inet n - n - - imapd\n");
  EXPECT_EQ(s[0].host, "127.0.0.1");
  EXPECT_EQ(s[0].port, 10025);
  EXPECT_EQ(s[1].host, "::1");
  EXPECT_EQ(s[1].port, 10026);
  EXPECT_EQ(s[2].host, "");
  EXPECT_EQ(s[2].port, 587);
  EXPECT_EQ(s[3].host, "mail.example.org");
  EXPECT_EQ(s[3].port, 993);
  EXPECT_EQ(resolvePort("pop3s"), 995);
  EXPECT_EQ(resolvePort("0"), std::nullopt);
  EXPECT_EQ(resolvePort("65536"), std::nullopt);
}

TEST(MasterConf, OverridesAndArgumentsInOrder) {
  const auto s = parse(
      "submission inet n - y - - smtpd\n"
      "  -o syslog_name=posthorn/submission\n"
      "  -o smtpd_tls_security_level=encrypt\n"
      "# a comment between continuation lines\n"
      "  -o { smtpd_banner = $myhostname submission service }\n"
      "  -osmtpd_timeout=60s -v -n name\n"
      "  argument { with spaces } -o not_an_override=1\n");
  ASSERT_EQ(s.size(), 1u);
  const auto& o = s[0].overrides;
  ASSERT_EQ(o.size(), 4u);
  EXPECT_EQ(o[0], (std::pair<std::string, std::string>{"syslog_name", "posthorn/submission"}));
  EXPECT_EQ(o[1], (std::pair<std::string, std::string>{"smtpd_tls_security_level", "encrypt"}));
  EXPECT_EQ(o[2], (std::pair<std::string, std::string>{"smtpd_banner", "$myhostname submission service"}));
  EXPECT_EQ(o[3], (std::pair<std::string, std::string>{"smtpd_timeout", "60s"}));
  EXPECT_EQ(s[0].args, (std::vector<std::string>{"-v", "-n", "name", "argument", "with spaces", "-o",
                                                 "not_an_override=1"}));
  EXPECT_EQ(s[0].line, 1);
}

TEST(MasterConf, OverridesWinOverPosthornConf) {
  Config cfg = Config::parse("max_use = 10\nsmtpd_timeout = 5m\nmyhostname = mx.example\n",
                             "posthorn.conf");
  const auto s = parse(
      "\n"
      "smtp inet n - y - - smtpd -o max_use=20\n"
      "   -o { smtpd_banner = $myhostname ready }\n"
      "   -o max_idle=lots\n");
  applyOverrides(s[0], cfg);
  EXPECT_EQ(cfg.getInt("max_use"), 20);
  EXPECT_EQ(cfg.getTime("smtpd_timeout"), std::chrono::seconds(300));  // untouched
  EXPECT_EQ(cfg.get("smtpd_banner"), "mx.example ready");
  EXPECT_EQ(cfg.origin("max_use").describe(), "master.conf:2");
  try {
    (void)cfg.getTime("max_idle");
    FAIL() << "no error for max_idle=lots";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "master.conf:2: max_idle = \"lots\": not a time (a number with an optional unit s, "
              "m, h, d or w)");
  }
}

TEST(MasterConf, ErrorsNameFileLineAndValue) {
  EXPECT_EQ(errorOf("# x\nsmtp fifo n - n - - smtpd\n"),
            "master.conf:2: service smtp: unsupported service type \"fifo\" (expected inet or unix)");
  EXPECT_EQ(errorOf("mapd unix - - n - -\n"),
            "master.conf:1: expected at least 8 fields (service type private unpriv chroot "
            "wakeup maxproc command), found 7");
  EXPECT_EQ(errorOf("mapd unix x - n - - mapd\n"),
            "master.conf:1: private field: bad value \"x\" (expected y, n or -)");
  EXPECT_EQ(errorOf("mapd unix - yes n - - mapd\n"),
            "master.conf:1: unpriv field: bad value \"yes\" (expected y, n or -)");
  EXPECT_EQ(errorOf("mapd unix - - n 1m - mapd\n"),
            "master.conf:1: wakeup field: bad value \"1m\" (expected a number or -)");
  EXPECT_EQ(errorOf("mapd unix - - n - -1 mapd\n"),
            "master.conf:1: maxproc field: bad value \"-1\" (expected a number or -)");
  EXPECT_EQ(errorOf("smtp inet y - n - - smtpd\n"),
            "master.conf:1: service smtp: an inet service cannot be private (write n or -)");
  EXPECT_EQ(errorOf("nosuchservice inet n - n - - smtpd\n"),
            "master.conf:1: inet service \"nosuchservice\": unknown port \"nosuchservice\"");
  EXPECT_EQ(errorOf("::1:25 inet n - n - - smtpd\n"),
            "master.conf:1: inet service \"::1:25\": write an IPv6 address as [address]:port");
  EXPECT_EQ(errorOf("[::1 inet n - n - - smtpd\n"),
            "master.conf:1: inet service \"[::1\": expected [address]:port");
  EXPECT_EQ(errorOf("smtp inet n - n - - smtpd -o\n"),
            "master.conf:1: -o at the end of the line: expected name=value");
  EXPECT_EQ(errorOf("smtp inet n - n - - smtpd\n  -o novalue\n"),
            "master.conf:1: -o \"novalue\": expected name=value");
  EXPECT_EQ(errorOf("smtp inet n - n - - smtpd -o { a = b\n"),
            "master.conf:1: unmatched '{' in \"{ a = b\"");
  EXPECT_EQ(errorOf("  -o x=y\n"),
            "master.conf:1: continuation line (starts with white space) without a preceding "
            "service line");
}

TEST(MasterConf, DuplicateServiceNamesBothLines) {
  EXPECT_EQ(errorOf("mapd unix - - n - - mapd\n\nmapd unix - - n - - mapd\n"),
            "master.conf:3: duplicate service mapd unix (first defined at master.conf:1)");
  // The same name with another type is a different service.
  EXPECT_EQ(parse("smtp inet n - n - - smtpd\nsmtp unix - - n - - smtp\n").size(), 2u);
}

TEST(MasterConf, LoadNamesTheFile) {
  try {
    loadMasterConf("/nonexistent-dir");
    FAIL() << "no error for a missing master.conf";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()).rfind("/nonexistent-dir/master.conf: cannot open", 0), 0u)
        << e.what();
  }
}

}  // namespace
}  // namespace posthorn::config
