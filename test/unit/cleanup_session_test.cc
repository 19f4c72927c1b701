// cleanup_session_test - cleanup sessions (cleanup/cleanup_session) against
// the client library (lib/cleanup_client) and against raw, misbehaving
// clients, over a real Unix socket in a scratch queue directory
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <functional>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "lib/proto/cleanup_client.h"
#include "lib/ipc/ipc.h"
#include "lib/ipc/ipc_listen.h"
#include "lib/ipc/ipc_stream.h"
#include "lib/proto/proto_cleanup.h"
#include "lib/queue/queue_file_reader.h"
#include "lib/queue/queue_file_writer.h"
#include "lib/queue/queue_id.h"
#include "cleanup/cleanup_session.h"
#include "lib/queue/qmgr_trigger.h"
#include "test/unit/cleanup_test_server.h"
#include "test/unit/test_util.h"

namespace {

namespace ipc = posthorn::ipc;
namespace q = posthorn::queue;
using posthorn::cleanup::CleanupClient;
using posthorn::cleanup::CleanupSession;
using posthorn::cleanup::SessionSettings;
using posthorn::testing::listDir;
using posthorn::testing::TempDir;

bool waitUntil(const std::function<bool()>& done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// A scratch queue directory and a cleanup server thread on public/cleanup.
class CleanupSessionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ::mkdir((dir_ / "incoming").c_str(), 0700);
    ::mkdir((dir_ / "public").c_str(), 0710);
    settings_.incomingDir = dir_ / "incoming";
    settings_.qmgrTrigger = dir_ / "public/qmgr";
    settings_.myhostname = "mx.example";
    settings_.myorigin = "example.org";
    socket_ = dir_ / "public/cleanup";
  }

  void TearDown() override { stop(); }

  void start() { server_.start(socket_, settings_); }
  void stop() { server_.stop(); }

  static ipc::CleanupEnvelope envelope() {
    ipc::CleanupEnvelope e;
    e.sender = "sender@example.com";
    e.recipients.push_back({"rcpt@example.org", "", 0, ""});
    return e;
  }

  ipc::CleanupReply send(const std::string& content, ipc::CleanupEnvelope env = envelope(),
                         std::uint32_t flags = 0) {
    CleanupClient client(socket_);
    client.begin(env, flags);
    client.write(content);
    return client.finish();
  }

  std::vector<std::string> incoming() const { return listDir(dir_ / "incoming"); }

  TempDir dir_;
  SessionSettings settings_ =
      posthorn::cleanup::Settings(posthorn::config::Config::defaults()).session;
  std::string socket_;
  posthorn::testing::CleanupTestServer server_;  // after settings_: it serves with them
};

