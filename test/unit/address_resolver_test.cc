// address_resolver_test - the address classes and next hops, over real hash
// tables built in a scratch directory and configurations parsed from text.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "lib/address/address_resolver.h"
#include "lib/config/config.h"
#include "lib/map/map_builder.h"
#include "lib/proto/map_client.h"

namespace posthorn::address {
namespace {

class Scratch {
 public:
  Scratch() {
    const char* tmp = std::getenv("TMPDIR");
    path_ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
            "/posthorn-resolver-test.XXXXXX";
    if (::mkdtemp(path_.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

  // Writes NAME from text and builds NAME.db, as `posthorn map` does.
  std::string table(const std::string& name, const std::string& text) const {
    const std::string file = path_ + "/" + name;
    std::ofstream(file, std::ios::trunc) << text;
    map::buildHashMap(file, map::SourceFormat::Postmap);
    return "hash:" + file;
  }

 private:
  std::string path_;
};

Address addr(const std::string& text) {
  const MailboxResult r = parseMailbox(text, {.allowPostmaster = true});
  if (!r) throw std::runtime_error(text + ": " + r.reason);
  return r.address;
}

class ResolverTest : public ::testing::Test {
 protected:
  ResolverTest() {
    localDomains_ = dir_.table("local_domains", "hosted.example OK\n");
    virtualDomains_ = dir_.table("vdomains", "vtable.example x\n");
    virtualAliases_ =
        dir_.table("virtual", "alias.example anything\ninfo@alias.example joe@virtual.example\n");
    relayDomains_ = dir_.table("relay_domains", "relaytable.example OK\n");
    transport_ = dir_.table("transport",
                            "special.example      smtp:[mx.special.example]:2525\n"
                            ".sub.example         relay:[gw.sub.example]\n"
                            "sub.example          :[apex.sub.example]\n"
                            "user+ext@remote.example  smtp:ext-route.example\n"
                            "user@remote.example  lmtp:unix:/run/lmtp\n"
                            "nullentry.example    :\n"
                            "tponly.example       uucp:\n"
                            "bounce.example       error:5.1.2 we do not serve bounce.example\n"
                            "lmtp.hosted.example  lmtp:[127.0.0.1]:24\n");
  }

  std::string baseConfig() const {
    return "myhostname = Mail.Example.COM\n"
           "mydomain = example.com\n"
           "mydestination = $myhostname, localhost.$mydomain, localhost, " +
           localDomains_ + ", [127.0.0.1]\n" +
           "virtual_mailbox_domains = virtual.example, " + virtualDomains_ + "\n" +
           "virtual_alias_maps = " + virtualAliases_ + "\n" +
           "relay_domains = relay.example " + relayDomains_ + "\n" +
           "transport_maps = " + transport_ + "\n" +
           "recipient_delimiter = +\n";
  }

  static config::Config parse(const std::string& text) {
    return config::Config::parse(text, "posthorn.conf");
  }

  Scratch dir_;
  std::string localDomains_, virtualDomains_, virtualAliases_, relayDomains_, transport_;
};

struct Expect {
  std::string address;
  AddressClass addressClass;
  std::string transport;
  std::string nexthop;
  std::string matchedContains = "";
};

void check(AddressResolver& resolver, const Expect& e) {
  const Resolution r = resolver.resolve(addr(e.address));
  EXPECT_EQ(className(r.addressClass), className(e.addressClass))
      << e.address << ": " << r.reason << " (" << r.matched << ")";
  EXPECT_EQ(r.transport, e.transport) << e.address;
  EXPECT_EQ(r.nexthop, e.nexthop) << e.address;
  EXPECT_NE(r.matched.find(e.matchedContains), std::string::npos)
      << e.address << ": matched \"" << r.matched << "\"";
}

using C = AddressClass;

TEST_F(ResolverTest, DecisionTable) {
  const config::Config cfg = parse(baseConfig());
  DirectTableLookup tables;
  AddressResolver resolver(cfg, tables);
  const Expect cases[] = {
      // mydestination: $myhostname, localhost.$mydomain, localhost, a table,
      // an address literal. Local mail goes to local:$myhostname.
      {"joe@mail.example.com", C::Local, "local", "mail.example.com", "mydestination"},
      {"Joe@MAIL.Example.Com", C::Local, "local", "mail.example.com", "mydestination"},
      {"joe@localhost", C::Local, "local", "mail.example.com"},
      {"joe@LOCALHOST.example.com", C::Local, "local", "mail.example.com"},
      {"joe@hosted.example", C::Local, "local", "mail.example.com", "hash:"},
      {"joe@[127.0.0.1]", C::Local, "local", "mail.example.com", "[127.0.0.1]"},
      {"joe@sub.mail.example.com", C::Remote, "smtp", "sub.mail.example.com"},
      {"joe@sub.hosted.example", C::Remote, "smtp", "sub.hosted.example"},
      {"joe@[127.0.0.2]", C::Remote, "smtp", "[127.0.0.2]"},
      {"joe@[IPv6:2001:db8::1]", C::Remote, "smtp", "[2001:db8::1]"},
      // A transport map entry wins over the class's transport.
      {"joe@lmtp.hosted.example", C::Remote, "lmtp", "[127.0.0.1]:24",
       "key lmtp.hosted.example"},
      // virtual_mailbox_domains: a name and a table; our local agent.
      {"joe@virtual.example", C::Virtual, "local", "virtual.example",
       "virtual_mailbox_domains virtual.example"},
      {"joe@VTable.Example", C::Virtual, "local", "vtable.example", "virtual_mailbox_domains"},
      {"joe@sub.virtual.example", C::Remote, "smtp", "sub.virtual.example"},
      // virtual_alias_domains (default $virtual_alias_maps).
      {"info@alias.example", C::Alias, "error", "5.1.1 User unknown in virtual alias table",
       "virtual_alias_domains"},
      // relay_domains: parent_domain_matches_subdomains includes it by default.
      {"joe@relay.example", C::Relay, "smtp", "relay.example", "relay_domains"},
      {"joe@mx.Relay.example", C::Relay, "smtp", "mx.relay.example", "relay_domains"},
      {"joe@relaytable.example", C::Relay, "smtp", "relaytable.example"},
      {"joe@deep.sub.relaytable.example", C::Relay, "smtp", "deep.sub.relaytable.example"},
      // transport_maps: exact domain, .subdomain, null fields, full address.
      {"joe@special.example", C::Remote, "smtp", "[mx.special.example]:2525",
       "key special.example"},
      {"joe@Special.EXAMPLE", C::Remote, "smtp", "[mx.special.example]:2525"},
      {"joe@a.sub.example", C::Remote, "relay", "[gw.sub.example]", "key .sub.example"},
      {"joe@a.b.sub.example", C::Remote, "relay", "[gw.sub.example]", "key .sub.example"},
      {"joe@sub.example", C::Remote, "smtp", "[apex.sub.example]", "key sub.example"},
      {"joe@nullentry.example", C::Remote, "smtp", "nullentry.example", "key nullentry.example"},
      {"joe@tponly.example", C::Remote, "uucp", "tponly.example"},
      {"joe@bounce.example", C::Remote, "error", "5.1.2 we do not serve bounce.example"},
      {"user+ext@remote.example", C::Remote, "smtp", "ext-route.example",
       "key user+ext@remote.example"},
      {"User+Other@remote.example", C::Remote, "lmtp", "unix:/run/lmtp",
       "key user@remote.example"},
      {"user@remote.example", C::Remote, "lmtp", "unix:/run/lmtp"},
      {"other@remote.example", C::Remote, "smtp", "remote.example"},
      {"joe@elsewhere.example", C::Remote, "smtp", "elsewhere.example"},
      // A bare postmaster is ours.
      {"postmaster", C::Local, "local", "mail.example.com", "postmaster"},
  };
  for (const Expect& e : cases) check(resolver, e);

  const Resolution bounce = resolver.resolve(addr("joe@bounce.example"));
  EXPECT_EQ(bounce.reason, "5.1.2 we do not serve bounce.example");
  EXPECT_EQ(resolver.resolve(addr("joe@elsewhere.example")).nextHopText(),
            "smtp:elsewhere.example");
  EXPECT_TRUE(resolver.resolve(addr("joe@elsewhere.example")).needsRelayPermission());
  EXPECT_FALSE(resolver.resolve(addr("joe@relay.example")).needsRelayPermission());
  EXPECT_TRUE(resolver.resolve(addr("joe@virtual.example")).isFinalDestination());
}

TEST_F(ResolverTest, RefusesUnroutableAddresses) {
  const config::Config cfg = parse(baseConfig());
  DirectTableLookup tables;
  AddressResolver resolver(cfg, tables);
  Resolution r = resolver.resolve(Address{});
  EXPECT_EQ(r.addressClass, C::Refused);
  EXPECT_NE(r.reason.find("null address"), std::string::npos) << r.reason;
  r = resolver.resolve(Address{"joe", ""});
  EXPECT_EQ(r.addressClass, C::Refused);
  EXPECT_NE(r.reason.find("no domain"), std::string::npos) << r.reason;
  r = resolver.resolve(Address{"joe", "[300.1.1.1]"});
  EXPECT_EQ(r.addressClass, C::Refused);
  EXPECT_NE(r.reason.find("bad IPv4 address literal"), std::string::npos) << r.reason;
  // An Address built by hand with an upper-case domain is folded.
  r = resolver.resolve(Address{"joe", "LOCALHOST"});
  EXPECT_EQ(r.addressClass, C::Local);
}

TEST_F(ResolverTest, DomainPredicatesIgnoreCase) {
  const config::Config cfg = parse(baseConfig());
  DirectTableLookup tables;
  AddressResolver resolver(cfg, tables);
  EXPECT_TRUE(resolver.isLocalDomain("LocalHost"));
  EXPECT_TRUE(resolver.isLocalDomain("HOSTED.example"));
  EXPECT_TRUE(resolver.isLocalDomain("[127.0.0.1]"));
  EXPECT_FALSE(resolver.isLocalDomain("virtual.example"));
  EXPECT_FALSE(resolver.isLocalDomain(""));
  EXPECT_TRUE(resolver.isVirtualDomain("Virtual.Example"));
  EXPECT_TRUE(resolver.isAliasDomain("ALIAS.example"));
  EXPECT_TRUE(resolver.isRelayDomain("x.RELAY.example"));
  EXPECT_FALSE(resolver.isRelayDomain("elsewhere.example"));
  EXPECT_EQ(resolver.myhostname(), "mail.example.com");
  EXPECT_EQ(resolver.recipientDelimiter(), "+");
}

TEST_F(ResolverTest, RelayhostIsTheNexthopForRemoteAndRelay) {
  const config::Config cfg = parse(baseConfig() + "relayhost = [smarthost.example]:587\n");
  DirectTableLookup tables;
  AddressResolver resolver(cfg, tables);
  const Expect cases[] = {
      {"joe@elsewhere.example", C::Remote, "smtp", "[smarthost.example]:587"},
      {"joe@[192.0.2.1]", C::Remote, "smtp", "[smarthost.example]:587"},
      {"joe@relay.example", C::Relay, "smtp", "[smarthost.example]:587"},
      {"joe@mail.example.com", C::Local, "local", "mail.example.com"},
      {"joe@virtual.example", C::Virtual, "local", "virtual.example"},
      // transport_maps still wins, and a null nexthop keeps relayhost.
      {"joe@special.example", C::Remote, "smtp", "[mx.special.example]:2525"},
      {"joe@nullentry.example", C::Remote, "smtp", "[smarthost.example]:587"},
  };
  for (const Expect& e : cases) check(resolver, e);
}

TEST_F(ResolverTest, WildcardTransportAndClassTransports) {
  const std::string wild = dir_.table("wild",
                                      "mail.example.com  local:\n"
                                      "*                 smtp:[outbound.example]\n"
                                      "inside.example    :\n");
  const config::Config cfg = parse(
      "myhostname = mail.example.com\n"
      "mydestination = $myhostname, localhost\n"
      "virtual_mailbox_domains = virtual.example\n"
      "relay_domains = relay.example\n"
      "transport_maps = " + wild + "\n"
      "parent_domain_matches_subdomains = transport_maps\n"
      "local_transport = maildrop:\n"
      "virtual_transport = lmtp:[mailstore.example]:24\n"
      "relay_transport = relay\n"
      "default_transport = smtp:[default.example]\n");
  DirectTableLookup tables;
  AddressResolver resolver(cfg, tables);
  const Expect cases[] = {
      // The explicit entry keeps local mail local (transport(5) advice).
      {"joe@mail.example.com", C::Local, "local", "mail.example.com", "key mail.example.com"},
      // With transport_maps in parent_domain_matches_subdomains, the plain
      // domain key also covers subdomains.
      {"joe@x.mail.example.com", C::Remote, "local", "[default.example]",
       "key mail.example.com"},
      {"joe@localhost", C::Local, "smtp", "[outbound.example]", "key *"},
      {"joe@elsewhere.example", C::Remote, "smtp", "[outbound.example]", "key *"},
      {"joe@relay.example", C::Relay, "smtp", "[outbound.example]"},
      {"joe@inside.example", C::Remote, "smtp", "[default.example]", "key inside.example"},
      // relay_domains no longer matches subdomains (not in the list).
      {"joe@x.relay.example", C::Remote, "smtp", "[outbound.example]"},
  };
  for (const Expect& e : cases) check(resolver, e);

  // Without transport_maps the class transports apply.
  const config::Config plain = parse(
      "myhostname = mail.example.com\n"
      "mydestination = $myhostname\n"
      "virtual_mailbox_domains = virtual.example\n"
      "relay_domains = relay.example\n"
      "local_transport = maildrop:\n"
      "virtual_transport = lmtp:[mailstore.example]:24\n"
      "relay_transport = relay\n"
      "default_transport = smtp:[default.example]\n");
  AddressResolver classes(plain, tables);
  const Expect classCases[] = {
      {"joe@mail.example.com", C::Local, "maildrop", "mail.example.com"},
      {"joe@virtual.example", C::Virtual, "lmtp", "[mailstore.example]:24"},
      {"joe@relay.example", C::Relay, "relay", "relay.example"},
      {"joe@elsewhere.example", C::Remote, "smtp", "[default.example]"},
  };
  for (const Expect& e : classCases) check(classes, e);
}

TEST_F(ResolverTest, ExceptionsAndSubdomainEntriesInDomainLists) {
  const config::Config cfg = parse(
      "myhostname = mail.example.com\n"
      "mydestination = $myhostname\n"
      "relay_domains = !private.relay.example, relay.example, .backup.example\n"
      "virtual_mailbox_domains = Virtual.Example.\n");
  DirectTableLookup tables;
  AddressResolver resolver(cfg, tables);
  EXPECT_FALSE(resolver.isRelayDomain("private.relay.example"));
  EXPECT_TRUE(resolver.isRelayDomain("public.relay.example"));
  EXPECT_TRUE(resolver.isRelayDomain("x.backup.example"));
  EXPECT_FALSE(resolver.isRelayDomain("backup.example"));
  EXPECT_TRUE(resolver.isVirtualDomain("virtual.example"));
  EXPECT_EQ(resolver.resolve(addr("a@private.relay.example")).addressClass, C::Remote);
}

TEST_F(ResolverTest, InetInterfacesLiteralsAreLocal) {
  const config::Config cfg = parse(
      "myhostname = mail.example.com\n"
      "mydestination = $myhostname\n"
      "inet_interfaces = 192.0.2.25, ::1\n");
  DirectTableLookup tables;
  AddressResolver resolver(cfg, tables);
  check(resolver, {"joe@[192.0.2.25]", C::Local, "local", "mail.example.com", "inet_interfaces"});
  check(resolver, {"joe@[IPv6:0:0::1]", C::Local, "local", "mail.example.com"});
  check(resolver, {"joe@[192.0.2.26]", C::Remote, "smtp", "[192.0.2.26]"});
  const config::Config loopback = parse(
      "myhostname = mail.example.com\n"
      "mydestination = $myhostname\n"
      "inet_interfaces = loopback-only\n");
  AddressResolver lo(loopback, tables);
  EXPECT_EQ(lo.resolve(addr("joe@[127.0.0.1]")).addressClass, C::Local);
  EXPECT_EQ(lo.resolve(addr("joe@[IPv6:::1]")).addressClass, C::Local);
}

TEST_F(ResolverTest, TableFailuresAreTemporaryNeverAMiss) {
  const std::string missing = "hash:" + dir_.path() + "/missing";
  DirectTableLookup tables;
  {
    const config::Config cfg = parse(baseConfig() + "transport_maps = " + missing + "\n");
    AddressResolver resolver(cfg, tables);
    const Resolution r = resolver.resolve(addr("joe@elsewhere.example"));
    EXPECT_EQ(r.addressClass, C::TempFail);
    EXPECT_NE(r.reason.find(dir_.path() + "/missing.db"), std::string::npos) << r.reason;
    EXPECT_TRUE(r.transport.empty());
  }
  {
    const config::Config cfg = parse("myhostname = mail.example.com\n"
                                     "mydestination = $myhostname " + missing + "\n");
    AddressResolver resolver(cfg, tables);
    // The name entry decides before the broken table is consulted ...
    EXPECT_EQ(resolver.resolve(addr("joe@mail.example.com")).addressClass, C::Local);
    // ... but any other domain needs the table.
    EXPECT_EQ(resolver.resolve(addr("joe@elsewhere.example")).addressClass, C::TempFail);
    EXPECT_THROW(resolver.isLocalDomain("elsewhere.example"), TableLookupError);
  }
}

TEST_F(ResolverTest, MapdUnavailableIsATemporaryFailure) {
  mapd::MapClient client(dir_.path() + "/no-such-mapd-socket", std::chrono::seconds(1));
  MapdTableLookup tables(client);
  const config::Config cfg = parse(baseConfig());
  AddressResolver resolver(cfg, tables);
  // localhost is a mydestination name and needs no table to be classed,
  // but transport_maps must still be read for local mail.
  EXPECT_EQ(resolver.resolve(addr("joe@localhost")).addressClass, C::TempFail);
  const Resolution r = resolver.resolve(addr("joe@elsewhere.example"));
  EXPECT_EQ(r.addressClass, C::TempFail);
  EXPECT_NE(r.reason.find("mapd"), std::string::npos) << r.reason;
  EXPECT_THROW(tables.lookup(transport_, "x"), TableLookupError);
}

TEST_F(ResolverTest, BadConfigurationIsAnErrorNamingTheParameter) {
  DirectTableLookup tables;
  const auto errorOf = [&](const std::string& text) -> std::string {
    try {
      const config::Config cfg = parse(text);
      AddressResolver resolver(cfg, tables);
    } catch (const config::ConfigError& e) {
      return e.what();
    }
    return "";
  };
  std::string e = errorOf("relayhost = [smarthost.example\n");
  EXPECT_NE(e.find("posthorn.conf:1"), std::string::npos) << e;
  EXPECT_NE(e.find("relayhost"), std::string::npos) << e;
  e = errorOf("myhostname = h.example\nmydestination = $myhostname /etc/mail/domains\n");
  EXPECT_NE(e.find("posthorn.conf:2"), std::string::npos) << e;
  EXPECT_NE(e.find("/etc/mail/domains"), std::string::npos) << e;
  e = errorOf("transport_maps = /etc/mail/transport\n");
  EXPECT_NE(e.find("transport_maps"), std::string::npos) << e;
  EXPECT_NE(e.find("type:name"), std::string::npos) << e;
  e = errorOf("relay_domains = user@example.com\n");
  EXPECT_NE(e.find("relay_domains"), std::string::npos) << e;
  e = errorOf("mydestination = [300.0.0.1]\n");
  EXPECT_NE(e.find("bad IPv4 address literal"), std::string::npos) << e;
  e = errorOf("default_transport = :nexthop\n");
  EXPECT_NE(e.find("empty transport"), std::string::npos) << e;
}

TEST(NextHop, Parses) {
  auto h = parseNextHop("[mx.example]:2525");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->host, "mx.example");
  EXPECT_EQ(h->port, "2525");
  EXPECT_FALSE(h->mxLookup);
  h = parseNextHop("example.com");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->host, "example.com");
  EXPECT_EQ(h->port, "");
  EXPECT_TRUE(h->mxLookup);
  h = parseNextHop("relay.example:submission");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->port, "submission");
  EXPECT_TRUE(h->mxLookup);
  h = parseNextHop("[2001:db8::1]:25");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->host, "2001:db8::1");
  EXPECT_EQ(h->port, "25");
  h = parseNextHop("[IPv6:2001:db8::1]");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->host, "2001:db8::1");
  for (const char* bad : {"", "[mx.example", "[]", "mx.example:", "a:b:c", "[x]25", ":25"}) {
    EXPECT_FALSE(parseNextHop(bad)) << bad;
  }
}

}  // namespace
}  // namespace posthorn::address
