// ipc_channel_test - Channel over real sockets: messages, fd passing,
// EOF, timeouts, EINTR, SIGPIPE, limits, Unix listeners, and where a
// service's socket is
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "lib/ipc/ipc.h"
#include "lib/ipc/ipc_listen.h"
#include "lib/ipc/service_path.h"
#include "test/unit/ipc_test_messages.h"

namespace posthorn::ipc::test {
namespace {

using namespace std::chrono_literals;

struct Pair {
  Channel a{-1}, b{-1};
  Pair() {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    a = Channel(fds[0]);
    b = Channel(fds[1]);
  }
};

int openFdCount() {
  int n = 0;
  DIR* d = ::opendir("/proc/self/fd");
  while (dirent* e = ::readdir(d))
    if (e->d_name[0] != '.') ++n;
  ::closedir(d);
  return n;
}

std::string tempDir() {
  char tmpl[] = "/tmp/ipc_channel_test.XXXXXX";
  EXPECT_NE(::mkdtemp(tmpl), nullptr);
  return tmpl;
}

TEST(IpcChannel, SendsAndReceivesMessages) {
  Pair p;
  TestEcho m;
  m.text = "over the socket";
  m.rcpts.push_back(Recipient{{"a", "b", 1}, {"x"}, true});
  p.a.send(m);
  p.a.send(TestPing{7});
  EXPECT_EQ(p.b.receive<TestEcho>(), m);
  EXPECT_EQ(p.b.receive<TestPing>().seq, 7u);
  p.b.send(TestPing{8});
  EXPECT_EQ(p.a.receive<TestPing>().seq, 8u);
}

TEST(IpcChannel, LargestFrameCrossesWhileThePeerReads) {
  Pair p;
  std::string body(kMaxFrameBody, 'z');
  body[0] = 'a';
  std::thread sender([&] { p.a.sendFrame(900, 1, body); });
  Frame f = p.b.receiveFrame();
  sender.join();
  EXPECT_EQ(f.body, body);
  EXPECT_EQ(f.type, 900u);
  EXPECT_THROW(p.a.sendFrame(900, 1, std::string(kMaxFrameBody + 1, 'z')), ProtocolError);
}

TEST(IpcChannel, PassesAPipeFd) {
  Pair p;
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  p.a.send(TestPing{1}, pipefd[0]);
  ::close(pipefd[0]);  // the sender's copy; the receiver gets its own

  int got = -1;
  TestPing ping = p.b.receive<TestPing>(&got);
  EXPECT_EQ(ping.seq, 1u);
  ASSERT_GE(got, 0);
  EXPECT_TRUE(::fcntl(got, F_GETFD) & FD_CLOEXEC);
  ASSERT_EQ(::write(pipefd[1], "through", 7), 7);
  ::close(pipefd[1]);
  char buf[16];
  ssize_t n = ::read(got, buf, sizeof buf);
  ASSERT_EQ(n, 7);
  EXPECT_EQ(std::string(buf, 7), "through");
  EXPECT_EQ(::read(got, buf, sizeof buf), 0);
  ::close(got);
}

TEST(IpcChannel, FdStaysWithItsFrame) {
  // Frames before and after the one with the fd do not get it.
  Pair p;
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  p.a.send(TestPing{1});
  p.a.send(TestPing{2}, pipefd[0]);
  p.a.send(TestPing{3});
  Frame f1 = p.b.receiveFrame();
  Frame f2 = p.b.receiveFrame();
  Frame f3 = p.b.receiveFrame();
  EXPECT_EQ(f1.fd, -1);
  EXPECT_GE(f2.fd, 0);
  EXPECT_EQ(decode<TestPing>(f2).seq, 2u);
  EXPECT_EQ(f3.fd, -1);
  ::close(f2.fd);
  ::close(pipefd[0]);
  ::close(pipefd[1]);
}

TEST(IpcChannel, FdOfARejectedFrameIsClosed) {
  Pair p;
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  int before = openFdCount();
  p.a.send(TestPing{1}, pipefd[0]);
  int got = 123;
  EXPECT_THROW(p.b.receive<TestEcho>(&got), ProtocolError);  // wrong type
  EXPECT_EQ(got, -1);
  EXPECT_EQ(openFdCount(), before);

  // An fd nobody asked for is refused and closed as well.
  Pair q;
  before = openFdCount();
  q.a.send(TestPing{1}, pipefd[0]);
  EXPECT_THROW(q.b.receive<TestPing>(), ProtocolError);
  EXPECT_EQ(openFdCount(), before);
  ::close(pipefd[0]);
  ::close(pipefd[1]);
}

TEST(IpcChannel, TwoFdsWithOneFrameAreRefusedAndClosed) {
  Pair p;
  int pipefd[2];
  ASSERT_EQ(::pipe(pipefd), 0);
  int before = openFdCount();
  std::string wire = encodeFrame(TestPing{1});
  iovec iov{wire.data(), wire.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))] = {};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(2 * sizeof(int));
  std::memcpy(CMSG_DATA(c), pipefd, 2 * sizeof(int));
  ASSERT_EQ(::sendmsg(p.a.fd(), &msg, 0), static_cast<ssize_t>(wire.size()));
  try {
    p.b.receiveFrame();
    ADD_FAILURE() << "two fds accepted";
  } catch (const ProtocolError& e) {
    EXPECT_NE(std::string(e.what()).find("more than one file descriptor"), std::string::npos);
  }
  EXPECT_EQ(openFdCount(), before);
  ::close(pipefd[0]);
  ::close(pipefd[1]);
}

