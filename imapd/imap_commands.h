// imap_commands - the mailbox stage's command table
//
// One row per command, as the parser names it ("UID FETCH" joined): its
// handler and the flags the dispatcher (imap_commands.cc) checks once so
// that no handler does (imap_session.h). The comment above each group
// names the file that holds its handlers. A header, and a constant, so
// that the login stage can take the names of the commands it refuses when
// it is compiled, without linking a handler (imap_login_session.cc).
#pragma once

#include "imapd/imap_session.h"

namespace posthorn::imapd {

inline constexpr ImapSession::Command ImapSession::kCommands[] = {
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

}  // namespace posthorn::imapd
