// imap_session - IMAP's authenticated and selected states, as the mailbox owner
//
// The mailbox stage's loop feeds whole commands; responses go to a
// net::ClientOutput. One user's Maildir++ store; at most one selected folder.
// imap_commands.h holds the command table, imap_commands.cc the dispatcher; each
// handler lives in a cmd_*.cc file named after its command or family
// (the table, and the list below, say which).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imapd/imap_command.h"
#include "imapd/imap_settings.h"
#include "imapd/selected_mailbox.h"
#include "lib/login/client_output.h"
#include "lib/mailbox/maildir_store.h"

namespace posthorn::imapd {

class ImapSession {
 public:
  enum class Next { Continue, Idle, Close };

  ImapSession(const Settings& settings, mailbox::MaildirStore& store, net::ClientOutput& out, std::string user);

  // The tagged OK of the login, and the special-use folders at first login.
  void begin(const std::string& loginTag);
  Next handle(const ImapCommand& command);
  // A parse error the caller answered already.
  Next badInput();
  // IDLE: the folder changed (scan: new/ or cur/ changed, not only the
  // index). Idle to go on, Close when the session must end.
  Next idleChanged(bool scan);
  // IDLE: the client's line ("DONE" ends it).
  Next idleLine(std::string_view line);
  bool idling() const { return !idleTag_.empty(); }
  // The directory IDLE watches: the selected folder's, or "" (none selected).
  std::string watchedDirectory() const;
  // The user the session serves, for log lines.
  const std::string& user() const { return user_; }

  // The command table (imap_commands.h): what the dispatcher checks once,
  // before a handler runs, and what the handler's answer may hold. Public
  // for the login stage, which takes the names of the commands it refuses
  // from it.
  enum CommandFlag : unsigned {
    kNeedsSelected = 1u << 0,  // the selected state's: BAD without a mailbox
    kUid = 1u << 1,            // the UID form: the set and the answers are UIDs
    // It may send untagged EXPUNGE, which renumbers messages. RFC 3501
    // 7.4.1 forbids that during FETCH, STORE and SEARCH, whose client may
    // hold message numbers; so do COPY, STATUS and APPEND here. The UID
    // forms may: their client reads UIDs.
    kBreaksSeqs = 1u << 2,
    kBeforeLogin = 1u << 3,  // the not-authenticated state's: BAD "Already logged in."
  };
  using Handler = Next (ImapSession::*)(const ImapCommand&);
  struct Command {
    std::string_view name;  // as the parser joins it: "UID FETCH"
    Handler run;            // nullptr for kBeforeLogin
    unsigned flags;
  };
  static const Command kCommands[];

 private:
  static const Command* findCommand(std::string_view name);

  void tagged(const std::string& tag, std::string_view text);
  Next bad(const std::string& tag, const std::string& text);
  Next no(const std::string& tag, const std::string& text);
  Next dispatch(const ImapCommand& command);
  // Whether the running command is a UID form.
  bool uidCommand() const { return (running_ & kUid) != 0; }
  // The untagged updates the running command ends with (EXPUNGE only when
  // it has kBreaksSeqs); scan: also look at new/ and cur/. When the
  // selected folder has gone, marks the session inconsistent.
  void sendUpdates(bool scan = false);
  bool selectedFolderGone() const;
  Next closeIfInconsistent(Next next);
  // A folder name argument, decoded and checked; nullopt after answering.
  std::optional<std::string> folderArgument(const ImapCommand& c, const ImapValue& v);

  // cmd_misc.cc
  Next cmdCapability(const ImapCommand& c);
  Next cmdNoop(const ImapCommand& c);  // NOOP and CHECK
  Next cmdLogout(const ImapCommand& c);
  Next cmdId(const ImapCommand& c);
  Next cmdEnable(const ImapCommand& c);
  Next cmdNamespace(const ImapCommand& c);
  // cmd_idle.cc
  Next cmdIdle(const ImapCommand& c);
  // cmd_select.cc
  Next cmdSelect(const ImapCommand& c);
  Next cmdExamine(const ImapCommand& c);
  Next selectFolder(const ImapCommand& c, bool readOnly);
  Next cmdClose(const ImapCommand& c);
  Next cmdUnselect(const ImapCommand& c);
  Next closeFolder(const ImapCommand& c, bool expunge);
  // cmd_folders.cc
  Next cmdCreate(const ImapCommand& c);
  Next cmdDelete(const ImapCommand& c);
  Next cmdRename(const ImapCommand& c);
  Next cmdSubscribe(const ImapCommand& c);
  Next cmdUnsubscribe(const ImapCommand& c);
  Next setSubscription(const ImapCommand& c, bool subscribe);
  void createSpecialUse();
  // cmd_list.cc
  Next cmdList(const ImapCommand& c);
  Next cmdLsub(const ImapCommand& c);
  Next listFolders(const ImapCommand& c, bool lsub);
  std::string specialUseOf(const std::string& folder) const;
  // cmd_status.cc
  Next cmdStatus(const ImapCommand& c);
  // cmd_append.cc
  Next cmdAppend(const ImapCommand& c);
  // cmd_fetch.cc
  Next cmdFetch(const ImapCommand& c);
  // cmd_store.cc
  Next cmdStore(const ImapCommand& c);
  // cmd_search.cc
  Next cmdSearch(const ImapCommand& c);
  // cmd_copy_move.cc
  Next cmdCopy(const ImapCommand& c);
  Next cmdMove(const ImapCommand& c);
  Next copyOrMove(const ImapCommand& c, bool move);
  // cmd_expunge.cc
  Next cmdExpunge(const ImapCommand& c);

  const Settings& settings_;
  mailbox::MaildirStore& store_;
  net::ClientOutput& out_;
  std::string user_;
  std::unique_ptr<SelectedMailbox> selected_;
  std::string idleTag_;
  unsigned running_ = 0;  // the flags of the command being run (IDLE's until DONE)
  int badCommands_ = 0;
  bool inconsistent_ = false;  // the selected folder went away: BYE after this command
};

}  // namespace posthorn::imapd
