// user_privileges - effective-ID switching for local(8) (user_privileges.h)
#include "local/user_privileges.h"

#include <grp.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

namespace posthorn::local {

AsUser::AsUser(uid_t uid, gid_t gid) {
  if (::geteuid() != 0 || uid == 0) return;
  if (::setgroups(1, &gid) != 0 || ::setegid(gid) != 0 || ::seteuid(uid) != 0) {
    const std::string why = std::strerror(errno);
    // Back to root as the destructor would; a process stuck half-way must not go on.
    if (::seteuid(0) != 0 || ::setegid(0) != 0) std::abort();
    throw std::runtime_error("cannot change to uid " + std::to_string(uid) + ": " + why);
  }
  switched_ = true;
}

AsUser::~AsUser() {
  if (!switched_) return;
  // Back to root; without it the next delivery would run as this user.
  if (::seteuid(0) != 0 || ::setegid(0) != 0 || ::setgroups(0, nullptr) != 0) std::abort();
}

bool becomeUser(uid_t uid, gid_t gid) {
  if (::getuid() != 0 && ::geteuid() != 0) return true;  // unprivileged test instance
  if (uid == 0) return false;
  return ::setgroups(1, &gid) == 0 && ::setgid(gid) == 0 && ::setuid(uid) == 0 &&
         ::setuid(0) != 0;
}

}  // namespace posthorn::local
