// ipc_request_client_test - the reconnecting request client (lib/ipc/request_client.h)
// against scripted services: what is retried on a new connection and what
// is not, timeouts, errors and their messages
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>

#include "lib/ipc/ipc.h"
#include "lib/ipc/ipc_listen.h"
#include "lib/ipc/request_client.h"
#include "test/unit/ipc_test_messages.h"

namespace posthorn::ipc::test {
namespace {

using namespace std::chrono_literals;
using Kind = RequestError::Kind;
using Reconnect = RequestClient::Reconnect;

std::string tempDir() {
  char tmpl[] = "/tmp/ipc_request_client_test.XXXXXX";
  const char* dir = ::mkdtemp(tmpl);
  EXPECT_NE(dir, nullptr);
  return dir;
}

// A service that takes one connection at a time and runs the test's script
// on it (the connection's number from 1, and its channel); the connection
// closes when the script returns.
class ScriptedService {
 public:
  using Script = std::function<void(int connection, Channel& channel)>;

  explicit ScriptedService(Script script)
      : dir_(tempDir()), path_(dir_ + "/service"), script_(std::move(script)) {
    listenFd_ = listenUnix(path_, 0600);
    thread_ = std::thread([this] { run(); });
  }

  ~ScriptedService() {
    stopping_ = true;
    thread_.join();
    ::close(listenFd_);
    ::unlink(path_.c_str());
    ::rmdir(dir_.c_str());
  }

  const std::string& path() const { return path_; }
  int connections() const { return connections_; }

 private:
  void run() {
    while (!stopping_) {
      auto accepted = acceptUnix(listenFd_);
      if (!accepted) {
        std::this_thread::sleep_for(5ms);
        continue;
      }
      Channel channel(accepted->fd);
      channel.setTimeout(5s);
      try {
        script_(++connections_, channel);
      } catch (const std::exception&) {
        // The client went away: the next connection.
      }
    }
  }

  std::string dir_;
  std::string path_;
  Script script_;
  int listenFd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<int> connections_{0};
  std::thread thread_;
};

// Answers every ping with the same seq, as long as the client asks.
void echoPings(Channel& channel) {
  for (;;) channel.send(channel.receive<TestPing>());
}

RequestClient clientOf(const ScriptedService& service, std::chrono::milliseconds io = 5s) {
  return RequestClient(service.path(), "testd", {.connect = 1s, .io = io});
}

TEST(RequestClient, KeepsOneConnection) {
  ScriptedService service([](int, Channel& c) { echoPings(c); });
  RequestClient client = clientOf(service);
  for (std::uint64_t i = 1; i <= 3; ++i) EXPECT_EQ(client.call<TestPing>(TestPing{i}).seq, i);
  EXPECT_TRUE(client.connected());
  EXPECT_EQ(client.connectCount(), 1);
}

TEST(RequestClient, ReconnectsOnceWhenTheKeptConnectionWasClosed) {
  // Like a service at max_use 1: one answer per connection, then close.
  ScriptedService service([](int, Channel& c) { c.send(c.receive<TestPing>()); });
  RequestClient client = clientOf(service);
  EXPECT_EQ(client.call<TestPing>(TestPing{1}).seq, 1u);
  EXPECT_EQ(client.call<TestPing>(TestPing{2}).seq, 2u);
  EXPECT_EQ(client.call<TestPing>(TestPing{3}).seq, 3u);
  EXPECT_EQ(client.connectCount(), 3);
}

TEST(RequestClient, ANewConnectionThatClosesIsNotRetried) {
  ScriptedService service([](int, Channel& c) { c.receiveFrame(); });
  RequestClient client = clientOf(service);
  try {
    client.call<TestPing>(TestPing{1});
    ADD_FAILURE() << "no error";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.kind(), Kind::Lost);
    EXPECT_EQ(std::string(e.what()), "testd at " + service.path() + ": " + e.cause());
  }
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(client.connectCount(), 1);
  EXPECT_EQ(service.connections(), 1);
}

TEST(RequestClient, AStaleConnectionIsRetriedOnlyOnce) {
  // The first connection answers once; every later one closes unanswered.
  ScriptedService service([](int n, Channel& c) {
    TestPing ping = c.receive<TestPing>();
    if (n == 1) c.send(ping);
  });
  RequestClient client = clientOf(service);
  EXPECT_EQ(client.call<TestPing>(TestPing{1}).seq, 1u);
  try {
    client.call<TestPing>(TestPing{2});
    ADD_FAILURE() << "no error";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.kind(), Kind::Lost);
  }
  EXPECT_EQ(client.connectCount(), 2);
}

