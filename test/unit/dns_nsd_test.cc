// dns_nsd_test - the resolver against a real authoritative server (NSD on
// 127.0.0.1, a free port, test zones written here): MX order, null MX,
// implicit MX, CNAME chains, TXT (one answer too big for UDP: TCP), PTR,
// NXDOMAIN, no data, SERVFAIL (a zone without its file), REFUSED.
// Skipped when /usr/sbin/nsd is not installed (Debian package nsd).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "lib/dns/dns_resolver.h"

using namespace posthorn::dns;

namespace {

const char* const kNsd = "/usr/sbin/nsd";

int freePort() {
  for (int i = 0; i < 50; ++i) {
    const int t = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(t, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(t, reinterpret_cast<sockaddr*>(&a), &len);
    const int u = ::socket(AF_INET, SOCK_DGRAM, 0);
    const bool ok = ::bind(u, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(u);
    ::close(t);
    if (ok) return ntohs(a.sin_port);
  }
  return 0;
}

void writeFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

class NsdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kNsd, X_OK) != 0) GTEST_SKIP() << "nsd is not installed (apt-get install nsd)";
    char tmpl[] = "/tmp/dns_nsd_XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    port_ = freePort();
    ASSERT_NE(port_, 0);
    std::string big;  // three 250-byte strings, several records: over 512 bytes
    for (int i = 0; i < 3; ++i) big += " \"" + std::string(250, static_cast<char>('a' + i)) + "\"";
    writeFile(dir_ + "/nsd.test.zone",
              "$ORIGIN nsd.test.\n$TTL 60\n"
              "@ IN SOA ns hostmaster 1 3600 600 86400 60\n@ IN NS ns\nns IN A 127.0.0.1\n"
              "@ IN MX 20 mx2\n@ IN MX 10 mx1\nmx1 IN A 192.0.2.1\nmx2 IN AAAA 2001:db8::2\n"
              "null IN MX 0 .\nimplicit IN A 192.0.2.3\n"
              "alias IN CNAME alias2\nalias2 IN CNAME mx1\n"
              "outside IN CNAME host.elsewhere.test.\n"
              "spf IN TXT \"v=spf1 \" \"-all\"\n"
              "big IN TXT" + big + "\nbig IN TXT" + big + "\nbig IN TXT" + big + "\n");
    writeFile(dir_ + "/2.0.192.in-addr.arpa.zone",
              "$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 60\n"
              "@ IN SOA ns.nsd.test. hostmaster.nsd.test. 1 3600 600 86400 60\n@ IN NS ns.nsd.test.\n"
              "1 IN PTR mx1.nsd.test.\n");
    writeFile(dir_ + "/nsd.conf",
              "server:\n  ip-address: 127.0.0.1@" + std::to_string(port_) +
                  "\n  username: \"\"\n  chroot: \"\"\n  zonesdir: \"" + dir_ + "\"\n  pidfile: \"" + dir_ +
                  "/nsd.pid\"\n  database: \"\"\n  xfrdfile: \"" + dir_ + "/xfrd.state\"\n  zonelistfile: \"" +
                  dir_ + "/zone.list\"\n  logfile: \"" + dir_ +
                  "/nsd.log\"\n  server-count: 1\n"
                  "remote-control:\n  control-enable: no\n"
                  "zone:\n  name: \"nsd.test\"\n  zonefile: \"nsd.test.zone\"\n"
                  "zone:\n  name: \"2.0.192.in-addr.arpa\"\n  zonefile: \"2.0.192.in-addr.arpa.zone\"\n"
                  "zone:\n  name: \"broken.test\"\n  zonefile: \"broken.test.missing\"\n");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setsid();
      std::freopen("/dev/null", "w", stdout);
      std::freopen((dir_ + "/nsd.stderr").c_str(), "w", stderr);
      ::execl(kNsd, kNsd, "-d", "-c", (dir_ + "/nsd.conf").c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ResolverConfig rc;
    rc.servers.push_back(parseServer("127.0.0.1:" + std::to_string(port_)));
    rc.timeout = std::chrono::milliseconds(500);
    rc.attempts = 1;
    rc.seed = 1;
    resolver_ = std::make_unique<Resolver>(rc);
    // Wait until it answers.
    for (int i = 0; i < 100; ++i) {
      if (resolver_->query("nsd.test", RrType::SOA).status == Status::Ok) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "nsd did not start; see " << dir_ << "/nsd.log";
  }
  void TearDown() override {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (!dir_.empty() && std::getenv("POSTHORN_KEEP_TMP") == nullptr)
      (void)!std::system(("rm -rf '" + dir_ + "'").c_str());
  }

  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::unique_ptr<Resolver> resolver_;
};

}  // namespace

