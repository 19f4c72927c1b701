// stage_worker - how popd and imapd run their two stages under master:
// the login stage's jail and the mailbox stage's whole worker loop
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "lib/server/server.h"

namespace posthorn::stage {

// The login stage: chrooted to the queue directory as mail_owner, network
// facing, one client per process at a time. The caller adds preJail.
server::WorkerSettings loginStageSettings(const std::string& queueDirectory,
                                          const std::string& mailOwner, int maxUse,
                                          std::chrono::seconds maxIdle);

// Runs the mailbox stage: no chroot, root until serve() becomes the user,
// one client per process and one per process's life (max_use 1). serve gets
// the connection from the login stage and authd's userdb socket path.
using MailboxServer = std::function<void(int fd, const std::string& userdbSocket)>;
int runMailboxStage(server::Worker& worker, const std::string& queueDirectory,
                    std::chrono::seconds maxIdle, const MailboxServer& serve);

// Runs the mailbox stage in `program`, from this program's directory
// (`imapd mailbox` execs imapd-mailbox): argv stays as it is but for the
// last argument ("mailbox"), which goes. Throws std::runtime_error when
// the exec fails.
[[noreturn]] void execMailboxProgram(int argc, char** argv, const char* program);

}  // namespace posthorn::stage
