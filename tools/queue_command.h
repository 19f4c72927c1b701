// queue_command - `posthorn queue`: look at and act on the mail queue
//
//   posthorn queue [-c DIR] list            the queue, as mailq prints it
//   posthorn queue [-c DIR] show ID         envelope, each recipient's status, headers
//   posthorn queue [-c DIR] flush           every deferred message due now; wakes qmgr
//   posthorn queue [-c DIR] hold ID...      put aside in hold/ (ALL: every queued message)
//   posthorn queue [-c DIR] release ID...   hold/ back to deferred/, due now (ALL too)
//   posthorn queue [-c DIR] delete ID...    remove, without any notification (ALL too)
//
// Only root and mail_owner may use it (the queue is theirs). A message that
// qmgr is delivering right now (in active/) cannot be held or deleted:
// the command says so; try again when the pass is over. See
// posthorn-queue(1). Exit status 0, 1 when some ID was not found or could
// not be acted on, 2 on a usage or configuration error.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace posthorn::tools {

// args exclude the program and the word "queue".
int runQueue(const std::vector<std::string>& args);
int runQueue(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace posthorn::tools
