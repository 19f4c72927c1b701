// imap_commands - the mailbox stage's command table and its dispatcher
//
// One row per command, as the parser names it ("UID FETCH" joined): its
// handler and the flags the dispatcher checks once so that no handler
// does (imap_session.h). The comment above each group names the file
// that holds its handlers.
#include "imapd/imap_session.h"

namespace posthorn::imapd {

const ImapSession::Command ImapSession::kCommands[] = {
    // cmd_misc.cc
    {"CAPABILITY", &ImapSession::cmdCapability, 0},
    {"NOOP", &ImapSession::cmdNoop, kBreaksSeqs},
    {"CHECK", &ImapSession::cmdNoop, kNeedsSelected | kBreaksSeqs},
    {"LOGOUT", &ImapSession::cmdLogout, 0},
    {"ID", &ImapSession::cmdId, 0},
    {"ENABLE", &ImapSession::cmdEnable, 0},
    {"NAMESPACE", &ImapSession::cmdNamespace, 0},
    // cmd_idle.cc
    {"IDLE", &ImapSession::cmdIdle, kBreaksSeqs},
    // cmd_select.cc
    {"SELECT", &ImapSession::cmdSelect, 0},
    {"EXAMINE", &ImapSession::cmdExamine, 0},
    {"CLOSE", &ImapSession::cmdClose, kNeedsSelected},
    {"UNSELECT", &ImapSession::cmdUnselect, kNeedsSelected},
    // cmd_folders.cc
    {"CREATE", &ImapSession::cmdCreate, 0},
    {"DELETE", &ImapSession::cmdDelete, 0},
    {"RENAME", &ImapSession::cmdRename, 0},
    {"SUBSCRIBE", &ImapSession::cmdSubscribe, 0},
    {"UNSUBSCRIBE", &ImapSession::cmdUnsubscribe, 0},
    // cmd_list.cc
    {"LIST", &ImapSession::cmdList, 0},
    {"LSUB", &ImapSession::cmdLsub, 0},
    // cmd_status.cc
    {"STATUS", &ImapSession::cmdStatus, 0},
    // cmd_append.cc
    {"APPEND", &ImapSession::cmdAppend, 0},
    // cmd_fetch.cc
    {"FETCH", &ImapSession::cmdFetch, kNeedsSelected},
    {"UID FETCH", &ImapSession::cmdFetch, kNeedsSelected | kUid | kBreaksSeqs},
    // cmd_store.cc
    {"STORE", &ImapSession::cmdStore, kNeedsSelected},
    {"UID STORE", &ImapSession::cmdStore, kNeedsSelected | kUid | kBreaksSeqs},
    // cmd_search.cc
    {"SEARCH", &ImapSession::cmdSearch, kNeedsSelected},
    {"UID SEARCH", &ImapSession::cmdSearch, kNeedsSelected | kUid | kBreaksSeqs},
    // cmd_copy_move.cc
    {"COPY", &ImapSession::cmdCopy, kNeedsSelected},
    {"UID COPY", &ImapSession::cmdCopy, kNeedsSelected | kUid | kBreaksSeqs},
    {"MOVE", &ImapSession::cmdMove, kNeedsSelected | kBreaksSeqs},
    {"UID MOVE", &ImapSession::cmdMove, kNeedsSelected | kUid | kBreaksSeqs},
    // cmd_expunge.cc
    {"EXPUNGE", &ImapSession::cmdExpunge, kNeedsSelected | kBreaksSeqs},
    {"UID EXPUNGE", &ImapSession::cmdExpunge, kNeedsSelected | kUid | kBreaksSeqs},
    // The login stage answers these (imap_login_session.cc).
    {"LOGIN", nullptr, kBeforeLogin},
    {"AUTHENTICATE", nullptr, kBeforeLogin},
    {"STARTTLS", nullptr, kBeforeLogin},
};

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
