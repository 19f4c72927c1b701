// privilege - user lookup, chroot + uid/gid drop with verification, closing fds
#include "lib/util/privilege.h"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <grp.h>
#include <pwd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <vector>

namespace posthorn::privilege {

namespace {

[[noreturn]] void fail(const std::string& what, int err) {
  throw PrivilegeError(what + ": " + std::strerror(err));
}

// The drop succeeded and yet root can be had back: nothing sane can follow.
[[noreturn]] void impossible(const char* what) {
  // No log here on purpose: this runs in a half-dropped process, and the
  // message on stderr is enough for the administrator to see why it died.
  const char* prefix = "posthorn: fatal: privilege drop failed: ";
  (void)!::write(STDERR_FILENO, prefix, std::strlen(prefix));
  (void)!::write(STDERR_FILENO, what, std::strlen(what));
  (void)!::write(STDERR_FILENO, "\n", 1);
  std::abort();
}

void closeFromProc(int keepAbove) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (dir == nullptr) {
    // No /proc (inside a chroot, say): the brute-force way.
    rlimit rl{};
    long max = 1024;
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
      max = static_cast<long>(rl.rlim_cur);
    if (max > 65536) max = 65536;
    for (long fd = keepAbove + 1; fd < max; ++fd) ::close(static_cast<int>(fd));
    return;
  }
  std::vector<int> fds;
  int self = ::dirfd(dir);
  while (dirent* entry = ::readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0') continue;
    if (fd > keepAbove && fd != self) fds.push_back(static_cast<int>(fd));
  }
  ::closedir(dir);
  for (int fd : fds) ::close(fd);
}

}  // namespace

Identity lookupUser(const std::string& name) {
  if (name.empty()) throw PrivilegeError("no user name given");
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* result = nullptr;
  int rc;
  while ((rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &result)) == ERANGE &&
         buf.size() < (1u << 20))
    buf.resize(buf.size() * 2);
  if (rc != 0) fail("cannot look up user \"" + name + "\"", rc);
  if (result == nullptr) throw PrivilegeError("unknown user \"" + name + "\": no such account in the password database");
  return Identity{pw.pw_uid, pw.pw_gid, pw.pw_name};
}

void jail(const std::string& chrootDir, const std::optional<Identity>& user) {
  if (!chrootDir.empty()) {
    if (::chdir(chrootDir.c_str()) != 0) fail("cannot chdir to " + chrootDir, errno);
    if (::chroot(chrootDir.c_str()) != 0) fail("cannot chroot to " + chrootDir, errno);
    if (::chdir("/") != 0) fail("cannot chdir to / after chroot to " + chrootDir, errno);
  }
  if (!user) return;
  const std::string who = "user \"" + user->name + "\" (uid " + std::to_string(user->uid) +
                          ", gid " + std::to_string(user->gid) + ")";
  // Only the primary group: the mail owner needs no supplementary ones, and
  // setgroups needs no /etc/group, which the chroot has hidden.
  gid_t groups[1] = {user->gid};
  if (::setgroups(1, groups) != 0) fail("cannot set the groups of " + who, errno);
  if (::setgid(user->gid) != 0) fail("cannot change group to " + who, errno);
  if (::setuid(user->uid) != 0) fail("cannot change to " + who, errno);

  if (::getuid() != user->uid || ::geteuid() != user->uid) impossible("uid did not change");
  if (::getgid() != user->gid || ::getegid() != user->gid) impossible("gid did not change");
  if (user->uid != 0) {
    if (::setuid(0) == 0 || ::seteuid(0) == 0) impossible("root could be regained after setuid");
    if (user->gid != 0 && (::setgid(0) == 0 || ::setegid(0) == 0))
      impossible("group root could be regained after setgid");
  }
}

void closeInheritedFds(int keepAbove) {
  if (keepAbove < -1) keepAbove = -1;
#ifdef SYS_close_range
  if (::syscall(SYS_close_range, static_cast<unsigned>(keepAbove + 1), ~0u, 0u) == 0) return;
#endif
  closeFromProc(keepAbove);
}

bool runningAsRoot() { return ::geteuid() == 0; }

}  // namespace posthorn::privilege
