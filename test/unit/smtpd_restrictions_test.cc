// smtpd_restrictions_test - restriction lists, access(5) actions and keys,
// the policy delegation protocol, and the restrictions in SMTP sessions
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "lib/access/restriction_list.h"
#include "smtpd/smtpd_access.h"
#include "smtpd/smtpd_policy_service.h"
#include "test/unit/smtpd_session_test_util.h"

namespace posthorn::smtpd::testing {
namespace {

using access::Restriction;
using K = AccessAction::Kind;

// ---------------------------------------------------------------- lists

TEST(RestrictionList, ParsesNamesAndArguments) {
  const auto list = access::parseRestrictions(
      {"permit_mynetworks", "check_client_access", "hash:/etc/mail/access", "REJECT_RBL_CLIENT",
       "zen.example=127.0.0.2", "reject_unauth_destination"},
      "x");
  ASSERT_EQ(list.size(), 4u);
  EXPECT_EQ(list[0], (Restriction{"permit_mynetworks", ""}));
  EXPECT_EQ(list[1], (Restriction{"check_client_access", "hash:/etc/mail/access"}));
  EXPECT_EQ(list[2], (Restriction{"reject_rbl_client", "zen.example=127.0.0.2"}));
  EXPECT_EQ(list[3], (Restriction{"reject_unauth_destination", ""}));
}

TEST(RestrictionList, RefusesUnknownNamesAndMissingArguments) {
  EXPECT_THROW(access::parseRestrictions({"permit_everyone"}, "main.cf:3: smtpd_client_restrictions"),
               config::ConfigError);
  EXPECT_THROW(access::parseRestrictions({"check_sender_access"}, "x"), config::ConfigError);
  EXPECT_THROW(access::parseRestrictions({"check_sender_access", "permit"}, "x"), config::ConfigError);
  try {
    access::parseRestrictions({"permit_everyone"}, "posthorn.conf:3: smtpd_client_restrictions");
  } catch (const config::ConfigError& e) {
    EXPECT_STREQ(e.what(), "posthorn.conf:3: smtpd_client_restrictions: unknown restriction \"permit_everyone\"");
  }
}

TEST(RestrictionList, DnsListReplyFilters) {
  // Postfix's forms: one address, a range, a list, a list with a range.
  EXPECT_TRUE(access::rblFilterMatches("127.0.0.2", "127.0.0.2"));
  EXPECT_FALSE(access::rblFilterMatches("127.0.0.2", "127.0.0.3"));
  EXPECT_TRUE(access::rblFilterMatches("127.0.0.[2..11]", "127.0.0.2"));
  EXPECT_TRUE(access::rblFilterMatches("127.0.0.[2..11]", "127.0.0.11"));
  EXPECT_FALSE(access::rblFilterMatches("127.0.0.[2..11]", "127.0.0.1"));
  EXPECT_FALSE(access::rblFilterMatches("127.0.0.[2..11]", "127.0.0.12"));
  EXPECT_TRUE(access::rblFilterMatches("127.0.0.[2;4;9]", "127.0.0.4"));
  EXPECT_FALSE(access::rblFilterMatches("127.0.0.[2;4;9]", "127.0.0.3"));
  EXPECT_TRUE(access::rblFilterMatches("127.0.[0..1].[2;4..6]", "127.0.1.5"));
  EXPECT_FALSE(access::rblFilterMatches("127.0.[0..1].[2;4..6]", "127.0.2.5"));
  EXPECT_FALSE(access::rblFilterMatches("127.0.0.2", "127.0.0.2.1"));
  EXPECT_FALSE(access::rblFilterMatches("127.0.0.[2..x]", "127.0.0.2"));
  for (const char* bad : {"127.0.0", "127.0.0.256", "127.0.0.[2..]", "127.0.0.[5..2]", "127.0.0.[2;;4]",
                          "127.0.0.[2", "127.0.0.2.1", "zen"})
    EXPECT_FALSE(access::rblFilterValid(bad)) << bad;
  EXPECT_TRUE(access::rblFilterValid("127.0.0.[2;4..6]"));
  // A filter that is not one is refused when the list is read.
  EXPECT_NO_THROW(access::parseRestrictions({"reject_rbl_client", "zen.example=127.0.0.[2..11]"}, "x"));
  EXPECT_NO_THROW(access::parseRestrictions({"reject_rhsbl_sender", "dbl.example=127.0.1.[2;4;9]"}, "x"));
  EXPECT_THROW(access::parseRestrictions({"reject_rbl_client", "zen.example=127.0.0.[2..]"}, "x"),
               config::ConfigError);
}

TEST(RestrictionList, PolicyServersAreNoTables) {
  EXPECT_EQ(access::withoutPolicyServers({"check_client_access", "hash:/a", "CHECK_POLICY_SERVICE",
                                          "inet:127.0.0.1:10023", "check_policy_service", "unix:private/p",
                                          "cidr:/b"}),
            (std::vector<std::string>{"check_client_access", "hash:/a", "CHECK_POLICY_SERVICE",
                                      "check_policy_service", "cidr:/b"}));
}

TEST(RestrictionList, DefaultsAreNoOpenRelay) {
  EXPECT_EQ(access::openRelayProblem(config::Config::defaults()), std::nullopt);
}

TEST(RestrictionList, OpenRelayIsNamedWithFileAndLine) {
  config::Config c = config::Config::defaults();
  c.set("smtpd_relay_restrictions", "permit_mynetworks, permit", config::Origin{"/etc/mail/posthorn.conf", 12});
  auto problem = access::openRelayProblem(c);
  ASSERT_TRUE(problem);
  EXPECT_NE(problem->find("/etc/mail/posthorn.conf:12: smtpd_relay_restrictions = \"permit_mynetworks, permit\""),
            std::string::npos)
      << *problem;
  EXPECT_NE(problem->find("specify at least one working instance of: reject_unauth_destination"), std::string::npos);
  // The recipient list may carry the check instead (Postfix before 2.10).
  c.set("smtpd_recipient_restrictions", "permit_sasl_authenticated reject_unauth_destination",
        config::Origin{"/etc/mail/posthorn.conf", 13});
  EXPECT_EQ(access::openRelayProblem(c), std::nullopt);
  // ... but not after a permit.
  c.set("smtpd_recipient_restrictions", "permit reject_unauth_destination", config::Origin{"f", 1});
  EXPECT_TRUE(access::openRelayProblem(c));
  c.set("smtpd_relay_restrictions", "", config::Origin{"f", 2});
  c.set("smtpd_recipient_restrictions", "", config::Origin{"f", 3});
  EXPECT_TRUE(access::openRelayProblem(c));
  EXPECT_THROW(Settings{c}, config::ConfigError);  // smtpd refuses to start
}

// ---------------------------------------------------------------- access(5)

TEST(AccessAction, Parses) {
  EXPECT_EQ(parseAccessAction("OK").kind, K::Ok);
  EXPECT_EQ(parseAccessAction("ok").kind, K::Ok);
  EXPECT_EQ(parseAccessAction("1234").kind, K::Ok);
  EXPECT_EQ(parseAccessAction("DUNNO").kind, K::Dunno);
  auto r = parseAccessAction("REJECT 5.7.9 go away now");
  EXPECT_EQ(r.kind, K::Reject);
  EXPECT_EQ(r.enhanced, "5.7.9");
  EXPECT_EQ(r.text, "go away now");
  EXPECT_EQ(parseAccessAction("REJECT").text, "");
  auto n = parseAccessAction("451 4.7.1 later");
  EXPECT_EQ(n.kind, K::Defer);
  EXPECT_EQ(n.code, 451);
  EXPECT_EQ(n.text, "later");
  auto n5 = parseAccessAction("550 no");
  EXPECT_EQ(n5.kind, K::Reject);
  EXPECT_EQ(n5.code, 550);
  EXPECT_EQ(n5.enhanced, "");
  EXPECT_EQ(parseAccessAction("DEFER_IF_PERMIT Greylisted").kind, K::DeferIfPermit);
  EXPECT_EQ(parseAccessAction("DEFER_IF_REJECT x").kind, K::DeferIfReject);
  auto p = parseAccessAction("PREPEND X-Greylist: delayed 2 seconds");
  EXPECT_EQ(p.kind, K::Prepend);
  EXPECT_EQ(p.text, "X-Greylist: delayed 2 seconds");
  EXPECT_EQ(parseAccessAction("PREPEND no-colon").kind, K::Invalid);
  EXPECT_EQ(parseAccessAction("REDIRECT abuse@example.org").text, "abuse@example.org");
  EXPECT_EQ(parseAccessAction("REDIRECT").kind, K::Invalid);
  EXPECT_EQ(parseAccessAction("DISCARD spam").kind, K::Discard);
  EXPECT_EQ(parseAccessAction("HOLD").kind, K::Hold);
  EXPECT_EQ(parseAccessAction("WARN hmm").kind, K::Warn);
  EXPECT_EQ(parseAccessAction("FILTER smtp:[127.0.0.1]:10025").kind, K::Filter);
  EXPECT_EQ(parseAccessAction("permit_mynetworks, reject").kind, K::Restrictions);
  EXPECT_EQ(parseAccessAction("").kind, K::Invalid);
  EXPECT_EQ(parseAccessAction("BOGUS").kind, K::Invalid);
  EXPECT_EQ(parseAccessAction("299 fine").kind, K::Invalid);
}

TEST(AccessKeys, AddressInAccess5Order) {
  EXPECT_EQ(addressAccessKeys("User@Mail.Example.COM", "<>"),
            (std::vector<std::string>{"User@mail.example.com", "mail.example.com", "example.com", "com", "User@"}));
  EXPECT_EQ(addressAccessKeys("", "<>"), (std::vector<std::string>{"<>"}));
}

TEST(AccessKeys, ClientNameThenAddressThenNetworks) {
  EXPECT_EQ(clientAccessKeys("mx.example.net", "192.0.2.7"),
            (std::vector<std::string>{"mx.example.net", "example.net", "net", "192.0.2.7", "192.0.2", "192.0", "192"}));
  EXPECT_EQ(clientAccessKeys("unknown", "2001:db8::7"),
            (std::vector<std::string>{"2001:db8::7", "2001:db8:0:0:0:0:0", "2001:db8:0:0:0:0", "2001:db8:0:0:0",
                                      "2001:db8:0:0", "2001:db8:0", "2001:db8", "2001"}));
}

// ---------------------------------------------------------------- policy protocol

TEST(PolicyProtocol, EncodesAttributeLinesAndAnEmptyLine) {
  EXPECT_EQ(encodePolicyRequest({{"request", "smtpd_access_policy"}, {"sender", "a\r\n@b"}}),
            "request=smtpd_access_policy\nsender=a@b\n\n");
}

TEST(PolicyProtocol, DecodesInPieces) {
  PolicyReplyDecoder d;
  EXPECT_FALSE(d.feed("action=DEFER_IF_PERMIT Grey"));
  EXPECT_FALSE(d.feed("listed, see x\nfoo=bar\n"));
  EXPECT_TRUE(d.feed("\n"));
  EXPECT_EQ(d.action(), "DEFER_IF_PERMIT Greylisted, see x");
  EXPECT_EQ(d.attributes().at("foo"), "bar");
  PolicyReplyDecoder bad;
  EXPECT_THROW(bad.feed("nonsense\n\n"), PolicyError);
}

// A policy server on a Unix socket answering each request with `action`.
class FakePolicyServer {
 public:
  explicit FakePolicyServer(std::string action) : action_(std::move(action)) {
    char dir[] = "/tmp/policy_test.XXXXXX";
    path_ = std::string(::mkdtemp(dir)) + "/s";
    fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    std::strcpy(sun.sun_path, path_.c_str());
    ::bind(fd_, reinterpret_cast<sockaddr*>(&sun), sizeof sun);
    ::listen(fd_, 4);
    thread_ = std::thread([this] {
      int c = ::accept(fd_, nullptr, nullptr);
      std::string in;
      char buf[1024];
      ssize_t n;
      while ((n = ::read(c, buf, sizeof buf)) > 0) {
        in.append(buf, static_cast<std::size_t>(n));
        while (in.find("\n\n") != std::string::npos) {
          requests.push_back(in.substr(0, in.find("\n\n") + 2));
          in.erase(0, in.find("\n\n") + 2);
          const std::string reply = "action=" + action_ + "\n\n";
          (void)::write(c, reply.data(), reply.size());
        }
      }
      ::close(c);
    });
  }
  ~FakePolicyServer() {
    ::shutdown(fd_, SHUT_RDWR);
    if (thread_.joinable()) thread_.join();
    ::close(fd_);
    ::unlink(path_.c_str());
  }
  std::string endpoint() const { return "unix:" + path_; }
  std::vector<std::string> requests;

