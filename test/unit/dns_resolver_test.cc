// dns_resolver_test - server lists, trust anchor files, record data
// decoding, name checks, reverse names and MX order (the resolver against a
// real server is dns_nsd_test)
#include "lib/dns/dns_resolver.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include "lib/config/config.h"

using namespace posthorn::dns;

namespace {

std::string bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out += static_cast<char>(v);
  return out;
}

// A temporary file holding `text`, removed at the end of the test.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char tmpl[] = "/tmp/dns_anchor_XXXXXX";
    const int fd = ::mkstemp(tmpl);
    ::close(fd);
    path_ = tmpl;
    std::ofstream(path_) << text;
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

TEST(DnsConfig, ParseServer) {
  EXPECT_EQ(parseServer("192.0.2.53").text, "192.0.2.53:53");
  EXPECT_EQ(parseServer("127.0.0.1:5353").text, "127.0.0.1:5353");
  EXPECT_EQ(parseServer("[::1]:5300").text, "[::1]:5300");
  EXPECT_EQ(parseServer("::1").text, "[::1]:53");
  EXPECT_THROW(parseServer("dns.example"), std::invalid_argument);
  EXPECT_THROW(parseServer("127.0.0.1:0"), std::invalid_argument);
  EXPECT_THROW(parseServer("127.0.0.1:99999"), std::invalid_argument);
  EXPECT_THROW(parseServer("[::1"), std::invalid_argument);
}

TEST(DnsConfig, ResolvConf) {
  const auto rc = ResolverConfig::fromResolvConf(
      "# comment\nsearch example.com\nnameserver 192.0.2.1\nnameserver 2001:db8::53\n"
      "nameserver bogus\noptions timeout:2 attempts:3 rotate\n");
  ASSERT_EQ(rc.servers.size(), 2u);
  EXPECT_EQ(rc.servers[0].text, "192.0.2.1:53");
  EXPECT_EQ(rc.servers[1].text, "[2001:db8::53]:53");
  EXPECT_EQ(rc.timeout, std::chrono::seconds(2));
  EXPECT_EQ(rc.attempts, 3);
  EXPECT_EQ(ResolverConfig::fromResolvConf("").servers.at(0).text, "127.0.0.1:53");
}

TEST(DnsConfig, FromConfig) {
  auto cfg = posthorn::config::Config::parse("dns_servers = 127.0.0.1:5300, [::1]:5301\ndns_timeout = 3s\n"
                                             "smtp_mx_random_seed = 9\n", "test.conf");
  const auto rc = ResolverConfig::fromConfig(cfg, "/nonexistent");
  ASSERT_EQ(rc.servers.size(), 2u);
  EXPECT_EQ(rc.servers[1].text, "[::1]:5301");
  EXPECT_EQ(rc.timeout, std::chrono::seconds(3));
  EXPECT_EQ(rc.seed, 9u);
  auto bad = posthorn::config::Config::parse("dns_servers = ns.example\n", "test.conf");
  EXPECT_THROW(ResolverConfig::fromConfig(bad), posthorn::config::ConfigError);
}