TEST_F(CleanupSessionTest, QueuesAMessageWithEveryEnvelopeField) {
  start();
  ipc::CleanupEnvelope e;
  e.sender = "s\xc3\xa9nder@example.com";
  e.arrivalMicros = 1700000000123456;
  e.envid = "envid+1";
  e.ret = q::Ret::Headers;
  e.body = q::BodyType::EightBitMime;
  e.smtputf8 = true;
  e.auth = "<>";
  e.clientAddress = "192.0.2.7";
  e.clientName = "client.example.net";
  e.helo = "helo.example.net";
  e.protocol = "ESMTPSA";
  e.tlsProtocol = "TLSv1.3";
  e.tlsCipher = "TLS_AES_256_GCM_SHA384";
  e.saslMethod = "PLAIN";
  e.saslUsername = "user";
  e.attributes.push_back({"rewrite_context", "remote"});
  e.recipients.push_back({"a@example.org", "rfc822;A@example.org",
                          q::notify::kSuccess | q::notify::kFailure, "A@example.org"});
  e.recipients.push_back({"b@example.org", "", q::notify::kNever, ""});

  CleanupClient client(socket_);
  ASSERT_TRUE(client.open());
  const std::string id = client.queueId();
  EXPECT_TRUE(q::QueueId::isValid(id)) << id;
  // The temporary file exists from the open on.
  EXPECT_EQ(incoming(), std::vector<std::string>{q::QueueFileWriter::tempName(*q::QueueId::parse(id))});
  ASSERT_TRUE(client.begin(e));
  ASSERT_TRUE(client.write("Subject: test\r\nMessage-ID: <m@x>\r\n"));
  ASSERT_TRUE(client.write("Date: Mon, 1 Jan 2024 00:00:00 +0000\r\n\r\nHello\r\n"));
  const ipc::CleanupReply reply = client.finish();
  EXPECT_EQ(reply.line(), "250 2.0.0 Ok: queued as " + id);
  EXPECT_EQ(reply.queueId, id);

  ASSERT_EQ(incoming(), std::vector<std::string>{id});
  q::QueueFileReader reader(dir_ / ("incoming/" + id));
  const q::Envelope& got = reader.envelope();
  EXPECT_EQ(got.sender, e.sender);
  EXPECT_EQ(got.arrival.time_since_epoch().count(), e.arrivalMicros);
  EXPECT_EQ(got.envid, "envid+1");
  EXPECT_EQ(got.ret, q::Ret::Headers);
  EXPECT_EQ(got.body, q::BodyType::EightBitMime);
  EXPECT_TRUE(got.smtputf8);
  EXPECT_EQ(got.auth, "<>");
  EXPECT_EQ(got.client.address, "192.0.2.7");
  EXPECT_EQ(got.client.name, "client.example.net");
  EXPECT_EQ(got.client.helo, "helo.example.net");
  EXPECT_EQ(got.client.protocol, "ESMTPSA");
  EXPECT_EQ(got.client.tlsProtocol, "TLSv1.3");
  EXPECT_EQ(got.client.tlsCipher, "TLS_AES_256_GCM_SHA384");
  EXPECT_EQ(got.client.saslMethod, "PLAIN");
  EXPECT_EQ(got.client.saslUsername, "user");
  ASSERT_EQ(got.attributes.size(), 1u);
  EXPECT_EQ(got.attributes[0].first, "rewrite_context");
  ASSERT_EQ(got.recipients.size(), 2u);
  EXPECT_EQ(got.recipients[0].address, "a@example.org");
  EXPECT_EQ(got.recipients[0].orcpt, "rfc822;A@example.org");
  EXPECT_EQ(got.recipients[0].notify, q::notify::kSuccess | q::notify::kFailure);
  EXPECT_EQ(got.recipients[0].originalAddress, "A@example.org");
  EXPECT_EQ(got.recipients[1].notify, q::notify::kNever);
  EXPECT_EQ(got.recipients[1].originalAddress, "b@example.org");
  EXPECT_EQ(got.recipients[0].status.state, q::RecipientState::Todo);
  EXPECT_EQ(reader.readContent(),
            "Subject: test\nMessage-ID: <m@x>\nDate: Mon, 1 Jan 2024 00:00:00 +0000\n\nHello\n");
}

TEST_F(CleanupSessionTest, AddsMessageIdAndDate) {
  start();
  const ipc::CleanupReply reply = send("Subject: no id\n\nbody\n");
  ASSERT_EQ(reply.code, 250u) << reply.line();
  const std::string content = q::QueueFileReader(dir_ / ("incoming/" + reply.queueId)).readContent();
  const std::string prefix = "Subject: no id\nMessage-ID: <";
  ASSERT_EQ(content.compare(0, prefix.size(), prefix), 0) << content;
  EXPECT_NE(content.find("." + reply.queueId + "@mx.example>\nDate: "), std::string::npos) << content;
  EXPECT_EQ(content.substr(content.size() - 7), "\n\nbody\n");
}

TEST_F(CleanupSessionTest, LargeMessageByteExact) {
  start();
  std::string content = "Message-ID: <big@x>\nDate: d\n\n";
  for (int i = 0; content.size() < (3u << 20); ++i)
    content += "line " + std::to_string(i) + std::string(i % 200, '.') + "\n";
  CleanupClient client(socket_);
  ASSERT_TRUE(client.begin(envelope()));
  // Odd-sized writes, across frame boundaries.
  for (std::size_t i = 0; i < content.size(); i += 7777)
    ASSERT_TRUE(client.write(std::string_view(content).substr(i, 7777)));
  const auto reply = client.finish();
  ASSERT_EQ(reply.code, 250u) << reply.line();
  EXPECT_EQ(q::QueueFileReader(dir_ / ("incoming/" + reply.queueId)).readContent(), content);
}

