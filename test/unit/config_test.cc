// config_test - posthorn.conf parsing, expansion, typed accessors, and the
// `posthorn conf` / `posthorn check` commands run against temporary directories.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "lib/config/config.h"
#include "lib/config/master_conf.h"
#include "tools/check_command.h"
#include "tools/conf_command.h"

namespace posthorn::config {
namespace {

// EXPECT_CONTAINS(text, part): text contains part (no gmock needed).
::testing::AssertionResult containsFormat(const char* textExpr, const char* partExpr,
                                          const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << textExpr << " does not contain " << partExpr
                                       << "\n  text: " << text << "\n  part: " << part;
}
#define EXPECT_CONTAINS(text, part) EXPECT_PRED_FORMAT2(containsFormat, text, part)

Config parse(std::string_view text, std::vector<std::string>* warnings = nullptr) {
  return Config::parse(text, "posthorn.conf", warnings);
}

// The ConfigError message thrown by f, or "" when nothing was thrown.
template <class F>
std::string errorOf(F&& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

// ------------------------------------------------------------ syntax

TEST(ConfigSyntax, NameValueCommentsAndBlankLines) {
  const Config c = parse(
      "# a comment\n"
      "\n"
      "myhostname = mx.example.org\n"
      "   # indented comment\n"
      "relayhost=[smtp.example.net]:587   \n"
      "mail_name =\n");
  EXPECT_EQ(c.get("myhostname"), "mx.example.org");
  EXPECT_EQ(c.get("relayhost"), "[smtp.example.net]:587");
  EXPECT_TRUE(c.isSet("mail_name"));
  EXPECT_EQ(c.get("mail_name"), "");
  EXPECT_EQ(c.origin("myhostname").describe(), "posthorn.conf:3");
  EXPECT_EQ(c.origin("relayhost").describe(), "posthorn.conf:5");
}

TEST(ConfigSyntax, ContinuationLinesJoinWithOneSpace) {
  const Config c = parse(
      "mydestination = a.example,\n"
      "    b.example,\n"
      "# comment inside\n"
      "\tc.example\n"
      "relayhost = x\n");
  EXPECT_EQ(c.get("mydestination"), "a.example, b.example, c.example");
  EXPECT_EQ(c.origin("mydestination").line, 1);
  EXPECT_EQ(c.origin("relayhost").line, 5);
  EXPECT_EQ(c.getList("mydestination"),
            (std::vector<std::string>{"a.example", "b.example", "c.example"}));
}

TEST(ConfigSyntax, HashInsideValueIsNotAComment) {
  const Config c = parse("smtpd_banner = $myhostname #1\n");
  EXPECT_EQ(c.rawValue("smtpd_banner"), "$myhostname #1");
}

TEST(ConfigSyntax, CrlfLineEndings) {
  const Config c = parse("relayhost = a\r\nmyorigin = b\r\n");
  EXPECT_EQ(c.get("relayhost"), "a");
  EXPECT_EQ(c.get("myorigin"), "b");
}

TEST(ConfigSyntax, LineWithoutEqualsIsAnErrorWithFileAndLine) {
  const std::string e = errorOf([] { parse("relayhost = a\n\nthis is wrong\n"); });
  EXPECT_CONTAINS(e, "posthorn.conf:3:");
  EXPECT_CONTAINS(e, "missing '='");
  EXPECT_CONTAINS(e, "this is wrong");
}

TEST(ConfigSyntax, BadNamesAndLeadingContinuationAreErrors) {
  EXPECT_CONTAINS(errorOf([] { parse("= value\n"); }), "posthorn.conf:1: missing parameter name");
  EXPECT_CONTAINS(errorOf([] { parse("a b = c\n"); }), "posthorn.conf:1: bad parameter name \"a b\"");
  EXPECT_CONTAINS(errorOf([] { parse("# x\n  indented = 1\n"); }), "posthorn.conf:2: continuation line");
}

TEST(ConfigSyntax, LaterAssignmentWins) {
  const Config c = parse("relayhost = one\nrelayhost = two\n");
  EXPECT_EQ(c.get("relayhost"), "two");
  EXPECT_EQ(c.origin("relayhost").line, 2);
}

TEST(ConfigSyntax, UnknownParameterWarnsWithFileAndLine) {
  std::vector<std::string> warnings;
  const Config c = parse("relayhost = a\nno_such_thing = 1\nmy_list = x\nalias_maps = $my_list\n",
                         &warnings);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_EQ(warnings[0], "posthorn.conf:2: warning: unknown parameter no_such_thing");
  EXPECT_EQ(c.get("no_such_thing"), "1");  // still readable
  EXPECT_EQ(c.get("alias_maps"), "x");     // my_list is used, so no warning
}

TEST(ConfigSyntax, LoadReadsTheFileAndNamesItsPath) {
  char tmpl[] = "/tmp/config_test.XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  EXPECT_CONTAINS(errorOf([&] { Config::load(dir); }), dir + "/posthorn.conf: cannot open");
  std::ofstream(dir + "/posthorn.conf") << "relayhost = x\nmax_use = lots\n";
  const Config c = Config::load(dir);
  EXPECT_EQ(c.configDir(), dir);
  EXPECT_EQ(c.get("config_directory"), dir);
  EXPECT_EQ(c.get("alias_maps"), "hash:" + dir + "/aliases");
  EXPECT_CONTAINS(errorOf([&] { (void)c.getInt("max_use"); }), dir + "/posthorn.conf:2: max_use = \"lots\": not an integer");
  std::filesystem::remove_all(dir);
}

// ------------------------------------------------------------ expansion

TEST(ConfigExpansion, AllForms) {
  const Config c = parse(
      "mydomain = example.org\n"
      "myhostname = mx.$mydomain\n"
      "myorigin = ${mydomain}\n"
      "relayhost = $(mydomain)\n"
      "a_set = yes\n"
      "a_empty =\n"
      "t1 = ${a_set?on}|${a_empty?on}|${undefined_name?on}\n"
      "t2 = ${a_set:off}|${a_empty:off}|${undefined_name:off}\n"
      "t3 = ${a_set?{first}:{second}}|${a_empty?{first}:{second}}\n"
      "t4 = $$literal $$$mydomain cost$ 5\n"
      "t5 = ${a_set?$myhostname}\n"
      "t6 = $undefined_name!\n"
      "use = $t1 $t2 $t3 $t4 $t5 $t6\n");
  EXPECT_EQ(c.get("myhostname"), "mx.example.org");
  EXPECT_EQ(c.get("myorigin"), "example.org");
  EXPECT_EQ(c.get("relayhost"), "example.org");
  EXPECT_EQ(c.get("t1"), "on||");
  EXPECT_EQ(c.get("t2"), "|off|off");
  EXPECT_EQ(c.get("t3"), "first|second");
  EXPECT_EQ(c.get("t4"), "$literal $example.org cost$ 5");
  EXPECT_EQ(c.get("t5"), "mx.example.org");
  EXPECT_EQ(c.get("t6"), "!");
  EXPECT_EQ(c.rawValue("myhostname"), "mx.$mydomain");
}

TEST(ConfigExpansion, LazyLaterAssignmentIsSeenByEarlierReferences) {
  const Config c = parse(
      "myorigin = $mydomain\n"
      "mydomain = first.example\n"
      "mydomain = second.example\n");
  EXPECT_EQ(c.get("myorigin"), "second.example");
}

TEST(ConfigExpansion, DefaultsExpandAgainstSettings) {
  const Config c = parse("myhostname = mail.example.com\nmail_name = Posthorn\n");
  EXPECT_EQ(c.get("mydomain"), "example.com");
  EXPECT_EQ(c.get("myorigin"), "mail.example.com");
  EXPECT_EQ(c.get("mydestination"), "mail.example.com, localhost.example.com, localhost");
  EXPECT_EQ(c.get("smtpd_banner"), "mail.example.com ESMTP Posthorn");
  EXPECT_FALSE(c.isSet("smtpd_banner"));
  EXPECT_EQ(c.origin("smtpd_banner").describe(), "default");

  const Config bare = parse("myhostname = localhost\n");
  EXPECT_EQ(bare.get("mydomain"), "localdomain");
}

TEST(ConfigExpansion, ExpandArbitraryText) {
  const Config c = parse("mydomain = example.net\n");
  EXPECT_EQ(c.expand("postmaster@$mydomain"), "postmaster@example.net");
}

TEST(ConfigExpansion, LoopIsDetectedAndNamesTheChain) {
  const Config c = parse("relayhost = ok\nmyorigin = $relay_x\nrelay_x = ${myorigin}\n");
  const std::string e = errorOf([&] { (void)c.get("myorigin"); });
  EXPECT_CONTAINS(e, "expansion loop");
  EXPECT_CONTAINS(e, "myorigin -> relay_x -> myorigin");
  EXPECT_CONTAINS(e, "posthorn.conf:3");  // relay_x's line closes the loop
  EXPECT_EQ(c.get("relayhost"), "ok");

  const Config self = parse("myorigin = x$myorigin\n");
  EXPECT_CONTAINS(errorOf([&] { (void)self.get("myorigin"); }), "posthorn.conf:1: parameter expansion loop: myorigin -> myorigin");

  // Through a computed default: mydomain follows myhostname.
  const Config computed = parse("myhostname = mx.$mydomain\n");
  EXPECT_CONTAINS(errorOf([&] { (void)computed.get("myhostname"); }), "expansion loop");
}

TEST(ConfigExpansion, UnmatchedBraceIsAnError) {
  const Config c = parse("myorigin = ${mydomain\n");
  EXPECT_CONTAINS(errorOf([&] { (void)c.get("myorigin"); }), "posthorn.conf:1: unmatched '{'");
}

// ------------------------------------------------------------ typed values

TEST(ConfigTyped, IntegersAndTheirErrors) {
  const Config c = parse("max_use = 42\ndefault_process_limit = -3\n\n\n\n\n\n\n\n\n\n"
                         "message_size_limit = 10MBx\nsmtpd_recipient_limit = 99999999999999999999\n");
  EXPECT_EQ(c.getInt("max_use"), 42);
  EXPECT_EQ(c.getInt("default_process_limit"), -3);
  EXPECT_EQ(c.getInt("debug_peer_level"), 2);  // default
  EXPECT_EQ(errorOf([&] { (void)c.getInt("message_size_limit"); }),
            "posthorn.conf:12: message_size_limit = \"10MBx\": not an integer");
  EXPECT_CONTAINS(errorOf([&] { (void)c.getInt("smtpd_recipient_limit"); }), "posthorn.conf:13: smtpd_recipient_limit = \"99999999999999999999\": integer out of range");
}

TEST(ConfigTyped, ErrorShowsExpandedAndRawValue) {
  const Config c = parse("my_n = 7x\nmax_use = $my_n\n");
  const std::string e = errorOf([&] { (void)c.getInt("max_use"); });
  EXPECT_EQ(e, "posthorn.conf:2: max_use = \"7x\" (from \"$my_n\"): not an integer");
}

TEST(ConfigTyped, Booleans) {
  const Config c = parse("a = yes\nb = No\nc = true\nd = FALSE\ne = 1\nf = 0\ng = maybe\n");
  EXPECT_TRUE(c.getBool("a"));
  EXPECT_FALSE(c.getBool("b"));
  EXPECT_TRUE(c.getBool("c"));
  EXPECT_FALSE(c.getBool("d"));
  EXPECT_TRUE(c.getBool("e"));
  EXPECT_FALSE(c.getBool("f"));
  EXPECT_EQ(errorOf([&] { (void)c.getBool("g"); }),
            "posthorn.conf:7: g = \"maybe\": not a boolean (yes or no)");
}

TEST(ConfigTyped, TimesWithPostfixUnits) {
  const Config c = parse("a = 30\nb = 30s\nc = 5m\nd = 2h\ne = 5d\nf = 1w\ng = 10x\nh = m\ni = -5s\n");
  using std::chrono::seconds;
  EXPECT_EQ(c.getTime("a"), seconds(30));
  EXPECT_EQ(c.getTime("b"), seconds(30));
  EXPECT_EQ(c.getTime("c"), seconds(300));
  EXPECT_EQ(c.getTime("d"), seconds(7200));
  EXPECT_EQ(c.getTime("e"), seconds(5 * 86400));
  EXPECT_EQ(c.getTime("f"), seconds(7 * 86400));
  EXPECT_EQ(c.getTime("max_idle"), seconds(100));        // default 100s
  EXPECT_EQ(c.getTime("daemon_timeout"), seconds(18000));
  EXPECT_CONTAINS(errorOf([&] { (void)c.getTime("g"); }), "posthorn.conf:7: g = \"10x\": not a time");
  EXPECT_CONTAINS(errorOf([&] { (void)c.getTime("h"); }), "posthorn.conf:8: h = \"m\": not a time");
  EXPECT_CONTAINS(errorOf([&] { (void)c.getTime("i"); }), "posthorn.conf:9: i = \"-5s\": not a time");
}

TEST(ConfigTyped, Sizes) {
  const Config c = parse("a = 1000\nb = 10k\nc = 2M\nd = 1g\ne = 12q\nf = \n");
  EXPECT_EQ(c.getSize("a"), 1000u);
  EXPECT_EQ(c.getSize("b"), 10240u);
  EXPECT_EQ(c.getSize("c"), 2u * 1024 * 1024);
  EXPECT_EQ(c.getSize("d"), 1024ull * 1024 * 1024);
  EXPECT_EQ(c.getSize("message_size_limit"), 10240000u);
  EXPECT_CONTAINS(errorOf([&] { (void)c.getSize("e"); }), "posthorn.conf:5: e = \"12q\": not a size");
  EXPECT_CONTAINS(errorOf([&] { (void)c.getSize("f"); }), "posthorn.conf:6: f = \"\": not a size");
}

TEST(ConfigTyped, ListsSplitOnCommasAndWhiteSpace) {
  const Config c = parse(
      "mynetworks = 127.0.0.0/8,[::1]/128 ,, 10.0.0.0/8\n"
      "   192.168.0.0/16\n"
      "b = { one element, with comma } two\n"
      "empty =\n");
  EXPECT_EQ(c.getList("mynetworks"),
            (std::vector<std::string>{"127.0.0.0/8", "[::1]/128", "10.0.0.0/8", "192.168.0.0/16"}));
  EXPECT_EQ(c.getList("b"), (std::vector<std::string>{"one element, with comma", "two"}));
  EXPECT_TRUE(c.getList("empty").empty());
  EXPECT_TRUE(c.getList("relay_domains").empty());
  const Config maps = parse("m = hash:/x, inline:{ a=b, { c = d e } },texthash:/y\n");
  EXPECT_EQ(maps.getList("m"), (std::vector<std::string>{"hash:/x", "inline:{ a=b, { c = d e } }",
                                                          "texthash:/y"}));
}

TEST(ConfigTyped, KeywordListsAreUpperCase) {
  const Config c = parse("k = pipelining, Auth=login {x-Émoi y}\n");
  EXPECT_EQ(c.getKeywordList("k"), (std::vector<std::string>{"PIPELINING", "AUTH=LOGIN", "X-ÉMOI Y"}));
  EXPECT_TRUE(c.getKeywordList("smtpd_discard_ehlo_keywords").empty());
}

TEST(ConfigTyped, ProxyReadMapsDefaultExpandsTheTables) {
  const Config c = parse(
      "mydomain = x\nvirtual_alias_maps = hash:/etc/mail/virtual\n"
      "virtual_mailbox_domains = example.org hash:/etc/mail/vdomains\n");
  const auto maps = c.getList("proxy_read_maps");
  // virtual_alias_domains defaults to $virtual_alias_maps, hence the repeat;
  // mapd ignores the plain domain name.
  EXPECT_EQ(maps, (std::vector<std::string>{"hash:" + c.get("config_directory") + "/aliases",
                                            "hash:/etc/mail/virtual", "hash:/etc/mail/virtual",
                                            "example.org", "hash:/etc/mail/vdomains",
                                            // the default smtpd_relay_restrictions
                                            "permit_mynetworks", "permit_sasl_authenticated",
                                            "reject_unauth_destination"}));
}

TEST(ConfigTyped, ProxyReadMapsDefaultTakesInTheRestrictionLists) {
  // As Postfix's: the access tables named in the restriction lists (and
  // rbl_reply_maps, smtpd_sender_login_maps) are allowed; mapd takes the
  // type:name words of it.
  const Config c = parse(
      "mydomain = x\nalias_maps =\nsmtpd_relay_restrictions = permit_mynetworks reject_unauth_destination\n"
      "smtpd_client_restrictions = check_client_access cidr:/etc/mail/clients\n"
      "smtpd_helo_restrictions = check_helo_access hash:/etc/mail/helo\n"
      "smtpd_sender_restrictions = check_sender_access hash:/etc/mail/senders\n"
      "smtpd_recipient_restrictions = check_recipient_access pcre:/etc/mail/rcpt.pcre\n"
      "smtpd_data_restrictions = check_client_access hash:/etc/mail/data\n"
      "smtpd_end_of_data_restrictions = check_sender_access hash:/etc/mail/eod\n"
      "rbl_reply_maps = hash:/etc/mail/rbl_reply\nsmtpd_sender_login_maps = hash:/etc/mail/logins\n");
  EXPECT_EQ(c.getList("proxy_read_maps"),
            (std::vector<std::string>{"hash:/etc/mail/logins", "check_client_access", "cidr:/etc/mail/clients",
                                      "check_helo_access", "hash:/etc/mail/helo", "check_sender_access",
                                      "hash:/etc/mail/senders", "permit_mynetworks", "reject_unauth_destination",
                                      "check_recipient_access", "pcre:/etc/mail/rcpt.pcre", "check_client_access",
                                      "hash:/etc/mail/data", "check_sender_access", "hash:/etc/mail/eod",
                                      "hash:/etc/mail/rbl_reply"}));
}

TEST(ConfigTyped, OverridesWinOverTheFile) {
  Config c = parse("max_use = 10\nmyorigin = $mydomain\nmydomain = file.example\n");
  c.set("max_use", "20", Origin{"master.conf", 7});
  c.set("mydomain", "override.example");
  EXPECT_EQ(c.getInt("max_use"), 20);
  EXPECT_EQ(c.get("myorigin"), "override.example");
  EXPECT_EQ(c.origin("max_use").describe(), "master.conf:7");
  EXPECT_EQ(c.origin("mydomain").describe(), "override");
  c.set("max_use", "many", Origin{"master.conf", 7});
  EXPECT_EQ(errorOf([&] { (void)c.getInt("max_use"); }),
            "master.conf:7: max_use = \"many\": not an integer");
}

TEST(ConfigDefaults, TableIsCompleteAndValid) {
  const Config c = Config::defaults();
  EXPECT_TRUE(c.validate().empty());
  for (const char* name : {"config_directory", "daemon_directory", "command_directory",
                           "queue_directory", "data_directory", "mail_owner", "setgid_group",
                           "myhostname", "mydomain", "myorigin", "mydestination", "mynetworks",
                           "inet_interfaces", "inet_protocols", "message_size_limit",
                           "syslog_name", "maillog_file", "process_id_directory",
                           "proxy_read_maps", "smtpd_banner"}) {
    EXPECT_NE(findParameter(name), nullptr) << name;
  }
  EXPECT_EQ(findParameter("no_such_parameter"), nullptr);
  EXPECT_EQ(c.get("queue_directory"), "/var/spool/posthorn");
  EXPECT_EQ(c.get("mail_owner"), "posthorn");
  EXPECT_EQ(c.get("syslog_name"), "posthorn");
  EXPECT_EQ(c.getInt("default_process_limit"), 100);
  EXPECT_EQ(c.getTime("ipc_timeout"), std::chrono::seconds(3600));
  EXPECT_FALSE(c.get("myhostname").empty());
  EXPECT_EQ(c.get("myorigin"), c.get("myhostname"));
  const std::string host = c.get("myhostname");
  const auto dot = host.find('.');
  EXPECT_EQ(c.get("mydomain"), dot == std::string::npos ? "localdomain" : host.substr(dot + 1));
}

// Rows whose defaults refer to other parameters or carry units, as the
// programs that read them (smtpd, resolver, cleanup, authd, local, qmgr) use them.
TEST(ConfigDefaults, PostfixDefaultsOfTheServiceParameters) {
  Config c = parse(
      "myhostname = mx.example.org\n"
      "virtual_alias_maps = hash:/etc/mail/virtual\n"
      "virtual_mailbox_maps = hash:/etc/mail/vmailbox\n"
      "smtpd_tls_cert_file = /etc/mail/tls/cert.pem\n"
      "mynetworks = 192.0.2.0/24\n");
  EXPECT_TRUE(c.validate().empty()) << c.validate().front();
  EXPECT_EQ(c.getList("virtual_alias_domains"),
            (std::vector<std::string>{"hash:/etc/mail/virtual"}));
  EXPECT_EQ(c.getList("virtual_mailbox_domains"),
            (std::vector<std::string>{"hash:/etc/mail/vmailbox"}));
  EXPECT_EQ(c.get("local_transport"), "local:mx.example.org");
  EXPECT_EQ(c.get("virtual_transport"), "local");
  EXPECT_EQ(c.get("relay_transport"), "smtp");
  EXPECT_EQ(c.get("default_transport"), "smtp");
  EXPECT_EQ(c.getList("proxy_interfaces"), std::vector<std::string>{});
  EXPECT_FALSE(c.getBool("strict_rfc821_envelopes"));
  const auto parents = c.getList("parent_domain_matches_subdomains");
  EXPECT_NE(std::find(parents.begin(), parents.end(), "relay_domains"), parents.end());
  EXPECT_EQ(std::find(parents.begin(), parents.end(), "mydestination"), parents.end());

  EXPECT_EQ(c.get("smtpd_tls_key_file"), "/etc/mail/tls/cert.pem");
  EXPECT_EQ(c.get("smtpd_tls_security_level"), "");
  EXPECT_EQ(c.get("smtpd_tls_protocols"), ">=TLSv1.2");
  EXPECT_FALSE(c.getBool("smtpd_tls_wrappermode"));
  EXPECT_EQ(c.getList("smtpd_forbid_bare_newline_exclusions"),
            std::vector<std::string>{"192.0.2.0/24"});
  EXPECT_EQ(c.get("smtpd_forbid_bare_newline"), "normalize");
  EXPECT_EQ(c.getInt("smtpd_hard_error_limit"), 20);
  EXPECT_TRUE(c.getBool("smtpd_peername_lookup"));
  EXPECT_FALSE(c.getBool("smtpd_helo_required"));
  EXPECT_FALSE(c.getBool("disable_vrfy_command"));
  EXPECT_EQ(c.getInt("relay_domains_reject_code"), 554);
  EXPECT_EQ(c.getInt("unknown_local_recipient_reject_code"), 550);
  EXPECT_EQ(c.getInt("unknown_virtual_mailbox_reject_code"), 550);

  EXPECT_EQ(c.getSize("header_size_limit"), 102400u);
  EXPECT_EQ(c.getInt("hopcount_limit"), 50);
  EXPECT_EQ(c.getInt("qmgr_message_active_limit"), 20000);
  EXPECT_EQ(c.getInt("default_destination_concurrency_limit"), 20);

  EXPECT_EQ(c.get("auth_passwd_file"), c.get("config_directory") + "/passwd");
  EXPECT_EQ(c.getInt("virtual_minimum_uid"), 100);

  // local(8) replaces $home itself: the expanded default must keep it.
  EXPECT_EQ(c.getList("forward_path"), std::vector<std::string>{"$home/.forward"});
  EXPECT_EQ(c.getList("allow_mail_to_commands"), (std::vector<std::string>{"alias", "forward"}));
  EXPECT_EQ(c.getList("allow_mail_to_files"), (std::vector<std::string>{"alias", "forward"}));
  EXPECT_EQ(c.get("default_privs"), "nobody");
  EXPECT_EQ(c.get("mail_spool_directory"), "/var/mail");
  EXPECT_EQ(c.getTime("command_time_limit"), std::chrono::seconds(1000));

  // A Postfix-style value with a unit and a bad one in a reject code.
  c.set("command_time_limit", "2h");
  EXPECT_EQ(c.getTime("command_time_limit"), std::chrono::hours(2));
  c.set("relay_domains_reject_code", "five-five-four", Origin{"posthorn.conf", 3});
  EXPECT_EQ(errorOf([&] { (void)c.getInt("relay_domains_reject_code"); }),
            "posthorn.conf:3: relay_domains_reject_code = \"five-five-four\": not an integer");
}

TEST(ConfigDefaults, ConfigDirFromEnvironment) {
  ::setenv("MAIL_CONFIG", "/srv/mailconf", 1);
  EXPECT_EQ(defaultConfigDir(), "/srv/mailconf");
  EXPECT_EQ(Config::defaults().get("config_directory"), "/srv/mailconf");
  ::unsetenv("MAIL_CONFIG");
  EXPECT_EQ(defaultConfigDir(), POSTHORN_CONFIG_DIR);
}

TEST(ConfigValidate, ReportsEveryBadValueOnce) {
  const Config c = parse("max_use = x\nmax_idle = 5y\nmyorigin = $a_loop\na_loop = $myorigin\n");
  const auto problems = c.validate();
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_CONTAINS(problems[0] + problems[1] + problems[2], "posthorn.conf:1: max_use = \"x\"");
  EXPECT_CONTAINS(problems[0] + problems[1] + problems[2], "posthorn.conf:2: max_idle = \"5y\"");
  EXPECT_CONTAINS(problems[0] + problems[1] + problems[2], "expansion loop");
}

// ------------------------------------------------------------ posthorn conf / check

class ConfCommand : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/conf_command_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  void write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ + "/" + name) << text;
  }
  int conf(std::vector<std::string> args) {
    args.insert(args.begin(), {"-c", dir_});
    out_.str("");
    err_.str("");
    return tools::runConf(args, out_, err_);
  }
  int check() {
    out_.str("");
    err_.str("");
    return tools::runCheck({"-c", dir_}, out_, err_);
  }

