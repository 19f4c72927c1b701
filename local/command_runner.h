// command_runner - pipes a message into "|command" (an alias or .forward
// target) as an ordinary user, never root
//
// /bin/sh -c COMMAND runs in a child with all IDs set to uid/gid, in `home`
// (or /), with a small clean environment (HOME, USER, LOGNAME, SHELL,
// PATH, SENDER, RECIPIENT, LOCAL, DOMAIN, EXTENSION). Exit 0 is delivered;
// EX_TEMPFAIL (75) and a command that runs over command_time_limit (it is
// killed) are deferred; any other status is a permanent failure 5.3.0, as
// Postfix's local does.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <sys/types.h>

#include "lib/mailbox/message_source.h"
#include "lib/mailbox/delivery_result.h"

namespace posthorn::local {

struct CommandSpec {
  std::string command;
  uid_t uid = 65534;
  gid_t gid = 65534;
  std::string home;
  std::map<std::string, std::string> env;  // SENDER, RECIPIENT, ...
  std::chrono::seconds timeLimit{};  // command_time_limit
};

mailbox::DeliveryResult runCommand(const CommandSpec& spec, mailbox::MessageSource& message);

}  // namespace posthorn::local
