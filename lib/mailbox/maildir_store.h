// maildir_store - a user's Maildir++: INBOX, .Name folders, subscriptions
//
// INBOX is the Maildir itself; folder "A.B" (the separator is '.') is the
// directory ".A.B" with a "maildirfolder" file in it, as Dovecot and
// Courier lay them out. Names are stored as the client sends them (IMAP's
// modified UTF-7), so Dovecot shows the same names. The "subscriptions"
// file holds one name per line (Dovecot's version-2 files, "V\t2" and
// tab-separated hierarchy, are read too). All folders share the root's
// maildirsize.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/mailbox/delivery_result.h"
#include "lib/mailbox/maildir_flags.h"
#include "lib/mailbox/maildir_folder.h"
#include "lib/mailbox/maildir_quota.h"
#include "lib/mailbox/message_source.h"

namespace posthorn::mailbox {

class MaildirStore {
 public:
  explicit MaildirStore(std::string root, MaildirQuota quota = {});

  // Empty when the name is acceptable, else why not.
  static std::string checkFolderName(std::string_view name);
  static bool isInbox(std::string_view name);

  const std::string& root() const { return root_; }
  // The directory of a folder; throws std::invalid_argument for a bad name.
  std::string folderDirectory(const std::string& name) const;
  // "INBOX" first, then the folders in name order.
  std::vector<std::string> folders() const;
  bool folderExists(const std::string& name) const;
  // False when it exists already. Throws std::invalid_argument, MailboxError.
  bool createFolder(const std::string& name);
  // Removes a folder (not INBOX, not one with children) and its messages,
  // taking their size off maildirsize.
  void deleteFolder(const std::string& name);
  // Renames a folder and its children; UIDs and UIDVALIDITY move with it.
  void renameFolder(const std::string& from, const std::string& to);

  std::vector<std::string> subscriptions() const;
  void setSubscribed(const std::string& name, bool subscribed);

  MaildirFolder folder(const std::string& name) const;
  DeliveryResult deliver(const std::string& folderName, MessageSource& source, const MessageFlags& flags = {});

 private:
  std::string root_;
  MaildirQuota quota_;
};

}  // namespace posthorn::mailbox