  std::string dir_;
  std::ostringstream out_, err_;
};

TEST_F(ConfCommand, PrintsSortedExpandedValues) {
  write("posthorn.conf", "myhostname = mx.example.org\nrelayhost = [$mydomain]\n");
  EXPECT_EQ(conf({}), 0);
  const std::string all = out_.str();
  EXPECT_CONTAINS(all, "\nmydomain = example.org\n");
  EXPECT_CONTAINS(all, "\nrelayhost = [example.org]\n");
  EXPECT_CONTAINS(all, "\nrecipient_delimiter =\n");
  EXPECT_CONTAINS(all, "config_directory = " + dir_ + "\n");
  EXPECT_LT(all.find("alias_maps ="), all.find("mydomain ="));
  EXPECT_LT(all.find("mydomain ="), all.find("relayhost ="));
  EXPECT_EQ(err_.str(), "");
}

TEST_F(ConfCommand, NonDefaultsOnly) {
  write("posthorn.conf", "relayhost = [$mydomain]\nmyhostname = mx.example.org\n");
  EXPECT_EQ(conf({"-n"}), 0);
  EXPECT_EQ(out_.str(), "myhostname = mx.example.org\nrelayhost = [example.org]\n");
}

TEST_F(ConfCommand, NamedParametersDefaultsAndUnknownNames) {
  write("posthorn.conf", "myorigin = example.com\nmax_use = 7\n");
  EXPECT_EQ(conf({"myorigin", "max_use"}), 0);
  EXPECT_EQ(out_.str(), "myorigin = example.com\nmax_use = 7\n");

  EXPECT_EQ(conf({"-d", "max_use", "smtpd_timeout"}), 0);
  EXPECT_EQ(out_.str(), "max_use = 100\nsmtpd_timeout = 300s\n");

  EXPECT_EQ(conf({"-h", "max_use"}), 0);
  EXPECT_EQ(out_.str(), "7\n");

  EXPECT_EQ(conf({"max_use", "no_such_param"}), 1);
  EXPECT_EQ(out_.str(), "max_use = 7\n");
  EXPECT_EQ(err_.str(), "posthorn: warning: no_such_param: unknown parameter\n");
}

