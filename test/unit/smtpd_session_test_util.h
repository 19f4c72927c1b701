// smtpd_session_test_util - what the SMTP session tests share: a fixture
// holding settings, fakes and a session, the transcript fixture of the
// smtpd_session_* tests, reply splitting, and the maillog they write
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "lib/log/log.h"
#include "smtpd/smtpd_session.h"
#include "test/unit/smtpd_fakes.h"

namespace posthorn::smtpd::testing {

// One maillog file for the whole test program, made on first use.
inline std::string logPath() {
  static const std::string path = [] {
    char tmpl[] = "/tmp/smtpd_session_test.XXXXXX";
    int fd = ::mkstemp(tmpl);
    if (fd >= 0) ::close(fd);
    return std::string(tmpl);
  }();
  return path;
}

inline std::size_t logSize() {
  std::ifstream f(logPath(), std::ios::binary | std::ios::ate);
  return f ? static_cast<std::size_t>(f.tellg()) : 0;
}

inline std::string logSince(std::size_t offset) {
  std::ifstream f(logPath(), std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string all = ss.str();
  return offset < all.size() ? all.substr(offset) : "";
}

// The reply lines in `out`, without CRLF.
inline std::vector<std::string> lines(const std::string& out) {
  std::vector<std::string> v;
  std::size_t start = 0;
  while (start < out.size()) {
    std::size_t end = out.find("\r\n", start);
    if (end == std::string::npos) {
      v.push_back(out.substr(start));
      break;
    }
    v.push_back(out.substr(start, end - start));
    start = end + 2;
  }
  return v;
}

// The final line of each reply ("250 2.1.0 Ok"), continuation lines dropped.
inline std::vector<std::string> replies(const std::string& out) {
  std::vector<std::string> v;
  for (const auto& l : lines(out))
    if (l.size() >= 4 && l[3] == ' ') v.push_back(l);
  return v;
}

// The content after our Received: header (which ends at the first line
// that does not start with a tab, after "Received:").
inline std::string bodyAfterReceived(const std::string& content) {
  EXPECT_EQ(content.rfind("Received: ", 0), 0u) << content;
  std::size_t pos = 0;
  while (true) {
    std::size_t nl = content.find("\r\n", pos);
    if (nl == std::string::npos) return "";
    pos = nl + 2;
    if (pos >= content.size() || content[pos] != '\t') return content.substr(pos);
  }
}

// What every session test holds: the settings, the fakes a Session talks
// to, and the session (declared last: it goes first).
class SessionFixture : public ::testing::Test {
 protected:
  // The settings start from the defaults table, or from `cfg`.
  explicit SessionFixture(const config::Config& cfg = config::Config::defaults()) : settings(cfg) {}

  // A new session (and policy) on the current settings.
  void open(const Peer& peer, bool tlsAvailable, Authenticator* auth = nullptr) {
    policy = std::make_unique<Policy>(settings, lookups);
    session = std::make_unique<Session>(settings, *policy, sinks, io, peer, tlsAvailable, auth);
  }

  // Feeds bytes in one piece; returns what the session answered.
  std::string send(const std::string& bytes) {
    session->receive(bytes);
    return io.take();
  }

  Settings settings;
  FakeLookups lookups;
  FakeSinkFactory sinks;
  FakeIo io;
  std::unique_ptr<Policy> policy;
  std::unique_ptr<Session> session;
};

// The smtpd_session_* tests' fixture: mx.example.org with local, virtual,
// alias and relay domains, a 10,000-byte size limit, 5 recipients a
// message, logging to logPath().
class SessionTest : public SessionFixture {
 protected:
  void SetUp() override {
    log::Options lo;
    lo.program = "smtpd";
    lo.maillogFile = logPath();
    lo.hostname = "testhost";
    log::init(lo);
    settings.myhostname = "mx.example.org";
    settings.mailName = "posthorn";
    settings.banner = "mx.example.org ESMTP posthorn";
    settings.myorigin = "mx.example.org";
    settings.messageSizeLimit = 10000;
    settings.recipientLimit = 5;
    settings.hardErrorLimit = 20;
    settings.mynetworks = {"127.0.0.0/8", "[::1]/128"};
    settings.bareNewlineExclusions = {};
    settings.aliasMaps = {"hash:/etc/mail/aliases"};
    lookups.domains = {{"mx.example.org", address::AddressClass::Local},
                       {"example.org", address::AddressClass::Local},
                       {"virtual.example", address::AddressClass::Virtual},
                       {"alias.example", address::AddressClass::Alias},
                       {"relayed.example", address::AddressClass::Relay}};
    lookups.users = {"alice@example.org", "bob@virtual.example"};
    lookups.tables["hash:/etc/mail/aliases"] = {{"sales", "alice"}};
  }

  void start(const std::string& ip = "192.0.2.1", bool tlsAvailable = false) {
    Peer peer;
    peer.address = ip;
    peer.name = "client.example.net";
    open(peer, tlsAvailable);
    session->start();
    greeting = io.take();
  }

  // Feeds bytes one at a time (the slowest network there is).
  std::string trickle(const std::string& bytes) {
    for (char c : bytes) session->receive(std::string_view(&c, 1));
    return io.take();
  }

  std::string last(const std::string& bytes) {
    auto r = replies(send(bytes));
    return r.empty() ? "" : r.back();
  }

  // EHLO + MAIL + RCPT to alice, answered.
  void envelope(const std::string& mailParams = "") {
    ASSERT_EQ(replies(send("EHLO client.example.net\r\n")).size(), 1u);
    ASSERT_EQ(last("MAIL FROM:<sender@example.net>" + mailParams + "\r\n"), "250 2.1.0 Ok");
    ASSERT_EQ(last("RCPT TO:<alice@example.org>\r\n"), "250 2.1.5 Ok");
  }

  std::string greeting;
};

}  // namespace posthorn::smtpd::testing