TEST(IpcChannel, OversizedHeaderIsRejectedWithoutWaitingForTheBody) {
  Pair p;
  p.b.setTimeout(5s);
  char header[12];
  std::uint32_t v[3] = {htonl(0xffffffffu), htonl(900), htonl(1)};
  std::memcpy(header, v, sizeof header);
  ASSERT_EQ(::write(p.a.fd(), header, sizeof header), 12);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(p.b.receiveFrame(), ProtocolError);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(IpcChannel, EofIsChannelClosed) {
  {
    Pair p;
    p.a = Channel(-1);  // closes a's end
    try {
      p.b.receiveFrame();
      ADD_FAILURE() << "no exception";
    } catch (const ChannelClosed& e) {
      EXPECT_STREQ(e.what(), "the peer closed the connection");
    }
  }
  {
    Pair p;
    std::string wire = encodeFrame(TestPing{1});
    ASSERT_EQ(::write(p.a.fd(), wire.data(), wire.size() - 1),
              static_cast<ssize_t>(wire.size() - 1));
    p.a = Channel(-1);
    try {
      p.b.receiveFrame();
      ADD_FAILURE() << "no exception";
    } catch (const ChannelClosed& e) {
      EXPECT_NE(std::string(e.what()).find("in the middle of a frame"), std::string::npos);
    }
  }
}

TEST(IpcChannel, SendToAGonePeerIsChannelClosedNotSigpipe) {
  ::signal(SIGPIPE, SIG_DFL);  // a SIGPIPE would kill this test
  Pair p;
  p.b = Channel(-1);
  EXPECT_THROW(
      {
        for (int i = 0; i < 100; ++i) p.a.send(TestPing{1});
      },
      ChannelClosed);
}

TEST(IpcChannel, ReceiveTimesOut) {
  Pair p;
  p.b.setTimeout(150ms);
  auto start = std::chrono::steady_clock::now();
  EXPECT_THROW(p.b.receiveFrame(), ChannelTimeout);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 140ms);
  EXPECT_LT(took, 2s);
}

TEST(IpcChannel, SendTimesOutWhenThePeerDoesNotRead) {
  Pair p;
  p.a.setTimeout(200ms);
  std::string body(kMaxFrameBody, 'x');
  EXPECT_THROW(
      {
        for (int i = 0; i < 64; ++i) p.a.sendFrame(900, 1, body);
      },
      ChannelTimeout);
}