TEST_F(ConfCommand, ErrorsAndWarningsFromTheFile) {
  write("posthorn.conf", "relayhost = x\nbogus_name = 1\n");
  EXPECT_EQ(conf({"relayhost"}), 0);
  EXPECT_EQ(err_.str(), "posthorn: " + dir_ + "/posthorn.conf:2: warning: unknown parameter bogus_name\n");

  write("posthorn.conf", "relayhost = x\nnot a setting\n");
  EXPECT_EQ(conf({}), 1);
  EXPECT_CONTAINS(err_.str(), "posthorn: fatal: " + dir_ + "/posthorn.conf:2: missing '='");

  EXPECT_EQ(conf({"-x"}), 1);
  EXPECT_CONTAINS(err_.str(), "usage");
}

TEST_F(ConfCommand, CheckAcceptsAValidConfiguration) {
  std::filesystem::create_directory(dir_ + "/libexec");
  write("libexec/mapd", "#!/bin/sh\n");
  ::chmod((dir_ + "/libexec/mapd").c_str(), 0755);
  write("posthorn.conf", "daemon_directory = " + dir_ + "/libexec\nmax_idle = 10m\n");
  write("master.conf", "mapd unix - - n - - mapd\n");
  EXPECT_EQ(check(), 0) << err_.str();
  EXPECT_EQ(err_.str().find("fatal"), std::string::npos);
}

