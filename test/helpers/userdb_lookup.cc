// userdb_lookup - an authd userdb client for tests: looks addresses up the
// way smtpd or local does, through lib/userdb_client.
//
//   userdb_lookup [-r CHROOT_DIR -u USER] [-s SERVICE] SOCKET [ADDRESS...]
//
// With -r and -u (root only) it first chroots to CHROOT_DIR and drops to
// USER, so SOCKET is then a path inside the jail (/private/authd-userdb).
// Each ADDRESS prints one line:
//   FOUND name=N source=S uid=U gid=G home=H mail=M quota_bytes=B quota_messages=C
// (quota fields "-" when the database sets none), NOTFOUND, or
// "ERROR KIND: message" (KIND is unavailable, tempfail or protocol).
// Without ADDRESS arguments it reads addresses from stdin, one per line,
// and answers each at once over the same connection. At the end it writes
// "connections=N" to stderr. Exit status: 0 when every lookup was answered
// found or not found, 1 when one failed, 2 on usage or setup errors.
#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "lib/proto/userdb_client.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: userdb_lookup [-r CHROOT_DIR -u USER] [-s SERVICE] SOCKET [ADDRESS...]\n");
  return 2;
}

// Chroots to dir and becomes user; false (with a message) on any failure.
bool jail(const std::string& dir, const std::string& user) {
  if (::geteuid() != 0) {
    std::fprintf(stderr, "userdb_lookup: -r and -u need root\n");
    return false;
  }
  const passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) {
    std::fprintf(stderr, "userdb_lookup: unknown user %s\n", user.c_str());
    return false;
  }
  const uid_t uid = pw->pw_uid;
  const gid_t gid = pw->pw_gid;
  if (::chroot(dir.c_str()) != 0 || ::chdir("/") != 0) {
    std::fprintf(stderr, "userdb_lookup: chroot %s: %s\n", dir.c_str(), std::strerror(errno));
    return false;
  }
  if (::setgroups(1, &gid) != 0 || ::setgid(gid) != 0 || ::setuid(uid) != 0) {
    std::fprintf(stderr, "userdb_lookup: cannot become %s: %s\n", user.c_str(),
                 std::strerror(errno));
    return false;
  }
  if (::setuid(0) == 0) {
    std::fprintf(stderr, "userdb_lookup: could still regain root\n");
    return false;
  }
  return true;
}

std::string optionalNumber(const std::optional<std::uint64_t>& n) {
  return n ? std::to_string(*n) : "-";
}

// Looks one address up and prints the answer; false when it was an error.
bool lookupOne(posthorn::userdb::UserdbClient& client, const std::string& address) {
  try {
    const auto user = client.lookup(address);
    if (!user) {
      std::printf("NOTFOUND\n");
    } else {
      std::printf("FOUND name=%s source=%s uid=%u gid=%u home=%s mail=%s quota_bytes=%s "
                  "quota_messages=%s\n",
                  user->name.c_str(),
                  std::string(posthorn::ipc::userSourceName(user->source)).c_str(),
                  static_cast<unsigned>(user->uid), static_cast<unsigned>(user->gid),
                  user->home.c_str(), user->mail.c_str(),
                  optionalNumber(user->quotaBytes).c_str(),
                  optionalNumber(user->quotaMessages).c_str());
    }
    std::fflush(stdout);
    return true;
  } catch (const posthorn::userdb::UserdbError& e) {
    std::printf("ERROR %s: %s\n", std::string(userdbErrorKindName(e.kind())).c_str(), e.what());
    std::fflush(stdout);
    return false;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string chrootDir, user, service = "test";
  int opt;
  while ((opt = ::getopt(argc, argv, "r:u:s:")) != -1) {
    switch (opt) {
      case 'r': chrootDir = optarg; break;
      case 'u': user = optarg; break;
      case 's': service = optarg; break;
      default: return usage();
    }
  }
  if (argc - optind < 1 || chrootDir.empty() != user.empty()) return usage();
  const std::string socket = argv[optind];
  std::vector<std::string> addresses(argv + optind + 1, argv + argc);

  if (!chrootDir.empty() && !jail(chrootDir, user)) return 2;

  posthorn::userdb::UserdbClient client(socket, service);
  bool ok = true;
  if (!addresses.empty()) {
    for (const auto& address : addresses) ok = lookupOne(client, address) && ok;
  } else {
    std::string address;
    while (std::getline(std::cin, address)) ok = lookupOne(client, address) && ok;
  }
  std::fprintf(stderr, "connections=%d\n", client.connectCount());
  return ok ? 0 : 1;
}
