// stage_worker - the worker settings of popd's and imapd's login and mailbox stages
#include "lib/stage_worker.h"

#include <ctime>

#include "lib/userdb_client.h"

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

std::string mailboxSocketPath(const std::string& queueDirectory, bool chrooted,
                              const std::string& mailboxService) {
  return (chrooted ? std::string() : queueDirectory) + "/private/" + mailboxService;
}

int runMailboxStage(server::Worker& worker, const std::string& queueDirectory,
                    std::chrono::seconds maxIdle, const MailboxServer& serve) {
  server::WorkerSettings jail;  // no chroot, stays root: it becomes the user per session
  jail.networkFacing = false;
  jail.clientLimit = 1;
  jail.maxUse = 1;
  jail.maxIdle = maxIdle;
  jail.preJail = [] { ::tzset(); };
  const std::string userdbSocket = userdb::userdbSocketPath(queueDirectory, false);
  return worker.run(jail, [&](server::Connection conn) {
    serve(conn.fd, userdbSocket);
    conn.done();
  });
}

}  // namespace posthorn::stage