TEST_F(CleanupSessionTest, SeveralMessagesOverOneConnection) {
  start();
  CleanupClient client(socket_);
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(client.begin(envelope()));
    ASSERT_TRUE(client.write("Subject: " + std::to_string(i) + "\n\nb\n"));
    const auto reply = client.finish();
    ASSERT_EQ(reply.code, 250u) << reply.line();
    ids.push_back(reply.queueId);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(incoming(), ids);
  EXPECT_EQ(server_.connections.load(), 1);
}

TEST_F(CleanupSessionTest, ReconnectsWhenTheKeptConnectionIsGone) {
  settings_.idleTimeout = std::chrono::seconds(1);
  start();
  CleanupClient client(socket_);
  ASSERT_TRUE(client.begin(envelope()));
  client.write("Subject: 1\n\nb\n");
  ASSERT_EQ(client.finish().code, 250u);
  // The session closes the idle connection after a second.
  ASSERT_TRUE(waitUntil([&] { return server_.sessionsDone.load() == 1; }));
  ASSERT_TRUE(client.begin(envelope()));
  client.write("Subject: 2\n\nb\n");
  EXPECT_EQ(client.finish().code, 250u) << client.error();
  EXPECT_EQ(server_.connections.load(), 2);
  EXPECT_EQ(incoming().size(), 2u);
}

TEST_F(CleanupSessionTest, TooBigIs552AndLeavesNothing) {
  settings_.messageSizeLimit = 100000;
  start();
  const auto reply = send("Subject: big\n\n" + std::string(300000, 'x'));
  EXPECT_EQ(reply.line(), "552 5.3.4 Error: message file too big");
  EXPECT_TRUE(incoming().empty());
  // Just under the limit goes through.
  const auto ok = send("Subject: ok\n\n" + std::string(99000, 'x'));
  EXPECT_EQ(ok.code, 250u) << ok.line();
}

TEST_F(CleanupSessionTest, HeaderProblemsAreRejected) {
  settings_.hopcountLimit = 3;
  settings_.headerSizeLimit = 4096;
  start();
  auto reply = send("Received: a\nReceived: b\nReceived: c\nReceived: d\n\nloop\n");
  EXPECT_EQ(reply.line(), "554 5.4.6 Error: too many hops");
  reply = send("X-Big: " + std::string(10000, 'h') + "\n\nb\n");
  EXPECT_EQ(reply.line(), "552 5.6.0 Error: message header too long");
  EXPECT_TRUE(incoming().empty());
}

TEST_F(CleanupSessionTest, EnvelopeProblems) {
  start();
  auto env = envelope();
  env.recipients.clear();
  EXPECT_EQ(send("Subject: x\n\nb\n", env).line(), "554 5.5.1 Error: no recipients specified");
  env = envelope();
  env.recipients[0].address = "bad\naddress";
  EXPECT_EQ(send("Subject: x\n\nb\n", env).code, 554u);
  env = envelope();
  env.body = q::BodyType::BinaryMime;
  EXPECT_EQ(send("Subject: x\n\nb\n", env).status, "5.5.4");
  EXPECT_TRUE(incoming().empty());
}

TEST_F(CleanupSessionTest, LocalSubmissionExtractsRecipientsAndAddsFrom) {
  start();
  auto env = envelope();
  env.recipients.clear();
  env.fullName = "Jane Doe";
  const auto reply =
      send("To: Bob <bob@example.net>, carol\nCc: bob@EXAMPLE.NET\nBcc: dave@example.net\n"
           "Subject: s\n\nbody\n",
           env, ipc::cleanup_flags::kLocalSubmission | ipc::cleanup_flags::kExtractRecipients);
  ASSERT_EQ(reply.code, 250u) << reply.line();
  q::QueueFileReader reader(dir_ / ("incoming/" + reply.queueId));
  std::vector<std::string> rcpts;
  for (const auto& r : reader.envelope().recipients) rcpts.push_back(r.address);
  EXPECT_EQ(rcpts, (std::vector<std::string>{"bob@example.net", "carol@example.org",
                                             "dave@example.net"}));
  const std::string content = reader.readContent();
  EXPECT_EQ(content.find("Bcc"), std::string::npos) << content;
  EXPECT_NE(content.find("\nFrom: Jane Doe <sender@example.com>\n"), std::string::npos) << content;
}

