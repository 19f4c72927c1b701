// selected_mailbox - the session's view of the selected folder
//
// IMAP numbers messages 1..N in UID order, and the numbers a client knows
// may change only when the server says so (EXISTS, EXPUNGE). The view keeps
// the UIDs the client was told about and the MODSEQ each was last reported
// at; update() compares it with the folder's index (which other sessions
// and deliveries change) and reports the difference as untagged responses.
// An expunge by someone else is held back while the command in progress
// may not see message numbers shift (FETCH, STORE, SEARCH: RFC 3501 7.4.1);
// such a message stays in the view, and is skipped when fetched.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "imapd/imap_command.h"
#include "lib/login/client_output.h"
#include "lib/mailbox/maildir_folder.h"

namespace posthorn::imapd {

class SelectedMailbox {
 public:
  SelectedMailbox(std::string name, mailbox::MaildirFolder folder, bool readOnly);

  // Opens the folder and sends SELECT's untagged responses.
  void open(net::ClientOutput& out);
  // Brings the view up to date; scan: also look at the directories (NOOP,
  // IDLE after a change in new/ or cur/) rather than only the index log.
  void update(net::ClientOutput& out, bool allowExpunge, bool scan);

  const std::string& name() const { return name_; }
  bool readOnly() const { return readOnly_; }
  mailbox::MaildirFolder& folder() { return folder_; }
  std::uint32_t count() const { return static_cast<std::uint32_t>(uids_.size()); }
  std::uint32_t uidAt(std::uint32_t seq) const { return uids_[seq - 1]; }
  // The sequence number of a UID in the view, 0 when not there.
  std::uint32_t sequenceOf(std::uint32_t uid) const;
  std::uint32_t maxUid() const { return uids_.empty() ? 0 : uids_.back(); }
  bool recent(std::uint32_t uid) const;
  // FLAGS of a message as the client sees them (with \Recent).
  std::string flagsOf(const mailbox::IndexedMessage& m) const;

  // The UIDs a set names, ascending; a sequence set when !uid. Numbers
  // beyond the view are left out (a UID set) or make it invalid (nullopt,
  // a sequence set: BAD).
  std::optional<std::vector<std::uint32_t>> resolve(const SequenceSet& set, bool uid) const;

  // The session changed these itself and reported them (or chose not to):
  // the view takes their current MODSEQ so update() stays quiet.
  void noteReported(const std::vector<std::uint32_t>& uids);
  // The folder was renamed (by this session): same messages, new place.
  void moveTo(std::string name, mailbox::MaildirFolder folder);
  // Before a FETCH response shows flags: a keyword the client has not
  // been told about goes out first in "* FLAGS (...)" (RFC 3501 7.2.6).
  void announceKeywords(net::ClientOutput& out, const mailbox::MessageFlags& flags);
  // The UIDs in the view whose message is flagged \Deleted, ascending;
  // with only (ascending), just those in it. As the index is now: refresh()
  // the folder first (CLOSE, EXPUNGE).
  std::vector<std::uint32_t> deletedUids(const std::vector<std::uint32_t>* only = nullptr) const;
  // The session expunged these: sends "* n EXPUNGE" and drops them.
  void expunged(net::ClientOutput& out, const std::vector<std::uint32_t>& uids);

 private:
  void dropAt(std::size_t index);
  std::string keywordList() const;  // " $Forwarded $Junk", sorted
  std::string flagsLine() const;    // "FLAGS (\\Answered ... $Junk)"

  std::string name_;
  mailbox::MaildirFolder folder_;
  bool readOnly_;
  std::vector<std::uint32_t> uids_;      // ascending: index = sequence number - 1
  std::vector<std::uint64_t> modseqs_;   // as last reported
  std::vector<std::uint32_t> recent_;    // ascending
  std::size_t reportedRecent_ = 0;
  std::set<std::string> keywords_;  // announced in FLAGS
  std::uint64_t seenModseq_ = 0;    // the folder's HIGHESTMODSEQ and UIDNEXT
  std::uint32_t seenUidNext_ = 0;   // at the last update()
  bool expungePending_ = false;     // an expunge held back, to report later
};

}  // namespace posthorn::imapd