 private:
  std::string action_;
  std::string path_;
  int fd_ = -1;
  std::thread thread_;
};

TEST(PolicyClient, AsksTwiceOnOneConnection) {
  FakePolicyServer server("DUNNO");
  {
    PolicyClient client(server.endpoint(), std::chrono::seconds(5));
    EXPECT_EQ(client.ask({{"request", "smtpd_access_policy"}, {"recipient", "a@b"}}), "DUNNO");
    EXPECT_EQ(client.ask({{"request", "smtpd_access_policy"}, {"recipient", "c@d"}}), "DUNNO");
  }
  ASSERT_EQ(server.requests.size(), 2u);
  EXPECT_EQ(server.requests[1], "request=smtpd_access_policy\nrecipient=c@d\n\n");
}

TEST(PolicyClient, UnreachableIsAnError) {
  PolicyClient client("unix:/nonexistent/policy", std::chrono::seconds(1));
  EXPECT_THROW(client.ask({{"request", "smtpd_access_policy"}}), PolicyError);
  EXPECT_THROW(PolicyClient("inet:nohostport", std::chrono::seconds(1)), PolicyError);
}

// ---------------------------------------------------------------- sessions

class RestrictionSessionTest : public SessionTest {
 protected:
  access::RestrictionList parse(const std::string& value) {
    config::Config c = config::Config::defaults();
    c.set("x", value);
    return access::parseRestrictions(c.getList("x"), "x");
  }
  std::string rcpt(const std::string& sender, const std::string& to) {
    open_();
    send("EHLO client.example.net\r\n");
    EXPECT_EQ(last("MAIL FROM:<" + sender + ">\r\n"), "250 2.1.0 Ok");
    return last("RCPT TO:<" + to + ">\r\n");
  }
  void open_() {
    if (!session) start();
  }
};

TEST_F(RestrictionSessionTest, RelayDeniedByDefaultListAndLogged) {
  const std::size_t at = logSize();
  EXPECT_EQ(rcpt("a@example.net", "x@elsewhere.example"), "554 5.7.1 <x@elsewhere.example>: Relay access denied");
  EXPECT_NE(logSince(at).find("NOQUEUE: reject: RCPT from client.example.net[192.0.2.1]: 554 5.7.1 "
                              "<x@elsewhere.example>: Relay access denied; from=<a@example.net> "
                              "to=<x@elsewhere.example> proto=ESMTP helo=<client.example.net>"),
            std::string::npos);
}

TEST_F(RestrictionSessionTest, OpenRelayAddressTricksAreRefused) {
  // The relay decision uses the domain after the last unquoted @ (source
  // routes dropped, RFC 5321 C): a %-hack, a !-path or a quoted @ addressed
  // to our domain is a local address, unknown here; nothing is relayed.
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"user%remote.example@example.org",
       "550 5.1.1 <user%remote.example@example.org>: Recipient address rejected: User unknown in local "
       "recipient table"},
      {"remote.example!user@example.org",
       "550 5.1.1 <remote.example!user@example.org>: Recipient address rejected: User unknown in local "
       "recipient table"},
      {"\"user@remote.example\"@example.org",
       "550 5.1.1 <\"user@remote.example\"@example.org>: Recipient address rejected: User unknown in local "
       "recipient table"},
      {"@example.org:user@remote.example", "554 5.7.1 <user@remote.example>: Relay access denied"},
      {"@a.example,@example.org:user@remote.example", "554 5.7.1 <user@remote.example>: Relay access denied"},
      {"user%40remote.example@example.org",
       "550 5.1.1 <user%40remote.example@example.org>: Recipient address rejected: User unknown in local "
       "recipient table"},
  };
  for (const auto& [to, want] : cases) {
    session.reset();
    EXPECT_EQ(rcpt("a@example.net", to), want) << to;
  }
  session.reset();
  EXPECT_EQ(rcpt("a@example.net", "user@remote.example@example.org").substr(0, 3), "501");
  // A relay attempt after a valid local recipient is refused all the same.
  session.reset();
  EXPECT_EQ(rcpt("a@example.net", "alice@example.org"), "250 2.1.5 Ok");
  EXPECT_EQ(last("RCPT TO:<victim@remote.example>\r\n"), "554 5.7.1 <victim@remote.example>: Relay access denied");
  EXPECT_EQ(last("RCPT TO:<victim%remote.example@[192.0.2.1]>\r\n").substr(0, 1), "5");
}

