// ipc_request_server_test - the request/reply loop of private services
// (lib/server/request_server.h): replies in order, state per client, held
// (delayed) replies that do not hold up other clients, malformed requests,
// clients that do not read, and the stop
#include <gtest/gtest.h>

#include <event2/event.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "lib/ipc/ipc.h"
#include "lib/server/request_server.h"
#include "lib/util/event_loop.h"
#include "test/unit/ipc_test_messages.h"

namespace posthorn::ipc::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using server::RequestHandler;
using server::RequestReply;
using server::RequestServer;

// Answers each ping with its seq plus `add`.
std::string pingAnswer(const Frame& frame, std::uint64_t add) {
  TestPing ping = decode<TestPing>(frame);
  ping.seq += add;
  return encodeFrame(ping);
}

// Numbers each client's requests from 1, and holds back the reply to a
// ping whose seq is `heldSeq` for `delay`.
class CountingHandler : public RequestHandler {
 public:
  CountingHandler(std::uint64_t heldSeq, std::chrono::milliseconds delay, int* answered)
      : heldSeq_(heldSeq), delay_(delay), answered_(answered) {}
  RequestReply answer(const Frame& frame) override {
    const TestPing ping = decode<TestPing>(frame);
    ++*answered_;
    return {encodeFrame(TestPing{++count_}), ping.seq == heldSeq_ ? delay_ : 0ms};
  }

 private:
  std::uint64_t heldSeq_;
  std::chrono::milliseconds delay_;
  int* answered_;
  std::uint64_t count_ = 0;
};

class RequestServerTest : public ::testing::Test {
 protected:
  ~RequestServerTest() override {
    for (auto& t : clients_) t.join();
  }

  // Serves a new connection as `peer`; returns the client's end.
  Channel connect(RequestServer& server, const std::string& peer) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    server.serve(base_.get(), server::Connection{fds[0], peer, [this] { ++ended_; }});
    Channel client(fds[1]);
    client.setTimeout(5s);
    return client;
  }

  // Runs `body` with the client's channel on a thread of its own (the loop
  // runs on this one).
  void client(Channel channel, std::function<void(Channel&)> body) {
    clients_.emplace_back([channel = std::move(channel), body = std::move(body)]() mutable {
      try {
        body(channel);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "client: " << e.what();
      }
    });
  }

  // Runs the loop until done() holds (false after 10 s).
  bool runUntil(const std::function<bool()>& done) {
    const auto until = Clock::now() + 10s;
    while (!done()) {
      if (Clock::now() > until) return false;
      const timeval tick{0, 5000};
      event_base_loopexit(base_.get(), &tick);
      event_base_dispatch(base_.get());
    }
    return true;
  }

  loop::Base base_ = loop::newBase();
  std::atomic<int> ended_{0};
  std::vector<std::thread> clients_;
};

TEST_F(RequestServerTest, AnswersPipelinedRequestsInOrder) {
  RequestServer server([](const Frame& f, const std::string&) { return pingAnswer(f, 100); },
                       5s);
  std::atomic<bool> done{false};
  client(connect(server, "a"), [&](Channel& c) {
    for (std::uint64_t i = 1; i <= 3; ++i) c.send(TestPing{i});
    for (std::uint64_t i = 1; i <= 3; ++i) EXPECT_EQ(c.receive<TestPing>().seq, 100 + i);
    done = true;
  });
  ASSERT_TRUE(runUntil([&] { return done.load(); }));
  clients_.back().join();
  clients_.clear();  // the client's end closes: the session ends
  EXPECT_TRUE(runUntil([&] { return ended_ == 1; }));
}

