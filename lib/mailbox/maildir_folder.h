// maildir_folder - one Maildir folder with its index: what popd and imapd use
//
//   MaildirFolder inbox(root, root);            // INBOX
//   inbox.open();                               // load; create/import/sync when new
//   inbox.sync();                               // pick up outside changes
//   for (const auto& m : inbox.messages()) ...  // uid, flags, modseq, size
//   inbox.storeFlags({uid}, flags, FlagMode::Add);
//   inbox.expunge({uid});
//
// Writers take the folder's IndexLock for each operation; the file name
// is the truth for flags (other programs rename files), the index follows
// it on sync. A message's UID never changes and is never given twice:
// every UID is recorded in the log (fdatasync'ed) before the lock is
// released. Quota (maildirsize) is the quota root's: the Maildir root for
// every folder, as Maildir++ wants.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "lib/mailbox/mailbox_index.h"
#include "lib/mailbox/maildir_quota.h"

namespace posthorn::mailbox {

// What one sync found.
struct SyncChanges {
  std::vector<std::uint32_t> added;     // new UIDs
  std::vector<std::uint32_t> changed;   // flags changed by someone else
  std::vector<std::uint32_t> expunged;  // files gone
  bool created = false;                 // the index was created now
  bool rebuilt = false;                 // a damaged index was rebuilt (new UIDVALIDITY)
  std::string importedFrom;             // dovecot-uidlist / courierimapuiddb, when imported
  bool empty() const { return added.empty() && changed.empty() && expunged.empty(); }
};

enum class FlagMode { Replace, Add, Remove };

class MaildirFolder {
 public:
  // dir: the folder's Maildir directory; quotaRoot: the directory whose
  // maildirsize counts this folder (the root Maildir).
  MaildirFolder(std::string dir, std::string quotaRoot);

  // Loads the index; when there is none, creates it under the lock (UIDs
  // imported from dovecot-uidlist or courierimapuiddb when present), and
  // when it is damaged, rebuilds it with a new UIDVALIDITY (logged).
  // Makes cur/ new/ tmp/ when missing.
  SyncChanges open();
  // Applies changes other processes logged (no lock, no directory scan).
  bool refresh();
  // Takes the lock, scans new/ and cur/ and records what changed.
  SyncChanges sync();

  const IndexHeader& header() const { return index_.state().header; }
  const std::vector<IndexedMessage>& messages() const { return index_.state().messages(); }
  const IndexedMessage* find(std::uint32_t uid) const { return index_.state().find(uid); }
  const std::string& directory() const { return dir_; }

  // The message file's path as last known.
  std::string path(const IndexedMessage& m) const;
  // Opens the message read-only; follows a rename by another process
  // (refresh, then sync). -1 with errno ENOENT when it is gone.
  int openMessage(std::uint32_t uid);
  // The size with CRLF line ends; computed (reading the file) and cached
  // when the name has no W=.
  std::uint64_t virtualSize(std::uint32_t uid);

  // Changes flags: renames the files (into cur/, ":2,<letters>") and logs
  // the new flags with a new MODSEQ. UIDs not in the folder are skipped.
  // Returns the UIDs changed.
  std::vector<std::uint32_t> storeFlags(const std::vector<std::uint32_t>& uids, const MessageFlags& flags,
                                        FlagMode mode);
  // Moves the messages still in new/ to cur/ (flags unchanged, a new
  // MODSEQ): the session that does it is the one that reports them
  // \Recent (RFC 3501 2.3.2), as with Dovecot. Returns their UIDs.
  std::vector<std::uint32_t> takeNew();
  // Removes the files, logs the expunges and takes their size off the
  // quota. Returns the UIDs expunged.
  std::vector<std::uint32_t> expunge(const std::vector<std::uint32_t>& uids);
  // Remembers a derived value (IMAP ENVELOPE, BODYSTRUCTURE...) for a message.
  void setCached(std::uint32_t uid, const std::string& key, const std::string& value);
  struct CacheEntry {
    std::uint32_t uid;
    std::string key, value;
  };
  // Many at once: one lock, one write, no fdatasync (a cache lost in a
  // crash is computed again).
  void setCached(const std::vector<CacheEntry>& entries);

  // POP3 UIDL as Dovecot's default: %08Xu%08Xv (lower-case hex).
  std::string uidl(std::uint32_t uid) const;

  // With the lock held: loads `index` (a delivery's header-only one),
  // creating it first when there is none (as open() does, scanning the
  // directory) and rebuilding it when damaged.
  static void loadOrCreateLocked(MailboxIndex& index);

  MailboxIndex& index() { return index_; }

 private:
  SyncChanges createIndex(bool rebuild);
  SyncChanges syncLocked();
  void ensureDirectories();

  std::string dir_;
  std::string quotaRoot_;
  MailboxIndex index_;
};

}  // namespace posthorn::mailbox