TEST_F(CleanupSessionTest, ClientThatVanishesMidStreamLeavesNothing) {
  start();
  {
    ipc::Channel raw = ipc::Channel::connect(socket_);
    raw.send(ipc::CleanupOpen{0});
    const auto opened = raw.receive<ipc::CleanupOpened>();
    EXPECT_EQ(incoming().size(), 1u);  // the temporary file
    raw.send(envelope());
    raw.send(ipc::ContentChunk{"Subject: half\n\n" + std::string(50000, 'y')});
  }  // closed without ContentEnd
  ASSERT_TRUE(waitUntil([&] { return server_.sessionsDone.load() == 1; }));
  EXPECT_TRUE(incoming().empty());
}

TEST_F(CleanupSessionTest, MalformedFramesDropTheClient) {
  start();
  // An envelope without an open.
  {
    ipc::Channel raw = ipc::Channel::connect(socket_);
    raw.send(envelope());
    EXPECT_THROW(raw.receiveFrame(), ipc::ChannelClosed);
  }
  // A ContentEnd whose size does not match.
  {
    ipc::Channel raw = ipc::Channel::connect(socket_);
    raw.send(ipc::CleanupOpen{0});
    raw.receive<ipc::CleanupOpened>();
    raw.send(envelope());
    raw.send(ipc::ContentChunk{"Subject: x\n\nb\n"});
    raw.send(ipc::ContentEnd{999});
    EXPECT_THROW(raw.receiveFrame(), ipc::ChannelClosed);
  }
  // Unknown flags.
  {
    ipc::Channel raw = ipc::Channel::connect(socket_);
    raw.send(ipc::CleanupOpen{0x80});
    EXPECT_THROW(raw.receiveFrame(), ipc::ChannelClosed);
  }
  // Garbage bytes.
  {
    ipc::Channel raw = ipc::Channel::connect(socket_);
    const char junk[] = "\xff\xff\xff\xff garbage that is not a frame";
    ASSERT_GT(::send(raw.fd(), junk, sizeof junk, MSG_NOSIGNAL), 0);
    EXPECT_THROW(raw.receiveFrame(), ipc::ChannelClosed);
  }
  ASSERT_TRUE(waitUntil([&] { return server_.sessionsDone.load() == 4; }));
  EXPECT_TRUE(incoming().empty());
  // And the next client is served.
  EXPECT_EQ(send("Subject: after\n\nb\n").code, 250u);
}

// What smtpd learns at the end of the content (its Authentication-Results
// field, a junk mark) is stored with the message: the field before the
// content, CRLF made LF, the attributes in the envelope. Forged fields
// with our authserv-id are gone from the content; a reinjected message
// keeps its own.
TEST_F(CleanupSessionTest, AmendmentAtTheEndIsStoredAndForgedResultsGo) {
  settings_.authservId = "mx.example";
  start();
  const std::string forged = "Authentication-Results: mx.example; dmarc=pass header.from=bank.example\r\n";
  const std::string theirs = "Authentication-Results: relay.example; spf=pass\r\n";
  ipc::CleanupAmend amend;
  amend.prependHeader = "Authentication-Results: mx.example;\r\n\tdmarc=fail header.from=bank.example\r\n";
  amend.attributes.push_back({"junk", "dmarc: p=quarantine of bank.example"});
  CleanupClient client(socket_);
  ASSERT_TRUE(client.begin(envelope()));
  ASSERT_TRUE(client.write(forged + theirs + "Subject: s\r\nMessage-ID: <m@x>\r\nDate: d\r\n\r\nbody\r\n"));
  const ipc::CleanupReply reply = client.finish(amend);
  ASSERT_EQ(reply.code, 250u) << reply.line();
  q::QueueFileReader r(dir_ / ("incoming/" + reply.queueId));
  EXPECT_EQ(r.envelope().prependedHeader, "Authentication-Results: mx.example;\n\tdmarc=fail header.from=bank.example\n");
  ASSERT_NE(r.envelope().attribute("junk"), nullptr);
  EXPECT_EQ(*r.envelope().attribute("junk"), "dmarc: p=quarantine of bank.example");
  EXPECT_EQ(r.readContent(),
            "Authentication-Results: mx.example;\n\tdmarc=fail header.from=bank.example\n"
            "Authentication-Results: relay.example; spf=pass\nSubject: s\nMessage-ID: <m@x>\nDate: d\n\nbody\n");

  // Reinjected (local's .forward): our earlier field is kept.
  CleanupClient again(socket_);
  ASSERT_TRUE(again.begin(envelope(), ipc::cleanup_flags::kReinjected));
  ASSERT_TRUE(again.write(forged + "Subject: s\nMessage-ID: <m@x>\nDate: d\n\nbody\n"));
  const ipc::CleanupReply kept = again.finish();
  ASSERT_EQ(kept.code, 250u) << kept.line();
  EXPECT_EQ(q::QueueFileReader(dir_ / ("incoming/" + kept.queueId)).readContent(),
            "Authentication-Results: mx.example; dmarc=pass header.from=bank.example\n"
            "Subject: s\nMessage-ID: <m@x>\nDate: d\n\nbody\n");
}

