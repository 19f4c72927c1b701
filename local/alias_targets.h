// alias_targets - the right-hand side of an alias, a .forward file or an
// :include: file, as a list of delivery targets
//
//   "bob, |\"/usr/bin/vacation bob\", /var/log/mail.copy, :include:/etc/mail/staff, \\bob"
//
// Targets are separated by commas or new lines; double quotes protect
// commas and spaces ("|cmd arg, arg"); "#" starts a comment line in files.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace posthorn::local {

struct Target {
  enum class Kind {
    Address,  // deliver (with aliases/.forward again) to this address
    Mailbox,  // "\user": straight into user's mailbox, no alias or .forward
    Command,  // "|command": piped to /bin/sh -c
    File,     // "/path": appended in mbox format
    Include,  // ":include:/path": the targets listed in that file
  };
  Kind kind = Kind::Address;
  std::string value;  // without the "|", "\" or ":include:" marker
  bool operator==(const Target&) const = default;
};

std::vector<Target> parseTargets(std::string_view text);

}  // namespace posthorn::local
