// stage_worker - how popd and imapd run their mailbox stage under master,
// in their own program or in one of its own
#pragma once

#include <functional>
#include <string>

#include "lib/server/server.h"

namespace posthorn::stage {

// Runs the mailbox stage: no chroot, root until serve() becomes the user,
// one client per process and one per process's life (max_use 1). serve gets
// the connection from the login stage and authd's userdb socket path.
using MailboxServer = std::function<void(int fd, const std::string& userdbSocket)>;
int runMailboxStage(server::Worker& worker, const MailboxServer& serve);

// Runs the mailbox stage in `program`, from this program's directory
// (`imapd mailbox` execs imapd-mailbox): argv stays as it is but for the
// last argument ("mailbox"), which goes. Throws std::runtime_error when
// the exec fails.
[[noreturn]] void execMailboxProgram(int argc, char** argv, const char* program);

}  // namespace posthorn::stage