TEST_F(ConfCommand, CheckReportsEveryProblemWithFileAndLine) {
  std::filesystem::create_directory(dir_ + "/libexec");
  write("libexec/mapd", "#!/bin/sh\n");
  ::chmod((dir_ + "/libexec/mapd").c_str(), 0755);
  write("posthorn.conf",
        "daemon_directory = " + dir_ + "/libexec\n"
        "message_size_limit = 10MBx\n"
        "max_idle = soon\n");
  write("master.conf",
        "mapd unix - - n - - mapd\n"
        "other unix - - n - - mapd -o max_use=lots\n"
        "missing unix - - n - - nosuchdaemon\n");
  EXPECT_EQ(check(), 1);
  const std::string e = err_.str();
  EXPECT_CONTAINS(e, "posthorn: fatal: " + dir_ + "/posthorn.conf:2: message_size_limit = \"10MBx\"");
  EXPECT_CONTAINS(e, "posthorn: fatal: " + dir_ + "/posthorn.conf:3: max_idle = \"soon\": not a time");
  EXPECT_CONTAINS(e, "posthorn: fatal: " + dir_ + "/master.conf:2: max_use = \"lots\": not an integer");
  EXPECT_CONTAINS(e, "posthorn: fatal: " + dir_ + "/master.conf:3: service missing: command nosuchdaemon");
}