TEST_F(RestrictionSessionTest, DeferUnauthDestination) {
  settings.relayRestrictions = parse("permit_mynetworks defer_unauth_destination");
  EXPECT_EQ(rcpt("a@example.net", "x@elsewhere.example"), "454 4.7.1 <x@elsewhere.example>: Relay access denied");
}

TEST_F(RestrictionSessionTest, SenderAccessActions) {
  settings.senderRestrictions = parse("check_sender_access hash:/etc/mail/sender_access");
  lookups.tables["hash:/etc/mail/sender_access"] = {
      {"spam.example", "REJECT no spam here"},
      {"later@example.net", "DEFER 4.7.2 come back"},
      {"friend@", "OK"},
      {"code.example", "521 5.7.0 custom"}};
  EXPECT_EQ(rcpt("x@mail.spam.example", "alice@example.org"),
            "554 5.7.1 <x@mail.spam.example>: Sender address rejected: no spam here");
  session.reset();
  EXPECT_EQ(rcpt("later@example.net", "alice@example.org"),
            "450 4.7.2 <later@example.net>: Sender address rejected: come back");
  session.reset();
  EXPECT_EQ(rcpt("friend@spam.example", "alice@example.org"),
            "554 5.7.1 <friend@spam.example>: Sender address rejected: no spam here");  // the full key wins first...
  session.reset();
  EXPECT_EQ(rcpt("y@code.example", "alice@example.org"), "521 5.7.0 <y@code.example>: Sender address rejected: custom");
  session.reset();
  EXPECT_EQ(rcpt("friend@other.example", "alice@example.org"), "250 2.1.5 Ok");
}