TEST_F(NsdTest, MxNullMxImplicitMx) {
  MxResult mx = resolver_->lookupMx("NSD.test");
  ASSERT_EQ(mx.status, Status::Ok) << mx.error;
  ASSERT_EQ(mx.hosts.size(), 2u);
  EXPECT_EQ(mx.hosts[0].name, "mx1.nsd.test");
  EXPECT_EQ(mx.hosts[1].name, "mx2.nsd.test");
  EXPECT_EQ(resolver_->lookupHost("mx2.nsd.test").addresses, (std::vector<std::string>{"2001:db8::2"}));
  EXPECT_EQ(resolver_->lookupMx("null.nsd.test").status, Status::NullMx);
  MxResult implicit = resolver_->lookupMx("implicit.nsd.test");
  ASSERT_EQ(implicit.status, Status::Ok);
  EXPECT_TRUE(implicit.hosts.at(0).implicit);
  const MxResult nx = resolver_->lookupMx("nosuch.nsd.test");
  EXPECT_EQ(nx.status, Status::NotFound);
  EXPECT_NE(nx.error.find("host not found"), std::string::npos) << nx.error;
}

TEST_F(NsdTest, CnameChainsAndNoData) {
  QueryResult a = resolver_->query("alias.nsd.test", RrType::A);
  ASSERT_EQ(a.status, Status::Ok) << a.error;
  EXPECT_EQ(a.canonicalName, "mx1.nsd.test");
  EXPECT_EQ(a.records.at(0).address, "192.0.2.1");
  // The CNAME leaves the server's zones: asking for the target is REFUSED.
  EXPECT_EQ(resolver_->query("outside.nsd.test", RrType::A).status, Status::TempFail);
  QueryResult nodata = resolver_->query("mx1.nsd.test", RrType::AAAA);
  EXPECT_EQ(nodata.status, Status::NotFound);
  EXPECT_FALSE(nodata.nxdomain);
}

TEST_F(NsdTest, TxtPtrAndTcpFallback) {
  TextResult spf = resolver_->lookupTxt("spf.nsd.test");
  ASSERT_EQ(spf.status, Status::Ok) << spf.error;
  EXPECT_EQ(spf.values, (std::vector<std::string>{"v=spf1 -all"}));
  TextResult big = resolver_->lookupTxt("big.nsd.test");  // > 512 bytes: truncated over UDP
  ASSERT_EQ(big.status, Status::Ok) << big.error;
  ASSERT_EQ(big.values.size(), 1u);  // the three identical records are one RRset entry
  EXPECT_EQ(big.values[0].size(), 750u);
  TextResult ptr = resolver_->lookupPtr("192.0.2.1");
  ASSERT_EQ(ptr.status, Status::Ok) << ptr.error;
  EXPECT_EQ(ptr.values, (std::vector<std::string>{"mx1.nsd.test"}));
}

TEST_F(NsdTest, ServfailAndRefusedAreTemporary) {
  const MxResult servfail = resolver_->lookupMx("x.broken.test");
  EXPECT_EQ(servfail.status, Status::TempFail);
  EXPECT_NE(servfail.error.find("SERVFAIL"), std::string::npos) << servfail.error;
  const MxResult refused = resolver_->lookupMx("not-served.example");
  EXPECT_EQ(refused.status, Status::TempFail);
  EXPECT_NE(refused.error.find("REFUSED"), std::string::npos) << refused.error;
}
