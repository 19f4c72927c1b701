// stage_worker - the worker of popd's and imapd's mailbox stage, and the
// exec of a mailbox stage that is a program of its own
#include "lib/login/stage_worker.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <vector>

#include "lib/proto/userdb_client.h"

namespace posthorn::stage {

int runMailboxStage(server::Worker& worker, const MailboxServer& serve) {
  server::WorkerSettings jail = worker.defaults();
  const std::string userdbSocket = ipc::servicePath(jail.chroot, false, userdb::kUserdbService);
  jail.chroot.clear();  // no chroot, stays root: it becomes the user per session
  jail.user.clear();
  jail.networkFacing = false;
  jail.maxUse = 1;
  jail.preJail = [] { ::tzset(); };
  return worker.run(jail, [&](server::Connection conn) {
    serve(conn.fd, userdbSocket);
    conn.done();
  });
}

void execMailboxProgram(int argc, char** argv, const char* program) {
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) throw std::runtime_error(std::string("/proc/self/exe: ") + std::strerror(errno));
  std::string path(self, static_cast<std::size_t>(n));
  path.resize(path.rfind('/') + 1);  // an absolute path: there is a '/'
  path += program;
  std::vector<char*> args(argv, argv + argc - 1);  // without "mailbox"
  args[0] = const_cast<char*>(program);
  args.push_back(nullptr);
  ::execv(path.c_str(), args.data());
  throw std::runtime_error("cannot run " + path + ": " + std::strerror(errno));
}

}  // namespace posthorn::stage
