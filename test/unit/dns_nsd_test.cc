// dns_nsd_test - the resolver (libunbound) against a real authoritative
// server (NSD on 127.0.0.1, a free port, test zones written here): MX
// order, null MX, implicit MX, CNAME chains and loops, TXT (one answer too
// big for UDP: TCP), PTR, NXDOMAIN, no data, SERVFAIL (a zone without its
// file), REFUSED, a server that never answers, the asynchronous layer, and
// DNSSEC: a zone signed with ldnsutils (ldns-keygen, ldns-signzone) whose
// key is the trust anchor is secure, a signed zone whose data was changed
// after signing is bogus, a zone no anchor covers is insecure.
// Skipped when nsd or ldnsutils is not installed (Debian packages nsd,
// ldnsutils).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <event2/event.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "lib/dns/dns_async.h"
#include "lib/dns/dns_resolver.h"
#include "lib/dns/peer_name.h"
#include "lib/util/event_loop.h"

using namespace posthorn::dns;

namespace {

const char* const kNsd = "/usr/sbin/nsd";
const char* const kSignZone = "/usr/bin/ldns-signzone";

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

void writeFileIn(const std::string& dir, const std::string& name, const std::string& text) {
  writeFile(dir + "/" + name, text);
}

// Runs a shell command in dir; its standard output, or "" when it fails.
std::string runIn(const std::string& dir, const std::string& command) {
  std::string out;
  FILE* p = ::popen(("cd '" + dir + "' && " + command).c_str(), "r");
  if (p == nullptr) return out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) out += buf;
  return ::pclose(p) == 0 ? out : std::string();
}

// Writes ZONE.zone, makes a key-signing key for it, signs it into
// ZONE.zone.signed (NSEC, valid four weeks from now); returns the DNSKEY
// record, the trust anchor.
std::string signZone(const std::string& dir, const std::string& zone, const std::string& records) {
  writeFileIn(dir, zone + ".zone",
              "$ORIGIN " + zone + ".\n$TTL 60\n@ IN SOA ns.nsd.test. h.nsd.test. 1 3600 600 86400 60\n"
              "@ IN NS ns.nsd.test.\n" + records);
  std::string key = runIn(dir, "ldns-keygen -k -a ECDSAP256SHA256 " + zone);
  while (!key.empty() && key.back() == '\n') key.pop_back();
  if (key.empty() || runIn(dir, "ldns-signzone " + zone + ".zone " + key + " && echo ok") != "ok\n") return "";
  std::ifstream in(dir + "/" + key + ".key");
  std::string anchor;
  std::getline(in, anchor);
  return anchor.substr(0, anchor.find(';'));
}

