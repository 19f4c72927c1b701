// map_lookup - a mapd client for tests: looks keys up the way a chrooted
// worker does, through lib/proto/map_client.h.
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
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "lib/proto/map_client.h"
#include "test/helpers/lookup_tool.h"

namespace {

int usage() {
  std::fprintf(stderr, "usage: map_lookup [-r CHROOT_DIR -u USER] SOCKET TABLE [KEY...]\n");
  return 2;
}

// Looks one key up and prints the answer; false when it was an error.
bool lookupOne(posthorn::mapd::MapClient& client, const std::string& table,
               const std::string& key) {
  try {
    const auto value = client.lookup(table, key);
    posthorn::test::printAnswer(value ? *value : "NOTFOUND");
    return true;
  } catch (const posthorn::mapd::MapError& e) {
    posthorn::test::printAnswer("ERROR " + std::string(mapErrorKindName(e.kind())) + ": " +
                                e.what());
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

  if (!chrootDir.empty() && !posthorn::test::enterJail("map_lookup", chrootDir, user)) return 2;

  posthorn::mapd::MapClient client(socket);
  const bool ok = posthorn::test::lookupEach(
      keys, [&](const std::string& key) { return lookupOne(client, table, key); });
  std::fprintf(stderr, "connections=%d\n", client.connectCount());
  return ok ? 0 : 1;
}