TEST(RequestClient, ATimeoutIsNotRetried) {
  std::atomic<bool> release{false};
  ScriptedService service([&](int n, Channel& c) {
    TestPing ping = c.receive<TestPing>();
    if (n == 1) {
      c.send(ping);
      c.receive<TestPing>();  // and then silence
      while (!release) std::this_thread::sleep_for(5ms);
    }
  });
  RequestClient client = clientOf(service, 200ms);
  EXPECT_EQ(client.call<TestPing>(TestPing{1}).seq, 1u);
  const auto start = std::chrono::steady_clock::now();
  try {
    client.call<TestPing>(TestPing{2});
    ADD_FAILURE() << "no error";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.kind(), Kind::Lost);
    EXPECT_NE(e.cause().find("timed out"), std::string::npos) << e.cause();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  EXPECT_EQ(client.connectCount(), 1);
  EXPECT_FALSE(client.connected());
  release = true;
}

TEST(RequestClient, NeverReconnectsAConversation) {
  ScriptedService service([](int, Channel& c) { c.send(c.receive<TestPing>()); });
  RequestClient client = clientOf(service);
  EXPECT_EQ(client.call<TestPing>(TestPing{1}).seq, 1u);
  EXPECT_THROW(client.call<TestPing>(TestPing{2}, Reconnect::Never), RequestError);
  EXPECT_EQ(client.connectCount(), 1);
  // A new request may open a new connection.
  EXPECT_EQ(client.call<TestPing>(TestPing{3}).seq, 3u);
  EXPECT_EQ(client.connectCount(), 2);
}

TEST(RequestClient, UnavailableWhenNothingListens) {
  const std::string dir = tempDir();
  RequestClient client(dir + "/nothing", "testd", {.connect = 1s, .io = 1s});
  try {
    client.call<TestPing>(TestPing{1});
    ADD_FAILURE() << "no error";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.kind(), Kind::Unavailable);
    EXPECT_EQ(std::string(e.what()), "testd unavailable at " + dir + "/nothing: " + e.cause());
    EXPECT_NE(e.cause().find("connect " + dir + "/nothing"), std::string::npos) << e.cause();
  }
  EXPECT_EQ(client.connectCount(), 0);
  ::rmdir(dir.c_str());
}

TEST(RequestClient, AMalformedReplyIsAProtocolErrorAndClosesTheConnection) {
  ScriptedService service([](int n, Channel& c) {
    for (;;) {
      TestPing ping = c.receive<TestPing>();
      if (n == 1) {
        c.send(TestEcho{});  // another message than the reply
      } else {
        c.send(ping);
      }
    }
  });
  RequestClient client = clientOf(service);
  try {
    client.call<TestPing>(TestPing{1});
    ADD_FAILURE() << "no error";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.kind(), Kind::Protocol);
    EXPECT_EQ(std::string(e.what()),
              "testd at " + service.path() + ": protocol error: " + e.cause());
  }
  EXPECT_FALSE(client.connected());
  EXPECT_EQ(client.call<TestPing>(TestPing{2}).seq, 2u);
  EXPECT_EQ(client.connectCount(), 2);
}

TEST(RequestClient, AReplyWithAFileDescriptorIsRefused) {
  ScriptedService service([](int, Channel& c) {
    TestPing ping = c.receive<TestPing>();
    c.send(ping, STDERR_FILENO);
    c.receiveFrame();
  });
  RequestClient client = clientOf(service);
  try {
    client.exchange(TestPing{1});
    ADD_FAILURE() << "no error";
  } catch (const RequestError& e) {
    EXPECT_EQ(e.kind(), Kind::Protocol);
    EXPECT_NE(e.cause().find("file descriptor"), std::string::npos) << e.cause();
  }
}

TEST(RequestClient, TheChannelCarriesWhatFollowsARequest) {
  // cleanup's shape: a request, its reply, then a stream on the same connection.
  ScriptedService service([](int, Channel& c) {
    c.send(c.receive<TestPing>());
    TestPing more = c.receive<TestPing>();
    more.seq += 100;
    c.send(more);
  });
  RequestClient client = clientOf(service);
  const Frame reply = client.exchange(TestPing{7});
  EXPECT_EQ(decode<TestPing>(reply).seq, 7u);
  client.channel().send(TestPing{8});
  EXPECT_EQ(client.channel().receive<TestPing>().seq, 108u);
}

}  // namespace
}  // namespace posthorn::ipc::test
