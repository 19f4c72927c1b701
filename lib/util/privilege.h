// privilege - dropping root: user lookup, chroot, uid/gid change, fd hygiene
//
// The order matters and is fixed here so that no daemon gets it wrong:
// look the user up while /etc/passwd is still reachable (lookupUser), then
// jail(): chdir + chroot, drop supplementary groups, setgid, setuid, and
// check that the change took and cannot be undone. A failure to drop is
// never ignored: jail() throws, and a drop that can be reversed (setuid(0)
// succeeds afterwards) aborts the process, because that state is
// impossible unless the kernel or the code is broken.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <sys/types.h>

namespace posthorn::privilege {

class PrivilegeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  std::string name;
};

// The account `name` from the password database (getpwnam). Throws
// PrivilegeError naming the user when there is no such account. A numeric
// name is not taken as a uid.
Identity lookupUser(const std::string& name);

// chdir(chrootDir) + chroot(chrootDir) + chdir("/") when chrootDir is not
// empty; then, when user is set, setgroups({user.gid}), setgid(user.gid),
// setuid(user.uid) and checks getuid/geteuid/getgid/getegid. Throws
// PrivilegeError naming the step and the reason. Needs root for either
// step; call it after everything that must read outside the jail.
void jail(const std::string& chrootDir, const std::optional<Identity>& user);

// Closes every file descriptor above keepAbove (close_range(2) when the
// kernel has it, otherwise the entries of /proc/self/fd).
void closeInheritedFds(int keepAbove);

// The effective uid is 0.
bool runningAsRoot();

}  // namespace posthorn::privilege