TEST_F(RestrictionSessionTest, OkInSenderListDoesNotOpenTheRelay) {
  settings.senderRestrictions = parse("check_sender_access hash:/s");
  lookups.tables["hash:/s"] = {{"example.net", "OK"}};
  EXPECT_EQ(rcpt("a@example.net", "x@elsewhere.example"), "554 5.7.1 <x@elsewhere.example>: Relay access denied");
}

TEST_F(RestrictionSessionTest, DeferIfPermitAndPrepend) {
  settings.recipientRestrictions = parse("check_recipient_access hash:/r");
  lookups.tables["hash:/r"] = {{"alice@example.org", "PREPEND X-Tag: yes"},
                               {"sales@example.org", "DEFER_IF_PERMIT 4.2.0 Greylisted"}};
  EXPECT_EQ(rcpt("a@example.net", "sales@example.org"), "450 4.2.0 <sales@example.org>: Recipient address rejected: Greylisted");
  session.reset();
  EXPECT_EQ(rcpt("a@example.net", "alice@example.org"), "250 2.1.5 Ok");
  send("DATA\r\n");
  EXPECT_EQ(last("Subject: x\r\n\r\nbody\r\n.\r\n"), "250 2.0.0 Ok: queued as QID1");
  ASSERT_EQ(sinks.committed.size(), 1u);
  EXPECT_EQ(sinks.committed[0].envelope.prependedHeader, "X-Tag: yes\n");
}

