// map_lookup - a mapd client for tests: looks keys up the way a chrooted
// worker does, through lib/map_client.
//
//   map_lookup [-r CHROOT_DIR -u USER] SOCKET TABLE [KEY...]
//
// With -r and -u (root only) it first chroots to CHROOT_DIR and drops to
// USER, so SOCKET is then a path inside the jail (/private/mapd). Each KEY
// prints one line: the value, NOTFOUND, or "ERROR KIND: message" (KIND is
// unavailable, refused, tempfail or protocol). Without KEY arguments it
// reads keys from stdin, one per line, and answers each at once over the
// same connection, so a test can change the table between two lookups.
// At the end it writes "connections=N" to stderr. Exit status: 0 when
// every lookup was answered found or not found, 1 when one failed, 2 on
// usage or setup errors.
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "lib/proto/map_client.h"

namespace {

int usage() {
  std::fprintf(stderr, "usage: map_lookup [-r CHROOT_DIR -u USER] SOCKET TABLE [KEY...]\n");
  return 2;
}

// Chroots to dir and becomes user; false (with a message) on any failure.
bool jail(const std::string& dir, const std::string& user) {
  if (::geteuid() != 0) {
    std::fprintf(stderr, "map_lookup: -r and -u need root\n");
    return false;
  }
  const passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) {
    std::fprintf(stderr, "map_lookup: unknown user %s\n", user.c_str());
    return false;
  }
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  if (::chroot(dir.c_str()) != 0 || ::chdir("/") != 0) {
    std::fprintf(stderr, "map_lookup: chroot %s: %s\n", dir.c_str(), std::strerror(errno));
    return false;
  }
  if (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
    std::fprintf(stderr, "map_lookup: cannot become %s: %s\n", user.c_str(),
                 std::strerror(errno));
    return false;
  }
  if (::setuid(0) == 0) {
    std::fprintf(stderr, "map_lookup: could still regain root\n");
    return false;
  }
  return true;
}

// Looks one key up and prints the answer; false when it was an error.
bool lookupOne(posthorn::mapd::MapClient& client, const std::string& table,
               const std::string& key) {
  try {
    const auto value = client.lookup(table, key);
    std::printf("%s\n", value ? value->c_str() : "NOTFOUND");
    std::fflush(stdout);
    return true;
  } catch (const posthorn::mapd::MapError& e) {
    std::printf("ERROR %s: %s\n", std::string(mapErrorKindName(e.kind())).c_str(), e.what());
    std::fflush(stdout);
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string chrootDir, user;
  int opt;
  while ((opt = ::getopt(argc, argv, "r:u:")) != -1) {
    switch (opt) {
      case 'r': chrootDir = optarg; break;
      case 'u': user = optarg; break;
      default: return usage();
    }
  }
  if (argc - optind < 2 || chrootDir.empty() != user.empty()) return usage();
  const std::string socket = argv[optind];
  const std::string table = argv[optind + 1];
  std::vector<std::string> keys(argv + optind + 2, argv + argc);

  if (!chrootDir.empty() && !jail(chrootDir, user)) return 2;

  posthorn::mapd::MapClient client(socket);
  bool ok = true;
  if (!keys.empty()) {
    for (const auto& key : keys) ok = lookupOne(client, table, key) && ok;
  } else {
    std::string key;
    while (std::getline(std::cin, key)) ok = lookupOne(client, table, key) && ok;
  }
  std::fprintf(stderr, "connections=%d\n", client.connectCount());
  return ok ? 0 : 1;
}