TEST_F(ConfCommand, CheckReportsSyntaxErrorsInBothFiles) {
  write("posthorn.conf", "relayhost\n");
  write("master.conf", "smtp fifo n - n - - smtpd\n");
  EXPECT_EQ(check(), 1);
  EXPECT_CONTAINS(err_.str(), "posthorn: fatal: " + dir_ + "/posthorn.conf:1: missing '='");
  EXPECT_CONTAINS(err_.str(), "posthorn: fatal: " + dir_ + "/master.conf:1: service smtp: unsupported service type \"fifo\"");
}

TEST_F(ConfCommand, CheckNeedsBothFiles) {
  EXPECT_EQ(check(), 1);
  EXPECT_CONTAINS(err_.str(), "posthorn.conf: cannot open");
  EXPECT_CONTAINS(err_.str(), "master.conf: cannot open");
}

TEST_F(ConfCommand, ShippedSampleFilesAreValid) {
  const char* src = std::getenv("POSTHORN_SRCDIR");
  if (src == nullptr) GTEST_SKIP() << "POSTHORN_SRCDIR not set";
  const std::string conf = std::string(src) + "/conf";
  std::vector<std::string> warnings;
  const Config c = Config::load(conf, &warnings);
  EXPECT_TRUE(warnings.empty()) << warnings.front();
  EXPECT_TRUE(c.validate().empty()) << c.validate().front();
  const auto services = loadMasterConf(conf);
  ASSERT_FALSE(services.empty());
  // mapd opens the tables outside the chroot on behalf of chrooted services.
  const auto mapd = std::find_if(services.begin(), services.end(),
                                 [](const auto& s) { return s.name == "mapd"; });
  ASSERT_NE(mapd, services.end());
  EXPECT_FALSE(mapd->chroot);
}

TEST(ConfigDefaults, EveryParameterIsDocumented) {
  const char* src = std::getenv("POSTHORN_SRCDIR");
  if (src == nullptr) GTEST_SKIP() << "POSTHORN_SRCDIR not set";
  std::ifstream in(std::string(src) + "/man/posthorn.conf.5");
  ASSERT_TRUE(in) << "man/posthorn.conf.5 missing";
  std::stringstream page;
  page << in.rdbuf();
  for (const ParamInfo& p : knownParameters()) {
    // Entries read ".TP\n\fBname\fR (type; default: ...)"; '_' needs no escape.
    const std::string entry = ".TP\n\\fB" + std::string(p.name) + "\\fR (" +
                              std::string(typeName(p.type)) + "; default: ";
    EXPECT_CONTAINS(page.str(), entry);
  }
}

}  // namespace
}  // namespace posthorn::config