// A malformed amendment is a protocol error like any other: the client is
// dropped and nothing is queued.
TEST_F(CleanupSessionTest, MalformedAmendmentDropsTheClient) {
  start();
  const auto tryAmend = [&](const ipc::CleanupAmend& amend, bool contentAfter = false) {
    ipc::Channel raw = ipc::Channel::connect(socket_);
    raw.send(ipc::CleanupOpen{0});
    raw.receive<ipc::CleanupOpened>();
    raw.send(envelope());
    raw.send(ipc::ContentChunk{"Subject: x\n\nb\n"});
    raw.send(amend);
    std::uint64_t size = 14;
    if (contentAfter) {
      raw.send(ipc::ContentChunk{"more\n"});
      size += 5;
    }
    raw.send(ipc::ContentEnd{size});
    EXPECT_THROW(raw.receiveFrame(), ipc::ChannelClosed);
  };
  const auto withHeader = [](std::string h) {
    ipc::CleanupAmend a;
    a.prependHeader = std::move(h);
    return a;
  };
  tryAmend(withHeader("X-Test: no line end"));
  tryAmend(withHeader("\tcontinuation first\n"));
  tryAmend(withHeader("X-Test: a\n\nbody smuggled in\n"));
  tryAmend(withHeader("not a header line\n"));
  tryAmend(withHeader("X-Test: bare\rCR\n"));
  tryAmend(withHeader(std::string("X-Test: nul\0\n", 13)));
  tryAmend(withHeader("X-Test: " + std::string(ipc::kMaxCleanupPrepend, 'a') + "\n"));
  ipc::CleanupAmend noName;
  noName.attributes.push_back({"", "v"});
  tryAmend(noName);
  ipc::CleanupAmend many;
  for (std::size_t i = 0; i <= ipc::kMaxCleanupAmendAttributes; ++i) many.attributes.push_back({"a", "v"});
  tryAmend(many);
  tryAmend(withHeader("X-Test: fine\n"), true);  // content after the amendment
  ASSERT_TRUE(waitUntil([&] { return server_.sessionsDone.load() == 10; }));
  EXPECT_TRUE(incoming().empty());
  EXPECT_EQ(send("Subject: after\n\nb\n").code, 250u);
}

TEST_F(CleanupSessionTest, StalledClientTimesOut) {
  settings_.ipcTimeout = std::chrono::seconds(1);
  start();
  ipc::Channel raw = ipc::Channel::connect(socket_);
  raw.send(ipc::CleanupOpen{0});
  raw.receive<ipc::CleanupOpened>();
  raw.send(envelope());
  raw.send(ipc::ContentChunk{"Subject: slow\n"});
  EXPECT_EQ(incoming().size(), 1u);
  ASSERT_TRUE(waitUntil([&] { return server_.sessionsDone.load() == 1; }, std::chrono::seconds(5)));
  EXPECT_TRUE(incoming().empty());
}

