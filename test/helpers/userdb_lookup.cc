// userdb_lookup - an authd userdb client for tests: looks addresses up the
// way smtpd or local does, through lib/proto/userdb_client.h.
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
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "lib/proto/userdb_client.h"
#include "test/helpers/lookup_tool.h"

namespace {

int usage() {
  std::fprintf(stderr,
               "usage: userdb_lookup [-r CHROOT_DIR -u USER] [-s SERVICE] SOCKET [ADDRESS...]\n");
  return 2;
}

std::string optionalNumber(const std::optional<std::uint64_t>& n) {
  return n ? std::to_string(*n) : "-";
}

// Looks one address up and prints the answer; false when it was an error.
bool lookupOne(posthorn::userdb::UserdbClient& client, const std::string& address) {
  try {
    const auto user = client.lookup(address);
    if (!user) {
      posthorn::test::printAnswer("NOTFOUND");
    } else {
      posthorn::test::printAnswer(
          "FOUND name=" + user->name +
          " source=" + std::string(posthorn::ipc::userSourceName(user->source)) +
          " uid=" + std::to_string(user->uid) + " gid=" + std::to_string(user->gid) +
          " home=" + user->home + " mail=" + user->mail +
          " quota_bytes=" + optionalNumber(user->quotaBytes) +
          " quota_messages=" + optionalNumber(user->quotaMessages));
    }
    return true;
  } catch (const posthorn::userdb::UserdbError& e) {
    posthorn::test::printAnswer("ERROR " + std::string(userdbErrorKindName(e.kind())) + ": " +
                                e.what());
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

  if (!chrootDir.empty() && !posthorn::test::enterJail("userdb_lookup", chrootDir, user)) {
    return 2;
  }

  posthorn::userdb::UserdbClient client(socket, service);
  const bool ok = posthorn::test::lookupEach(
      addresses, [&](const std::string& address) { return lookupOne(client, address); });
  std::fprintf(stderr, "connections=%d\n", client.connectCount());
  return ok ? 0 : 1;
}
