// lookup_tool - what map_lookup and userdb_lookup share: the jail a
// chrooted worker lives in, and one lookup per argument or per stdin line
#pragma once

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <iostream>
#include <string>
#include <vector>

namespace posthorn::test {

// Chroots to dir and becomes user, as a chrooted worker does; false (with
// a message naming `program`) on any failure.
inline bool enterJail(const char* program, const std::string& dir, const std::string& user) {
  if (::geteuid() != 0) {
    std::fprintf(stderr, "%s: -r and -u need root\n", program);
    return false;
  }
  const passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) {
    std::fprintf(stderr, "%s: unknown user %s\n", program, user.c_str());
    return false;
  }
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  if (::chroot(dir.c_str()) != 0 || ::chdir("/") != 0) {
    std::fprintf(stderr, "%s: chroot %s: %s\n", program, dir.c_str(), std::strerror(errno));
    return false;
  }
  if (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
    std::fprintf(stderr, "%s: cannot become %s: %s\n", program, user.c_str(),
                 std::strerror(errno));
    return false;
  }
  if (::setuid(0) == 0) {
    std::fprintf(stderr, "%s: could still regain root\n", program);
    return false;
  }
  return true;
}

// Prints one answer line at once (the test reads it before it asks again).
inline void printAnswer(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// Calls lookupOne for each key, or for each line of stdin when there are
// none (over the same connection, so that a test can change things between
// two lookups); true when every call returned true.
inline bool lookupEach(const std::vector<std::string>& keys,
                       const std::function<bool(const std::string&)>& lookupOne) {
  bool ok = true;
  if (!keys.empty()) {
    for (const auto& key : keys) ok = lookupOne(key) && ok;
  } else {
    std::string key;
    while (std::getline(std::cin, key)) ok = lookupOne(key) && ok;
  }
  return ok;
}

}  // namespace posthorn::test
