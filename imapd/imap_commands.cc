// imap_commands - the mailbox stage's dispatcher, over its command table (imap_commands.h)
#include "imapd/imap_commands.h"

namespace posthorn::imapd {

const ImapSession::Command* ImapSession::findCommand(std::string_view name) {
  for (const Command& command : kCommands)
    if (command.name == name) return &command;
  return nullptr;
}

ImapSession::Next ImapSession::dispatch(const ImapCommand& c) {
  const Command* command = findCommand(c.name);
  if (command == nullptr) return bad(c.tag, "Unknown command.");
  if ((command->flags & kBeforeLogin) != 0) return bad(c.tag, "Already logged in.");
  if ((command->flags & kNeedsSelected) != 0 && !selected_) return bad(c.tag, "No mailbox selected.");
  running_ = command->flags;
  return (this->*command->run)(c);
}

}  // namespace posthorn::imapd
