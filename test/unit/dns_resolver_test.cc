// dns_resolver_test - server lists, MX order, and the resolver against a
// scripted DNS server on loopback (UDP and, for truncated answers, TCP)
#include "lib/dns/dns_resolver.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "lib/config/config.h"

using namespace posthorn::dns;

namespace {

// Answers queries from a table: name/type -> a function that fills the
// answer (or returns false to stay silent).
class FakeServer {
 public:
  using Handler = std::function<bool(const Message& q, Message* a)>;
  explicit FakeServer(Handler h) : handler_(std::move(h)) {
    udp_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    tcp_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(udp_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(udp_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    const int one = 1;
    ::setsockopt(tcp_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(tcp_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) ::listen(tcp_, 4);
    thread_ = std::thread([this] { run(); });
  }
  ~FakeServer() {
    stop_ = true;
    thread_.join();
    ::close(udp_);
    ::close(tcp_);
  }
  int port() const { return port_; }
  std::atomic<int> udpQueries{0}, tcpQueries{0};

 private:
  void run() {
    while (!stop_) {
      pollfd p[2] = {{udp_, POLLIN, 0}, {tcp_, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      if (p[0].revents & POLLIN) {
        char buf[4096];
        sockaddr_storage from{};
        socklen_t fl = sizeof from;
        const ssize_t n = ::recvfrom(udp_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
        ++udpQueries;
        std::string out;
        if (n > 0 && answer(std::string(buf, n), false, &out))
          ::sendto(udp_, out.data(), out.size(), 0, reinterpret_cast<sockaddr*>(&from), fl);
      }
      if (p[1].revents & POLLIN) {
        const int c = ::accept(tcp_, nullptr, nullptr);
        ++tcpQueries;
        char buf[4096];
        const ssize_t n = ::recv(c, buf, sizeof buf, 0);
        std::string out;
        if (n > 2 && answer(std::string(buf + 2, n - 2), true, &out)) {
          std::string framed;
          framed += static_cast<char>(out.size() >> 8);
          framed += static_cast<char>(out.size() & 0xFF);
          framed += out;
          ::send(c, framed.data(), framed.size(), 0);
        }
        ::close(c);
      }
    }
  }
  bool answer(const std::string& wire, bool tcp, std::string* out) {
    const Message q = parseMessage(wire);
    Message a;
    a.id = q.id;
    a.questionName = q.questionName;
    a.questionType = q.questionType;
    a.authoritative = true;
    tcp_flag_ = tcp;
    if (!handler_(q, &a)) return false;
    *out = buildAnswer(a);
    return true;
  }
  Handler handler_;
  int udp_ = -1, tcp_ = -1, port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;

 public:
  bool tcp_flag_ = false;
};

ResolverConfig configFor(int port, int timeoutMs = 300) {
  ResolverConfig rc;
  rc.servers.push_back(parseServer("127.0.0.1:" + std::to_string(port)));
  rc.timeout = std::chrono::milliseconds(timeoutMs);
  rc.attempts = 1;
  rc.seed = 42;
  return rc;
}

Record rr(const std::string& name, RrType t, const std::string& addr, std::uint16_t pref = 0,
          const std::string& target = "") {
  return Record{name, t, 60, addr, pref, target, {}};
}

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

TEST(DnsResolver, AgainstScriptedServer) {
  FakeServer server([](const Message& q, Message* a) {
    const std::string& n = q.questionName;
    if (n == "silent.test") return false;
    if (n == "broken.test") {
      a->rcode = Rcode::ServFail;
    } else if (n == "nx.test") {
      a->rcode = Rcode::NxDomain;
    } else if (n == "mx.test" && q.questionType == RrType::MX) {
      a->answers = {rr("mx.test", RrType::MX, "", 20, "b.mx.test"), rr("mx.test", RrType::MX, "", 10, "a.mx.test")};
    } else if (n == "null.test" && q.questionType == RrType::MX) {
      a->answers = {rr("null.test", RrType::MX, "", 0, "")};
    } else if (n == "alias.test") {
      // CNAME with the target's records in the same answer.
      a->answers = {rr("alias.test", RrType::CNAME, "", 0, "real.test")};
      if (q.questionType == RrType::A) a->answers.push_back(rr("real.test", RrType::A, "192.0.2.7"));
    } else if (n == "outside.test") {
      // CNAME whose target the server does not add: the resolver asks again.
      a->answers = {rr("outside.test", RrType::CNAME, "", 0, "a.mx.test")};
    } else if (n == "a.mx.test" || n == "plain.test") {
      if (q.questionType == RrType::A) a->answers = {rr(n, RrType::A, "192.0.2.1")};
      if (q.questionType == RrType::AAAA) a->answers = {rr(n, RrType::AAAA, "2001:db8::1")};
    } else if (n == "b.mx.test" && q.questionType == RrType::A) {
      a->answers = {rr(n, RrType::A, "192.0.2.2")};
    } else if (n == "spf.test" && q.questionType == RrType::TXT) {
      a->answers = {Record{n, RrType::TXT, 60, "", 0, "", {"v=spf1 ip4:192.0.2.0/24", " -all"}},
                    Record{n, RrType::TXT, 60, "", 0, "", {"other"}}};
    } else if (n == "1.2.0.192.in-addr.arpa" && q.questionType == RrType::PTR) {
      a->answers = {rr(n, RrType::PTR, "", 0, "mail.example.test")};
    } else if (n == "loop.test") {
      a->answers = {rr("loop.test", RrType::CNAME, "", 0, "loop.test")};
    }
    return true;
  });
  Resolver resolver(configFor(server.port()));

  MxResult mx = resolver.lookupMx("MX.test");
  ASSERT_EQ(mx.status, Status::Ok);
  ASSERT_EQ(mx.hosts.size(), 2u);
  EXPECT_EQ(mx.hosts[0].name, "a.mx.test");
  EXPECT_EQ(mx.hosts[1].name, "b.mx.test");

  EXPECT_EQ(resolver.lookupMx("null.test").status, Status::NullMx);
  EXPECT_EQ(resolver.lookupMx("nx.test").status, Status::NotFound);
  EXPECT_EQ(resolver.lookupMx("broken.test").status, Status::TempFail);
  const MxResult silent = resolver.lookupMx("silent.test");
  EXPECT_EQ(silent.status, Status::TempFail);
  EXPECT_NE(silent.error.find("timeout"), std::string::npos) << silent.error;

  // No MX, but an address: the domain is its own MX.
  MxResult implicit = resolver.lookupMx("plain.test");
  ASSERT_EQ(implicit.status, Status::Ok);
  ASSERT_EQ(implicit.hosts.size(), 1u);
  EXPECT_TRUE(implicit.hosts[0].implicit);
  EXPECT_EQ(implicit.hosts[0].name, "plain.test");

  HostResult h = resolver.lookupHost("plain.test");
  ASSERT_EQ(h.status, Status::Ok);
  EXPECT_EQ(h.addresses, (std::vector<std::string>{"2001:db8::1", "192.0.2.1"}));

  QueryResult alias = resolver.query("alias.test", RrType::A);
  ASSERT_EQ(alias.status, Status::Ok);
  EXPECT_EQ(alias.canonicalName, "real.test");
  EXPECT_EQ(alias.records.at(0).address, "192.0.2.7");

  QueryResult outside = resolver.query("outside.test", RrType::A);
  ASSERT_EQ(outside.status, Status::Ok);
  EXPECT_EQ(outside.canonicalName, "a.mx.test");

  // No data of the type: NotFound, but not NXDOMAIN.
  QueryResult nodata = resolver.query("b.mx.test", RrType::AAAA);
  EXPECT_EQ(nodata.status, Status::NotFound);
  EXPECT_FALSE(nodata.nxdomain);

  TextResult txt = resolver.lookupTxt("spf.test");
  ASSERT_EQ(txt.status, Status::Ok);
  EXPECT_EQ(txt.values, (std::vector<std::string>{"v=spf1 ip4:192.0.2.0/24 -all", "other"}));
  TextResult ptr = resolver.lookupPtr("192.0.2.1");
  ASSERT_EQ(ptr.status, Status::Ok);
  EXPECT_EQ(ptr.values, (std::vector<std::string>{"mail.example.test"}));
  EXPECT_EQ(resolver.lookupPtr("192.0.2.99").status, Status::NotFound);
  EXPECT_EQ(resolver.lookupPtr("not-an-address").status, Status::NotFound);

  EXPECT_EQ(resolver.query("loop.test", RrType::A).status, Status::TempFail);
  EXPECT_EQ(resolver.query("bad..name", RrType::A).status, Status::NotFound);
}

TEST(DnsResolver, TruncatedAnswerRetriesOverTcp) {
  FakeServer* self = nullptr;
  FakeServer server([&self](const Message& q, Message* a) {
    if (self != nullptr && !self->tcp_flag_) {
      a->truncated = true;  // UDP: "too big", no records
      return true;
    }
    a->answers = {rr(q.questionName, RrType::A, "192.0.2.99")};
    return true;
  });
  self = &server;
  Resolver resolver(configFor(server.port(), 1000));
  QueryResult r = resolver.query("big.test", RrType::A);
  ASSERT_EQ(r.status, Status::Ok) << r.error;
  EXPECT_EQ(r.records.at(0).address, "192.0.2.99");
  EXPECT_GE(server.tcpQueries.load(), 1);
}

TEST(DnsResolver, SecondServerAfterServfail) {
  FakeServer bad([](const Message&, Message* a) {
    a->rcode = Rcode::ServFail;
    return true;
  });
  FakeServer good([](const Message& q, Message* a) {
    a->answers = {rr(q.questionName, RrType::A, "192.0.2.5")};
    return true;
  });
  ResolverConfig rc = configFor(bad.port());
  rc.servers.push_back(parseServer("127.0.0.1:" + std::to_string(good.port())));
  Resolver resolver(rc);
  QueryResult r = resolver.query("x.test", RrType::A);
  ASSERT_EQ(r.status, Status::Ok) << r.error;
  EXPECT_EQ(r.records.at(0).address, "192.0.2.5");
}