TEST_F(CleanupSessionTest, WriteErrorIs451AndLeavesNothing) {
  start();
  // A file size limit stands in for a full disk: writes beyond it fail
  // with EFBIG (SIGXFSZ ignored).
  struct sigaction ignore {}, old {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGXFSZ, &ignore, &old);
  rlimit saved{};
  ::getrlimit(RLIMIT_FSIZE, &saved);
  rlimit small = saved;
  small.rlim_cur = 200000;
  ::setrlimit(RLIMIT_FSIZE, &small);
  const auto reply = send("Subject: x\n\n" + std::string(1 << 20, 'z'));
  ::setrlimit(RLIMIT_FSIZE, &saved);
  ::sigaction(SIGXFSZ, &old, nullptr);
  EXPECT_EQ(reply.line(), "451 4.3.0 Error: queue file write error");
  EXPECT_TRUE(incoming().empty());
}

TEST_F(CleanupSessionTest, RefusalAtOpenWhenIncomingIsMissing) {
  settings_.incomingDir = dir_ / "no-such-dir";
  start();
  CleanupClient client(socket_);
  EXPECT_FALSE(client.open());
  EXPECT_FALSE(client.begin(envelope()));
  EXPECT_FALSE(client.write("x"));
  const auto reply = client.finish();
  EXPECT_EQ(reply.line(), "451 4.3.0 Error: queue file write error");
  EXPECT_EQ(reply.queueId, "");
}

TEST_F(CleanupSessionTest, UnreachableCleanupIs451) {
  // No server.
  CleanupClient client(socket_, {std::chrono::milliseconds(500), std::chrono::seconds(1),
                                 std::chrono::seconds(1)});
  EXPECT_FALSE(client.begin(envelope()));
  const auto reply = client.finish();
  EXPECT_EQ(reply.line(), "451 4.3.0 Error: queue file write error");
  EXPECT_NE(client.error().find(socket_), std::string::npos) << client.error();
}

TEST_F(CleanupSessionTest, CommitWakesQmgr) {
  // A datagram socket stands in for qmgr.
  const int qfd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", settings_.qmgrTrigger.c_str());
  ASSERT_EQ(::bind(qfd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  start();
  ASSERT_EQ(send("Subject: wake\n\nb\n").code, 250u);
  pollfd p{qfd, POLLIN, 0};
  ASSERT_EQ(::poll(&p, 1, 5000), 1);
  char byte = 0;
  EXPECT_EQ(::recv(qfd, &byte, 1, 0), 1);
  EXPECT_EQ(byte, 'W');
  // No wakeup for a rejected message.
  auto env = envelope();
  env.recipients.clear();
  EXPECT_EQ(send("Subject: x\n\nb\n", env).code, 554u);
  EXPECT_EQ(::poll(&p, 1, 200), 0);
  ::close(qfd);
}

TEST(CleanupTrigger, StreamFifoAndAbsent) {
  TempDir dir;
  using posthorn::queue::wakeQmgr;
  EXPECT_FALSE(wakeQmgr(dir / "absent"));
  EXPECT_FALSE(wakeQmgr(""));
  // A stream listener (master's kind of socket).
  const int l = ipc::listenUnix(dir / "stream", 0600);
  EXPECT_TRUE(wakeQmgr(dir / "stream"));
  auto accepted = ipc::acceptUnix(l);
  ASSERT_TRUE(accepted.has_value());
  char byte = 0;
  EXPECT_EQ(::recv(accepted->fd, &byte, 1, 0), 1);
  EXPECT_EQ(byte, 'W');
  ::close(accepted->fd);
  ::close(l);
  // A FIFO with a reader, and without one (not an error, no block).
  ASSERT_EQ(::mkfifo((dir / "fifo").c_str(), 0600), 0);
  EXPECT_FALSE(wakeQmgr(dir / "fifo"));
  const int r = ::open((dir / "fifo").c_str(), O_RDONLY | O_NONBLOCK);
  EXPECT_TRUE(wakeQmgr(dir / "fifo"));
  EXPECT_EQ(::read(r, &byte, 1), 1);
  EXPECT_EQ(byte, 'W');
  ::close(r);
  // A plain file is not a trigger.
  ::close(::open((dir / "file").c_str(), O_CREAT | O_WRONLY, 0600));
  EXPECT_FALSE(wakeQmgr(dir / "file"));
}

}  // namespace
