// imap_session - IMAP's authenticated and selected states, as the mailbox owner
//
// The mailbox stage's loop feeds whole commands; responses go to an
// ImapOutput. One user's Maildir++ store; at most one selected folder.
// The handlers live in files by concern: folder_commands.cc (SELECT,
// CREATE, LIST, STATUS...), fetch_command.cc, store_command.cc (STORE,
// COPY, MOVE, EXPUNGE), append_command.cc, search_command.cc.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "imapd/imap_command.h"
#include "imapd/imap_output.h"
#include "imapd/imap_settings.h"
#include "imapd/selected_mailbox.h"
#include "lib/mailbox/maildir_store.h"

namespace posthorn::imapd {

class ImapSession {
 public:
  enum class Next { Continue, Idle, Close };

  ImapSession(const Settings& settings, mailbox::MaildirStore& store, ImapOutput& out, std::string user);

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
  // A literal the session will refuse (APPEND to a folder that is not
  // there...): empty when fine, else the tagged response text.
  const std::string& user() const { return user_; }

 private:
  void tagged(const std::string& tag, std::string_view text);
  Next bad(const std::string& tag, const std::string& text);
  Next no(const std::string& tag, const std::string& text);
  Next dispatch(const ImapCommand& command);
  // The untagged updates a command ends with (EXPUNGE only when allowed).
  // When the selected folder has gone, marks the session inconsistent.
  void sendUpdates(bool allowExpunge, bool scan = false);
  bool selectedFolderGone() const;
  Next closeIfInconsistent(Next next);
  // A folder name argument, decoded and checked; nullopt after answering.
  std::optional<std::string> folderArgument(const ImapCommand& c, const ImapValue& v);

  // imap_session.cc
  Next cmdCapability(const ImapCommand& c);
  Next cmdNamespace(const ImapCommand& c);
  Next cmdEnable(const ImapCommand& c);
  Next cmdId(const ImapCommand& c);
  Next cmdIdle(const ImapCommand& c);
  Next cmdClose(const ImapCommand& c, bool expunge);
  // folder_commands.cc
  Next cmdSelect(const ImapCommand& c, bool readOnly);
  Next cmdCreate(const ImapCommand& c);
  Next cmdDelete(const ImapCommand& c);
  Next cmdRename(const ImapCommand& c);
  Next cmdSubscribe(const ImapCommand& c, bool subscribe);
  Next cmdList(const ImapCommand& c, bool lsub);
  Next cmdStatus(const ImapCommand& c);
  void createSpecialUse();
  std::string specialUseOf(const std::string& folder) const;
  // fetch_command.cc
  Next cmdFetch(const ImapCommand& c, bool uid);
  // store_command.cc
  Next cmdStore(const ImapCommand& c, bool uid);
  Next cmdCopy(const ImapCommand& c, bool uid, bool move);
  Next cmdExpunge(const ImapCommand& c, bool uid);
  // append_command.cc
  Next cmdAppend(const ImapCommand& c);
  // search_command.cc
  Next cmdSearch(const ImapCommand& c, bool uid);

  const Settings& settings_;
  mailbox::MaildirStore& store_;
  ImapOutput& out_;
  std::string user_;
  std::unique_ptr<SelectedMailbox> selected_;
  std::string idleTag_;
  int badCommands_ = 0;
  bool inconsistent_ = false;  // the selected folder went away: BYE after this command
};

}  // namespace posthorn::imapd