volatile sig_atomic_t alarms = 0;
void onAlarm(int) { alarms = alarms + 1; }

TEST(IpcChannel, SignalsDoNotInterruptAReceive) {
  struct sigaction sa {};
  sa.sa_handler = onAlarm;  // no SA_RESTART: poll() and recvmsg() see EINTR
  ::sigaction(SIGALRM, &sa, nullptr);
  itimerval every{{0, 2000}, {0, 2000}};
  ::setitimer(ITIMER_REAL, &every, nullptr);
  Pair p;
  std::thread sender([&] {
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    ::pthread_sigmask(SIG_BLOCK, &alrm, nullptr);  // the receiver gets them all
    std::this_thread::sleep_for(200ms);
    p.a.send(TestPing{5});
  });
  TestPing got = p.b.receive<TestPing>();
  itimerval off{};
  ::setitimer(ITIMER_REAL, &off, nullptr);
  sender.join();
  ::signal(SIGALRM, SIG_DFL);
  EXPECT_EQ(got.seq, 5u);
  EXPECT_GT(alarms, 5);
}

TEST(IpcListen, ConnectAcceptAndPeerCredentials) {
  std::string dir = tempDir();
  std::string path = dir + "/svc";
  int lfd = listenUnix(path, 0620);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0620u);
  EXPECT_FALSE(acceptUnix(lfd).has_value());  // nobody waiting

  Channel client = Channel::connect(path, 1s);
  auto acc = acceptUnix(lfd);
  ASSERT_TRUE(acc.has_value());
  EXPECT_EQ(acc->peer.pid, ::getpid());
  EXPECT_EQ(acc->peer.uid, ::getuid());
  EXPECT_EQ(acc->peer.gid, ::getgid());
  Channel server(acc->fd);
  client.send(TestPing{9});
  EXPECT_EQ(server.receive<TestPing>().seq, 9u);

  // A stale socket is replaced; a file that is not a socket is not.
  ::close(lfd);
  int lfd2 = listenUnix(path, 0600);
  EXPECT_THROW(Channel::connect(dir + "/nothing", 1s), ChannelClosed);
  std::string file = dir + "/file";
  ::close(::open(file.c_str(), O_CREAT | O_WRONLY, 0600));
  try {
    listenUnix(file, 0600);
    ADD_FAILURE() << "listened over a regular file";
  } catch (const ListenError& e) {
    EXPECT_NE(std::string(e.what()).find("is not a socket"), std::string::npos);
  }
  EXPECT_THROW(listenUnix(dir + "/" + std::string(200, 'x'), 0600), ListenError);
  EXPECT_THROW(Channel::connect(dir + "/" + std::string(200, 'x'), 1s), ChannelClosed);
  ::close(lfd2);
  ::unlink(path.c_str());
  ::unlink(file.c_str());
  ::rmdir(dir.c_str());
}

TEST(ServicePath, InTheQueueDirectoryOrInsideItsJail) {
  const ServiceName mapd{Visibility::Private, "mapd"};
  const ServiceName cleanup{Visibility::Public, "cleanup"};
  EXPECT_EQ(servicePath("/var/spool/posthorn", false, mapd), "/var/spool/posthorn/private/mapd");
  EXPECT_EQ(servicePath("/var/spool/posthorn", false, cleanup),
            "/var/spool/posthorn/public/cleanup");
  EXPECT_EQ(servicePath("/var/spool/posthorn//", false, mapd), "/var/spool/posthorn/private/mapd");
  EXPECT_EQ(servicePath("/var/spool/posthorn", true, mapd), "/private/mapd");
  EXPECT_EQ(servicePath("/var/spool/posthorn", true, cleanup), "/public/cleanup");
  EXPECT_EQ(servicePath("/", false, mapd), "/private/mapd");
  EXPECT_EQ(servicePath("", false, cleanup), "/public/cleanup");
  EXPECT_EQ(servicePath("spool", false, {Visibility::Private, "imapd-mailbox"}),
            "spool/private/imapd-mailbox");
}

}  // namespace
}  // namespace posthorn::ipc::test