TEST_F(RestrictionSessionTest, DiscardAndRedirect) {
  settings.recipientRestrictions = parse("check_recipient_access hash:/r");
  lookups.tables["hash:/r"] = {{"alice@example.org", "DISCARD"}, {"sales@example.org", "REDIRECT alice@example.org"}};
  EXPECT_EQ(rcpt("a@example.net", "alice@example.org"), "250 2.1.5 Ok");
  send("DATA\r\n");
  EXPECT_EQ(last("Subject: x\r\n\r\nbody\r\n.\r\n"), "250 2.0.0 Ok");
  EXPECT_TRUE(sinks.committed.empty());
  session.reset();
  EXPECT_EQ(rcpt("a@example.net", "sales@example.org"), "250 2.1.5 Ok");
  send("DATA\r\n");
  EXPECT_EQ(last("x\r\n.\r\n").substr(0, 3), "250");
  ASSERT_EQ(sinks.committed.size(), 1u);
  ASSERT_EQ(sinks.committed[0].envelope.recipients.size(), 1u);
  EXPECT_EQ(sinks.committed[0].envelope.recipients[0].address, "alice@example.org");
}

TEST_F(RestrictionSessionTest, ClientAccessByNetworkAndDelayedToRcpt) {
  settings.clientRestrictions = parse("check_client_access hash:/c");
  lookups.tables["hash:/c"] = {{"192.0.2", "REJECT"}};
  open_();
  EXPECT_EQ(last("EHLO client.example.net\r\n").substr(0, 3), "250");
  EXPECT_EQ(last("MAIL FROM:<a@example.net>\r\n"), "250 2.1.0 Ok");
  EXPECT_EQ(last("RCPT TO:<alice@example.org>\r\n"),
            "554 5.7.1 <client.example.net[192.0.2.1]>: Client host rejected: Access denied");
}