TEST_F(RequestServerTest, EachClientHasItsOwnHandler) {
  int answered = 0;
  std::vector<std::string> peers;
  RequestServer server(
      [&](const std::string& peer) {
        peers.push_back(peer);
        return std::make_unique<CountingHandler>(0, 0ms, &answered);
      },
      5s);
  std::atomic<int> done{0};
  for (const char* peer : {"a", "b"}) {
    client(connect(server, peer), [&](Channel& c) {
      for (std::uint64_t i = 1; i <= 2; ++i) {
        c.send(TestPing{i});
        EXPECT_EQ(c.receive<TestPing>().seq, i);
      }
      ++done;
    });
  }
  ASSERT_TRUE(runUntil([&] { return done == 2; }));
  EXPECT_EQ(peers, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(answered, 4);
}

TEST_F(RequestServerTest, AHeldReplyHoldsUpOnlyItsClient) {
  int answered = 0;
  RequestServer server(
      [&](const std::string&) { return std::make_unique<CountingHandler>(1, 1000ms, &answered); },
      5s);
  std::atomic<bool> aSent{false};
  Clock::time_point aSentAt, aFirst, aSecond, bAnswered;
  std::atomic<int> done{0};
  client(connect(server, "a"), [&](Channel& c) {
    aSentAt = Clock::now();
    c.send(TestPing{1});  // held back for a second
    c.send(TestPing{2});  // waits for it
    aSent = true;
    EXPECT_EQ(c.receive<TestPing>().seq, 1u);
    aFirst = Clock::now();
    EXPECT_EQ(c.receive<TestPing>().seq, 2u);
    aSecond = Clock::now();
    ++done;
  });
  ASSERT_TRUE(runUntil([&] { return aSent.load() && answered == 1; }));
  client(connect(server, "b"), [&](Channel& c) {
    c.send(TestPing{5});
    EXPECT_EQ(c.receive<TestPing>().seq, 1u);
    bAnswered = Clock::now();
    ++done;
  });
  ASSERT_TRUE(runUntil([&] { return done == 2; }));
  EXPECT_LT(bAnswered, aFirst);
  EXPECT_GE(aFirst - aSentAt, 990ms);
  EXPECT_GE(aSecond, aFirst);
  EXPECT_EQ(answered, 3);
}

TEST_F(RequestServerTest, AMalformedRequestDropsOnlyThatClient) {
  RequestServer server([](const Frame& f, const std::string&) { return pingAnswer(f, 0); }, 5s);
  std::atomic<int> done{0};
  client(connect(server, "bad"), [&](Channel& c) {
    c.send(TestEcho{});  // not a ping: decode throws ProtocolError
    EXPECT_THROW(c.receiveFrame(), ChannelClosed);
    ++done;
  });
  ASSERT_TRUE(runUntil([&] { return done == 1 && ended_ == 1; }));
  client(connect(server, "good"), [&](Channel& c) {
    c.send(TestPing{4});
    EXPECT_EQ(c.receive<TestPing>().seq, 4u);
    ++done;
  });
  EXPECT_TRUE(runUntil([&] { return done == 2; }));
}

TEST_F(RequestServerTest, AClientThatDoesNotReadIsPaused) {
  int answered = 0;
  const std::string big(100 << 10, 'x');
  RequestServer server(
      [&](const Frame& f, const std::string&) {
        ++answered;
        TestEcho echo;
        echo.u64 = decode<TestPing>(f).seq;
        echo.text = big;
        return encodeFrame(echo);
      },
      5s);
  constexpr std::uint64_t kRequests = 100;  // 10 MB of replies
  std::atomic<bool> sent{false}, read{false}, done{false};
  client(connect(server, "slow"), [&](Channel& c) {
    for (std::uint64_t i = 0; i < kRequests; ++i) c.send(TestPing{i});
    sent = true;
    while (!read) std::this_thread::sleep_for(5ms);
    for (std::uint64_t i = 0; i < kRequests; ++i) EXPECT_EQ(c.receive<TestEcho>().u64, i);
    done = true;
  });
  ASSERT_TRUE(runUntil([&] { return sent.load(); }));
  const auto until = Clock::now() + 200ms;
  runUntil([&] { return Clock::now() > until; });
  EXPECT_LT(answered, static_cast<int>(kRequests / 2)) << "the replies are not bounded";
  read = true;
  ASSERT_TRUE(runUntil([&] { return done.load(); }));
  EXPECT_EQ(answered, static_cast<int>(kRequests));
}

TEST_F(RequestServerTest, StopWritesTheHeldReplyThenCloses) {
  int answered = 0;
  RequestServer server(
      [&](const std::string&) { return std::make_unique<CountingHandler>(1, 300ms, &answered); },
      5s);
  std::atomic<bool> done{false};
  client(connect(server, "a"), [&](Channel& c) {
    c.send(TestPing{1});
    EXPECT_EQ(c.receive<TestPing>().seq, 1u);
    EXPECT_THROW(c.receiveFrame(), ChannelClosed);
    done = true;
  });
  ASSERT_TRUE(runUntil([&] { return answered == 1; }));
  server.stop();
  EXPECT_TRUE(runUntil([&] { return done.load() && ended_ == 1; }));
  // A client that comes after the stop is closed at once.
  done = false;
  const auto start = Clock::now();
  client(connect(server, "late"), [&](Channel& c) {
    EXPECT_THROW(c.receiveFrame(), ChannelClosed);
    done = true;
  });
  EXPECT_TRUE(runUntil([&] { return done.load() && ended_ == 2; }));
  EXPECT_LT(Clock::now() - start, 2s);
}

}  // namespace
}  // namespace posthorn::ipc::test
