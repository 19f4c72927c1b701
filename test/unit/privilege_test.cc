// privilege_test - user lookup, closing inherited fds, and jail() as root in
// a forked child (checked from outside through /proc/PID/root and status)
#include <gtest/gtest.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <poll.h>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/util/privilege.h"
#include "test/unit/test_util.h"

namespace posthorn {
namespace {

namespace fs = std::filesystem;

using testing::TempDir;

// Runs body in a forked child; the child's exit status is body's return
// value (0 = all checks passed), or 100 + n for an exception.
int inChild(const std::function<int()>& body) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int rc;
    try {
      rc = body();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      rc = 100;
    }
    ::_exit(rc);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return 200 + WTERMSIG(status);
  return WEXITSTATUS(status);
}

bool isOpen(int fd) { return ::fcntl(fd, F_GETFD) >= 0; }

std::string statusLine(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind(key + ":", 0) == 0) return line;
  return "";
}

TEST(PrivilegeTest, LookupUser) {
  privilege::Identity root = privilege::lookupUser("root");
  EXPECT_EQ(root.uid, 0u);
  EXPECT_EQ(root.gid, 0u);
  EXPECT_EQ(root.name, "root");
  privilege::Identity nobody = privilege::lookupUser("nobody");
  EXPECT_NE(nobody.uid, 0u);
  try {
    privilege::lookupUser("no-such-user-posthorn");
    FAIL() << "an unknown user was found";
  } catch (const privilege::PrivilegeError& e) {
    EXPECT_NE(std::string(e.what()).find("\"no-such-user-posthorn\""), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(privilege::lookupUser(""), privilege::PrivilegeError);
}

TEST(PrivilegeTest, CloseInheritedFdsKeepsTheLowOnes) {
  int rc = inChild([] {
    int null = ::open("/dev/null", O_RDONLY);
    for (int fd : {3, 4, 5, 9, 100, 1000}) ::dup2(null, fd);
    privilege::closeInheritedFds(4);
    for (int fd : {0, 1, 2, 3, 4})
      if (!isOpen(fd)) return 10 + fd;
    for (int fd : {5, 9, 100, 1000})
      if (isOpen(fd)) return 20;
    // Nothing above 4 is left, whatever it was.
    for (int fd = 5; fd < 4096; ++fd)
      if (isOpen(fd)) return 21;
    return 0;
  });
  EXPECT_EQ(rc, 0);
  rc = inChild([] {
    ::dup2(0, 7);
    privilege::closeInheritedFds(2);
    return isOpen(2) && !isOpen(3) && !isOpen(7) ? 0 : 1;
  });
  EXPECT_EQ(rc, 0);
}

TEST(PrivilegeTest, RunningAsRoot) { EXPECT_EQ(privilege::runningAsRoot(), ::geteuid() == 0); }

TEST(PrivilegeTest, JailAsRootIntoATempDirAsNobody) {
  if (!privilege::runningAsRoot()) GTEST_SKIP() << "needs root";
  TempDir dir;
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);  // nobody looks around inside
  { std::ofstream(dir.path() + "/marker") << "inside\n"; }
  privilege::Identity nobody = privilege::lookupUser("nobody");

  int ready[2], proceed[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(proceed), 0);
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::close(ready[0]);
    ::close(proceed[1]);
    int rc = 0;
    try {
      privilege::jail(dir.path(), nobody);
      if (::access("/marker", R_OK) != 0) rc = 1;               // "/" is the jail
      else if (::access("/etc/passwd", F_OK) == 0) rc = 2;      // the host is gone
      else if (::getuid() != nobody.uid || ::geteuid() != nobody.uid) rc = 3;
      else if (::getgid() != nobody.gid || ::getegid() != nobody.gid) rc = 4;
      else if (::setuid(0) == 0) rc = 5;
      else if (::chroot("/") == 0) rc = 6;                      // no way back out
      else if (::getgroups(0, nullptr) != 1) rc = 7;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "child: %s\n", e.what());
      rc = 100;
    }
    char byte = static_cast<char>(rc);
    (void)!::write(ready[1], &byte, 1);
    (void)!::read(proceed[0], &byte, 1);  // stay alive while the parent looks
    ::_exit(rc);
  }
  ::close(ready[1]);
  ::close(proceed[0]);
  char byte = -1;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  EXPECT_EQ(byte, 0) << "check failed in the jailed child";

  // What the kernel says about the child, read from outside.
  std::error_code ec;
  fs::path root = fs::read_symlink("/proc/" + std::to_string(pid) + "/root", ec);
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(root, fs::canonical(dir.path()));
  std::string id = std::to_string(nobody.uid), gid = std::to_string(nobody.gid);
  EXPECT_EQ(statusLine(pid, "Uid"), "Uid:\t" + id + "\t" + id + "\t" + id + "\t" + id);
  EXPECT_EQ(statusLine(pid, "Gid"), "Gid:\t" + gid + "\t" + gid + "\t" + gid + "\t" + gid);
  EXPECT_EQ(statusLine(pid, "Groups"), "Groups:\t" + gid + " ");

  ::close(proceed[1]);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  ::close(ready[0]);
}

TEST(PrivilegeTest, JailWithoutUserOnlyChroots) {
  if (!privilege::runningAsRoot()) GTEST_SKIP() << "needs root";
  TempDir dir;
  { std::ofstream(dir.path() + "/marker") << "x"; }
  int rc = inChild([&] {
    privilege::jail(dir.path(), std::nullopt);
    if (::access("/marker", F_OK) != 0) return 1;
    return ::getuid() == 0 ? 0 : 2;
  });
  EXPECT_EQ(rc, 0);
}

TEST(PrivilegeTest, JailErrorsNameTheStep) {
  if (!privilege::runningAsRoot()) GTEST_SKIP() << "needs root";
  // A missing directory.
  int rc = inChild([] {
    try {
      privilege::jail("/nonexistent-posthorn-jail", std::nullopt);
    } catch (const privilege::PrivilegeError& e) {
      std::string what = e.what();
      return what.find("/nonexistent-posthorn-jail") != std::string::npos &&
                     what.find("No such file") != std::string::npos
                 ? 0
                 : 1;
    }
    return 2;
  });
  EXPECT_EQ(rc, 0);
  // Already unprivileged: the group change is refused, and said so.
  privilege::Identity nobody = privilege::lookupUser("nobody");
  rc = inChild([&] {
    if (::setgid(nobody.gid) != 0 || ::setuid(nobody.uid) != 0) return 3;
    try {
      privilege::jail("", privilege::Identity{0, 0, "root"});
    } catch (const privilege::PrivilegeError& e) {
      return std::string(e.what()).find("cannot set the groups of user \"root\"") !=
                     std::string::npos
                 ? 0
                 : 4;
    }
    return 5;
  });
  EXPECT_EQ(rc, 0);
}

TEST(PrivilegeTest, UnprivilegedJailThrows) {
  // Whoever runs this: a process that is not root cannot chroot.
  privilege::Identity nobody = privilege::lookupUser("nobody");
  int rc = inChild([&] {
    if (::geteuid() == 0 && (::setgid(nobody.gid) != 0 || ::setuid(nobody.uid) != 0)) return 3;
    try {
      privilege::jail("/tmp", std::nullopt);
    } catch (const privilege::PrivilegeError& e) {
      return std::string(e.what()).find("cannot chroot to /tmp") != std::string::npos ? 0 : 1;
    }
    return 2;
  });
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace posthorn