TEST_F(RestrictionSessionTest, NoDelayRejectRefusesAtTheCommand) {
  settings.delayReject = false;
  settings.heloRestrictions = parse("reject_invalid_helo_hostname reject_non_fqdn_helo_hostname");
  open_();
  EXPECT_EQ(last("HELO bad..name\r\n"), "501 5.5.2 <bad..name>: Helo command rejected: Invalid name");
  EXPECT_EQ(last("HELO localhost\r\n"), "504 5.5.2 <localhost>: Helo command rejected: need fully-qualified hostname");
  EXPECT_EQ(last("HELO [192.0.2.1]\r\n").substr(0, 3), "250");
}

TEST_F(RestrictionSessionTest, NonFqdnSenderAndTableFailure) {
  settings.senderRestrictions = parse("reject_non_fqdn_sender check_sender_access hash:/s");
  lookups.tables["hash:/s"] = {};
  EXPECT_EQ(rcpt("a@localdomain", "alice@example.org"),
            "504 5.5.2 <a@localdomain>: Sender address rejected: need fully-qualified address");
  session.reset();
  lookups.mapdDown = true;
  EXPECT_EQ(rcpt("a@example.net", "alice@example.org"), "451 4.3.0 <a@example.net>: Temporary lookup failure");
}

TEST_F(RestrictionSessionTest, UnknownClientHostname) {
  settings.clientRestrictions = parse("reject_unknown_client_hostname");
  Peer peer;
  peer.address = "192.0.2.9";
  open(peer, false);
  session->start();
  send("EHLO x.example\r\n");
  send("MAIL FROM:<a@example.net>\r\n");
  EXPECT_EQ(last("RCPT TO:<alice@example.org>\r\n"),
            "450 4.7.25 Client host rejected: cannot find your hostname, [192.0.2.9]");
}

TEST_F(RestrictionSessionTest, PolicyServiceAnswerApplied) {
  FakePolicyServer server("550 5.7.23 SPF says no");
  settings.recipientRestrictions = parse("check_policy_service " + server.endpoint());
  EXPECT_EQ(rcpt("a@example.net", "alice@example.org"),
            "550 5.7.23 <alice@example.org>: Recipient address rejected: SPF says no");
  session.reset();
  policy.reset();
  ASSERT_EQ(server.requests.size(), 1u);
  EXPECT_NE(server.requests[0].find("request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
                                    "helo_name=client.example.net\n"),
            std::string::npos);
  EXPECT_NE(server.requests[0].find("sender=a@example.net\nrecipient=alice@example.org\n"), std::string::npos);
  EXPECT_NE(server.requests[0].find("client_address=192.0.2.1\n"), std::string::npos);
}

TEST_F(RestrictionSessionTest, PolicyServiceDownGetsDefaultAction) {
  settings.recipientRestrictions = parse("check_policy_service unix:/nonexistent/policy");
  EXPECT_EQ(rcpt("a@example.net", "alice@example.org"),
            "451 4.3.5 <alice@example.org>: Recipient address rejected: Server configuration problem");
}

TEST_F(RestrictionSessionTest, RestrictionsFromATableValue) {
  settings.recipientRestrictions = parse("check_recipient_access hash:/r");
  lookups.tables["hash:/r"] = {{"example.org", "permit_mynetworks, reject"}};
  EXPECT_EQ(rcpt("a@example.net", "alice@example.org"),
            "554 5.7.1 <alice@example.org>: Recipient address rejected: Access denied");
}

}  // namespace
}  // namespace posthorn::smtpd::testing