// A DNS server that never answers: a UDP socket that reads nothing (and a
// TCP port nobody listens on).
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) throw std::runtime_error("bind");
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  ResolverConfig config(std::chrono::milliseconds timeout, int attempts) const {
    ResolverConfig rc;
    rc.servers.push_back(parseServer("127.0.0.1:" + std::to_string(port_)));
    rc.timeout = timeout;
    rc.attempts = attempts;
    return rc;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class NsdTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access(kNsd, X_OK) != 0) GTEST_SKIP() << "nsd is not installed (apt-get install nsd)";
    if (::access(kSignZone, X_OK) != 0) GTEST_SKIP() << "ldnsutils is not installed (apt-get install ldnsutils)";
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
              "forged IN A 192.0.2.99\ntwo IN A 192.0.2.4\n"
              "null IN MX 0 .\nimplicit IN A 192.0.2.3\n"
              "alias IN CNAME alias2\nalias2 IN CNAME mx1\n"
              "outside IN CNAME host.elsewhere.test.\n"
              "loop IN CNAME loop2\nloop2 IN CNAME loop\n"
              "spf IN TXT \"v=spf1 \" \"-all\"\n"
              "big IN TXT" + big + "\nbig IN TXT" + big + "\nbig IN TXT" + big + "\n");
    writeFile(dir_ + "/2.0.192.in-addr.arpa.zone",
              "$ORIGIN 2.0.192.in-addr.arpa.\n$TTL 60\n"
              "@ IN SOA ns.nsd.test. hostmaster.nsd.test. 1 3600 600 86400 60\n@ IN NS ns.nsd.test.\n"
              "1 IN PTR mx1.nsd.test.\n"
              "2 IN PTR forged.nsd.test.\n"
              "4 IN PTR broken.test.\n4 IN PTR two.nsd.test.\n"
              "5 IN PTR x\\032does\\032not\\032resolve\\032to\\032address.nsd.test.\n");
    signedAnchor_ = signZone(dir_, "signed.test", "www IN A 192.0.2.10\n@ IN MX 10 www\n");
    ASSERT_FALSE(signedAnchor_.empty()) << "ldns-signzone failed in " << dir_;
    bogusAnchor_ = signZone(dir_, "bogus.test", "www IN A 192.0.2.20\n@ IN MX 10 www\n");
    ASSERT_FALSE(bogusAnchor_.empty()) << "ldns-signzone failed in " << dir_;
    // Forge the address after signing: its RRSIG no longer matches.
    ASSERT_EQ(runIn(dir_, "sed -i 's/192\\.0\\.2\\.20/192.0.2.66/' bogus.test.zone.signed && "
                          "grep -c 192.0.2.66 bogus.test.zone.signed"), "1\n");
    writeFile(dir_ + "/nsd.conf",
              "server:\n  ip-address: 127.0.0.1@" + std::to_string(port_) +
                  "\n  username: \"\"\n  chroot: \"\"\n  zonesdir: \"" + dir_ + "\"\n  pidfile: \"" + dir_ +
                  "/nsd.pid\"\n  database: \"\"\n  xfrdfile: \"" + dir_ + "/xfrd.state\"\n  zonelistfile: \"" +
                  dir_ + "/zone.list\"\n  logfile: \"" + dir_ +
                  "/nsd.log\"\n  server-count: 1\n"
                  "remote-control:\n  control-enable: no\n"
                  "zone:\n  name: \"nsd.test\"\n  zonefile: \"nsd.test.zone\"\n"
                  "zone:\n  name: \"2.0.192.in-addr.arpa\"\n  zonefile: \"2.0.192.in-addr.arpa.zone\"\n"
                  "zone:\n  name: \"broken.test\"\n  zonefile: \"broken.test.missing\"\n"
                  "zone:\n  name: \"signed.test\"\n  zonefile: \"signed.test.zone.signed\"\n"
                  "zone:\n  name: \"bogus.test\"\n  zonefile: \"bogus.test.zone.signed\"\n");
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setsid();
      std::freopen("/dev/null", "w", stdout);
      std::freopen((dir_ + "/nsd.stderr").c_str(), "w", stderr);
      ::execl(kNsd, kNsd, "-d", "-c", (dir_ + "/nsd.conf").c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    resolver_ = std::make_unique<Resolver>(configWith({}));
    // Wait until it answers.
    std::string lastError;
    for (int i = 0; i < 100; ++i) {
      const QueryResult soa = resolver_->query("nsd.test", RrType::SOA);
      if (soa.status == Status::Ok) return;
      lastError = soa.error;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    FAIL() << "nsd did not start (" << lastError << "); see " << dir_ << "/nsd.log";
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

  ResolverConfig configWith(std::vector<std::string> anchors) const {
    ResolverConfig rc;
    rc.servers.push_back(parseServer("127.0.0.1:" + std::to_string(port_)));
    rc.timeout = std::chrono::milliseconds(1500);
    rc.attempts = 1;
    rc.seed = 1;
    rc.trustAnchors = std::move(anchors);
    return rc;
  }

  std::string dir_;
  std::string signedAnchor_, bogusAnchor_;
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

TEST_F(NsdTest, ServfailRefusedAndLoopsAreTemporary) {
  // libunbound is a resolver: whatever the server said, a failure reaches
  // us as SERVFAIL.
  const MxResult servfail = resolver_->lookupMx("x.broken.test");
  EXPECT_EQ(servfail.status, Status::TempFail);
  EXPECT_NE(servfail.error.find("SERVFAIL"), std::string::npos) << servfail.error;
  EXPECT_NE(servfail.error.find("name=x.broken.test type=MX"), std::string::npos) << servfail.error;
  EXPECT_EQ(resolver_->lookupMx("not-served.example").status, Status::TempFail);
  EXPECT_EQ(resolver_->query("loop.nsd.test", RrType::A).status, Status::TempFail);
  const QueryResult badName = resolver_->query("bad..name", RrType::A);
  EXPECT_EQ(badName.status, Status::NotFound);
  EXPECT_NE(badName.error.find("empty label"), std::string::npos) << badName.error;
}

TEST_F(NsdTest, ServerThatNeverAnswersTimesOut) {
  SilentServer silent;
  Resolver resolver(silent.config(std::chrono::milliseconds(700), 2));
  const auto start = std::chrono::steady_clock::now();
  const MxResult mx = resolver.lookupMx("nsd.test");
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(mx.status, Status::TempFail);
  EXPECT_NE(mx.error.find("timeout after 1400ms"), std::string::npos) << mx.error;
  // It gave up at its limit (1.4 s), not at libunbound's own (minutes).
  EXPECT_GE(took, std::chrono::milliseconds(1400));
  EXPECT_LT(took, std::chrono::seconds(30));
}

TEST_F(NsdTest, AsynchronousQuestionsAndCancel) {
  std::vector<std::string> answered;
  const int mx = resolver_->start("nsd.test", RrType::MX, [&](QueryResult r) {
    answered.push_back("mx " + std::string(statusName(r.status)) + " " + std::to_string(r.records.size()));
  });
  const int cancelled = resolver_->start("mx1.nsd.test", RrType::A, [&](QueryResult) { answered.push_back("cancelled"); });
  const int txt = resolver_->start("spf.nsd.test", RrType::TXT, [&](QueryResult r) {
    answered.push_back("txt " + (r.records.empty() ? std::string() : r.records[0].texts.at(1)));
  });
  EXPECT_GE(mx, 0);
  EXPECT_GE(cancelled, 0);
  EXPECT_GE(txt, 0);
  resolver_->cancel(cancelled);
  int refused = 0;
  EXPECT_EQ(resolver_->start("bad..name", RrType::A, [&](QueryResult r) {
    refused += r.status == Status::NotFound;
  }), -1);
  EXPECT_EQ(refused, 1);  // at once, from start()
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (answered.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    pollfd p{resolver_->fd(), POLLIN, 0};
    if (::poll(&p, 1, 200) > 0) resolver_->process();
  }
  std::sort(answered.begin(), answered.end());
  EXPECT_EQ(answered, (std::vector<std::string>{"mx ok 2", "txt -all"}));
}

TEST_F(NsdTest, DnssecSecureInsecureAndBogus) {
  Resolver validating(configWith({signedAnchor_, bogusAnchor_}));
  const QueryResult secure = validating.query("www.signed.test", RrType::A);
  ASSERT_EQ(secure.status, Status::Ok) << secure.error;
  EXPECT_EQ(secure.security, Security::Secure);
  EXPECT_EQ(secure.records.at(0).address, "192.0.2.10");
  const MxResult secureMx = validating.lookupMx("signed.test");
  ASSERT_EQ(secureMx.status, Status::Ok) << secureMx.error;
  EXPECT_EQ(secureMx.security, Security::Secure);
  // Proven not to exist: NotFound, and secure.
  const QueryResult proven = validating.query("nothing.signed.test", RrType::A);
  EXPECT_EQ(proven.status, Status::NotFound);
  EXPECT_TRUE(proven.nxdomain);
  EXPECT_EQ(proven.security, Security::Secure);

  // The forged address: bogus, a temporary failure, no data handed out.
  const QueryResult bogus = validating.query("www.bogus.test", RrType::A);
  EXPECT_EQ(bogus.status, Status::TempFail);
  EXPECT_EQ(bogus.security, Security::Bogus);
  EXPECT_TRUE(bogus.records.empty());
  EXPECT_NE(bogus.error.find("DNSSEC validation failed"), std::string::npos) << bogus.error;
  const HostResult bogusHost = validating.lookupHost("www.bogus.test");
  EXPECT_EQ(bogusHost.status, Status::TempFail);
  EXPECT_EQ(bogusHost.security, Security::Bogus);
  EXPECT_TRUE(bogusHost.addresses.empty());

  // No anchor covers nsd.test: insecure, and answered as before.
  const MxResult insecure = validating.lookupMx("nsd.test");
  ASSERT_EQ(insecure.status, Status::Ok) << insecure.error;
  EXPECT_EQ(insecure.security, Security::Insecure);
  // Without anchors nothing is validated, the signed zone included.
  const QueryResult unvalidated = resolver_->query("www.bogus.test", RrType::A);
  ASSERT_EQ(unvalidated.status, Status::Ok) << unvalidated.error;
  EXPECT_EQ(unvalidated.security, Security::Insecure);
}

TEST_F(NsdTest, PeerNameThroughTheLoop) {
  posthorn::loop::Base base = posthorn::loop::newBase();
  EventResolver events(base.get(), *resolver_);
  std::map<std::string, PeerName> found;
  for (const char* address :
       {"192.0.2.1", "::ffff:192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5", "nonsense"})
    lookupPeerName(events, address, [&found, address](PeerName n) { found[address] = std::move(n); });
  EXPECT_EQ(found.count("nonsense"), 1u);  // answered at once
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (found.size() < 7 && std::chrono::steady_clock::now() < deadline)
    event_base_loop(base.get(), EVLOOP_ONCE);
  ASSERT_EQ(found.size(), 7u);
  EXPECT_EQ(found["192.0.2.1"].status, PeerName::Status::Verified);
  EXPECT_EQ(found["192.0.2.1"].name, "mx1.nsd.test");
  EXPECT_STREQ(found["192.0.2.1"].iprev(), "pass");
  EXPECT_EQ(found["::ffff:192.0.2.1"].name, "mx1.nsd.test");  // an IPv4 client on an IPv6 socket
  // The PTR name does not lead back: forged, "unknown", but its name kept.
  EXPECT_EQ(found["192.0.2.2"].status, PeerName::Status::Mismatch);
  EXPECT_EQ(found["192.0.2.2"].name, "unknown");
  EXPECT_EQ(found["192.0.2.2"].ptrName, "forged.nsd.test");
  EXPECT_STREQ(found["192.0.2.2"].iprev(), "fail");
  EXPECT_EQ(found["192.0.2.3"].status, PeerName::Status::NoName);
  EXPECT_EQ(found["192.0.2.3"].ptrName, "");
  EXPECT_STREQ(found["192.0.2.3"].iprev(), "permerror");  // RFC 8601 2.7.3: no PTR data
  // A PTR target that is no host name (spaces, as a forged log line would
  // need) is not used.
  EXPECT_EQ(found["192.0.2.5"].status, PeerName::Status::NoName);
  EXPECT_EQ(found["192.0.2.5"].ptrName, "");
  // Two PTR names, the first in a zone that fails: the second confirms.
  EXPECT_EQ(found["192.0.2.4"].status, PeerName::Status::Verified) << found["192.0.2.4"].error;
  EXPECT_EQ(found["192.0.2.4"].name, "two.nsd.test");
  EXPECT_EQ(found["nonsense"].status, PeerName::Status::NoName);
  EXPECT_EQ(events.outstanding(), 0u);
}

TEST_F(NsdTest, PeerNameWhenTheDnsIsSilent) {
  SilentServer silent;
  Resolver resolver(silent.config(std::chrono::milliseconds(500), 1));
  posthorn::loop::Base base = posthorn::loop::newBase();
  EventResolver events(base.get(), resolver);
  std::optional<PeerName> found;
  lookupPeerName(events, "192.0.2.1", [&found](PeerName n) { found = std::move(n); });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!found && std::chrono::steady_clock::now() < deadline) event_base_loop(base.get(), EVLOOP_ONCE);
  ASSERT_TRUE(found);
  EXPECT_EQ(found->status, PeerName::Status::TempFail);
  EXPECT_EQ(found->name, "unknown");
  EXPECT_STREQ(found->iprev(), "temperror");
  EXPECT_NE(found->error.find("timeout after 500ms"), std::string::npos) << found->error;
  EXPECT_NE(found->error.find("type=PTR"), std::string::npos) << found->error;
}