TEST(DnsResolver, ReverseNames) {
  EXPECT_EQ(reverseName("192.0.2.7"), "7.2.0.192.in-addr.arpa");
  EXPECT_EQ(reverseName("2001:db8::1"),
            "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  EXPECT_EQ(reverseName("example.com"), "");
}

TEST(DnsResolver, MxOrderShufflesEqualPreferences) {
  std::mt19937_64 rng(1);
  std::set<std::string> firsts;
  for (int i = 0; i < 50; ++i) {
    std::vector<MxHost> hosts{{"c", 20, false}, {"a", 10, false}, {"b", 10, false}, {"d", 30, false},
                              {"a", 30, false}};
    Resolver::orderMx(hosts, rng);
    ASSERT_EQ(hosts.size(), 4u);  // "a" only once, at its best preference
    EXPECT_EQ(hosts[0].preference, 10);
    EXPECT_EQ(hosts[1].preference, 10);
    EXPECT_EQ(hosts[2].name, "c");
    EXPECT_EQ(hosts[3].name, "d");
    firsts.insert(hosts[0].name);
  }
  EXPECT_EQ(firsts, (std::set<std::string>{"a", "b"}));
  // The same seed gives the same order.
  std::mt19937_64 r1(5), r2(5);
  std::vector<MxHost> h1{{"a", 1, false}, {"b", 1, false}, {"c", 1, false}, {"d", 1, false}};
  auto h2 = h1;
  Resolver::orderMx(h1, r1);
  Resolver::orderMx(h2, r2);
  for (std::size_t i = 0; i < h1.size(); ++i) EXPECT_EQ(h1[i].name, h2[i].name);
}

TEST(DnsConfig, TrustAnchors) {
  TempFile file("; the root's key\n\n. IN DS 20326 8 2 E06D44B8 ; keytag 20326\n"
                "signed.test. 3600 IN DNSKEY 257 3 13 abc=\n");
  EXPECT_EQ(ResolverConfig::readTrustAnchors(file.path()),
            (std::vector<std::string>{". IN DS 20326 8 2 E06D44B8 ", "signed.test. 3600 IN DNSKEY 257 3 13 abc="}));
  TempFile empty("; nothing\n");
  EXPECT_THROW(ResolverConfig::readTrustAnchors(empty.path()), std::runtime_error);

  auto cfg = posthorn::config::Config::parse("dns_servers = 127.0.0.1\ndns_trust_anchor_file = " + file.path() + "\n",
                                             "test.conf");
  EXPECT_EQ(ResolverConfig::fromConfig(cfg).trustAnchors.size(), 2u);
  auto off = posthorn::config::Config::parse("dns_servers = 127.0.0.1\ndns_trust_anchor_file =\n", "test.conf");
  EXPECT_TRUE(ResolverConfig::fromConfig(off).trustAnchors.empty());
  auto missing = posthorn::config::Config::parse(
      "dns_servers = 127.0.0.1\n\ndns_trust_anchor_file = /nonexistent/root.key\n", "test.conf");
  try {
    ResolverConfig::fromConfig(missing);
    FAIL() << "an unreadable trust anchor file is a configuration error";
  } catch (const posthorn::config::ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("test.conf:3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("/nonexistent/root.key"), std::string::npos) << e.what();
  }
}

TEST(DnsRecord, DecodesTheTypesPosthornReads) {
  auto a = decodeRecord(RrType::A, bytes({192, 0, 2, 7}));
  ASSERT_TRUE(a);
  EXPECT_EQ(a->address, "192.0.2.7");
  auto aaaa = decodeRecord(RrType::AAAA, bytes({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  ASSERT_TRUE(aaaa);
  EXPECT_EQ(aaaa->address, "2001:db8::1");
  auto mx = decodeRecord(RrType::MX, bytes({0, 10, 3, 'M', 'x', '1', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0}));
  ASSERT_TRUE(mx);
  EXPECT_EQ(mx->preference, 10);
  EXPECT_EQ(mx->target, "mx1.example");
  auto nullMx = decodeRecord(RrType::MX, bytes({0, 0, 0}));
  ASSERT_TRUE(nullMx);
  EXPECT_EQ(nullMx->target, "");
  auto ptr = decodeRecord(RrType::PTR, bytes({4, 'm', 'a', 'i', 'l', 4, 't', 'e', 's', 't', 0}));
  ASSERT_TRUE(ptr);
  EXPECT_EQ(ptr->target, "mail.test");
  auto txt = decodeRecord(RrType::TXT, bytes({7, 'v', '=', 's', 'p', 'f', '1', ' ', 4, '-', 'a', 'l', 'l', 0}));
  ASSERT_TRUE(txt);
  EXPECT_EQ(txt->texts, (std::vector<std::string>{"v=spf1 ", "-all", ""}));
  // SRV (RFC 2782): priority 0, weight 1, port 587, target mx.test
  auto srv = decodeRecord(RrType::SRV, bytes({0, 0, 0, 1, 0x02, 0x4b, 2, 'M', 'x', 4, 't', 'e', 's', 't', 0}));
  ASSERT_TRUE(srv);
  EXPECT_EQ(srv->preference, 0);
  EXPECT_EQ(srv->weight, 1);
  EXPECT_EQ(srv->port, 587);
  EXPECT_EQ(srv->target, "mx.test");
  auto other = decodeRecord(RrType::TLSA, bytes({3, 1, 1, 0xab}));
  ASSERT_TRUE(other);
  EXPECT_EQ(other->data, bytes({3, 1, 1, 0xab}));
}

TEST(DnsRecord, MalformedDataIsRefused) {
  EXPECT_FALSE(decodeRecord(RrType::A, bytes({192, 0, 2})));
  EXPECT_FALSE(decodeRecord(RrType::AAAA, bytes({1, 2, 3, 4})));
  EXPECT_FALSE(decodeRecord(RrType::MX, bytes({0, 10})));
  EXPECT_FALSE(decodeRecord(RrType::MX, bytes({0, 10, 5, 'a', 'b', 0})));        // label runs past the end
  EXPECT_FALSE(decodeRecord(RrType::PTR, bytes({1, 'a'})));                      // no root label
  EXPECT_FALSE(decodeRecord(RrType::PTR, bytes({0xc0, 0x0c})));                  // a compression pointer
  EXPECT_FALSE(decodeRecord(RrType::PTR, bytes({1, 'a', 0, 1})));                // bytes after the name
  EXPECT_FALSE(decodeRecord(RrType::TXT, bytes({5, 'a', 'b'})));                 // string runs past the end
  EXPECT_FALSE(decodeRecord(RrType::SRV, bytes({0, 0, 0, 1, 0x02, 0x4b})));       // no target
  EXPECT_FALSE(decodeRecord(RrType::SRV, bytes({0, 0, 0, 1, 0x02, 0x4b, 0, 9}))); // bytes after the target
}

TEST(DnsRecord, NormalizeName) {
  std::string why;
  EXPECT_EQ(normalizeName("Mail.Example.COM.", &why), "mail.example.com");
  EXPECT_EQ(normalizeName("_dmarc.example.com", &why), "_dmarc.example.com");
  EXPECT_EQ(normalizeName(".", &why), "");
  EXPECT_FALSE(normalizeName("bad..name", &why));
  EXPECT_NE(why.find("empty label"), std::string::npos) << why;
  EXPECT_FALSE(normalizeName(std::string(64, 'a') + ".test", &why));
  EXPECT_FALSE(normalizeName(std::string(200, 'a') + "." + std::string(60, 'b'), &why));
  EXPECT_FALSE(normalizeName("a\\046b.test", &why));  // an escape libunbound would decode
  EXPECT_FALSE(normalizeName("a b.test", &why));
  EXPECT_FALSE(normalizeName(std::string("a\0b.test", 8), &why));
}


TEST(DnsResolver, AnUnusableTrustAnchorIsNamed) {
  ResolverConfig rc;
  rc.servers.push_back(parseServer("127.0.0.1:9"));
  rc.trustAnchors = {". IN DS 20326 8 2 E06D44B8", ". IN DNSKEY garbage here"};
  rc.trustAnchorOrigins = {"/etc/mail/root.key:1", "/etc/mail/root.key:2"};
  try {
    Resolver resolver(rc);
    FAIL() << "a trust anchor libunbound cannot parse must be refused";
  } catch (const std::runtime_error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("/etc/mail/root.key:2"), std::string::npos) << what;
    EXPECT_NE(what.find("garbage here"), std::string::npos) << what;
  }
  // The same file read from disk carries its lines.
  TempFile file("; comment\n. IN DS 20326 8 2 E06D44B8\n\n. IN DNSKEY garbage here\n");
  std::vector<std::string> origins;
  ResolverConfig::readTrustAnchors(file.path(), &origins);
  EXPECT_EQ(origins, (std::vector<std::string>{file.path() + ":2", file.path() + ":4"}));
}
