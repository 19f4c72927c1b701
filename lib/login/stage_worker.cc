// stage_worker - the worker settings of popd's and imapd's login and mailbox stages,
// and the exec of a mailbox stage that is a program of its own
#include "lib/login/stage_worker.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <stdexcept>
#include <vector>

#include "lib/proto/userdb_client.h"

namespace posthorn::stage {

server::WorkerSettings loginStageSettings(const std::string& queueDirectory,
                                          const std::string& mailOwner, int maxUse,
                                          std::chrono::seconds maxIdle) {
  server::WorkerSettings jail;
  jail.chroot = queueDirectory;
  jail.user = mailOwner;
  jail.networkFacing = true;
  jail.clientLimit = 1;
  jail.maxUse = maxUse;
  jail.maxIdle = maxIdle;
  return jail;
}

int runMailboxStage(server::Worker& worker, const std::string& queueDirectory,
                    std::chrono::seconds maxIdle, const MailboxServer& serve) {
  server::WorkerSettings jail;  // no chroot, stays root: it becomes the user per session
  jail.networkFacing = false;
  jail.clientLimit = 1;
  jail.maxUse = 1;
  jail.maxIdle = maxIdle;
  jail.preJail = [] { ::tzset(); };
  const std::string userdbSocket = ipc::servicePath(queueDirectory, false, userdb::kUserdbService);
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
