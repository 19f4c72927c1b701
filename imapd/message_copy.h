// message_copy - COPY, MOVE and INBOX's RENAME: messages into another folder
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "lib/mailbox/maildir_folder.h"
#include "lib/mailbox/maildir_store.h"

namespace posthorn::imapd {

struct CopyResult {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> uids;  // source UID -> new UID
  bool overQuota = false;
  std::string error;  // empty when every message was copied
};

// Copies the messages (flags and internal date kept, \Recent not) in UID
// order. At the first failure the copies made so far are expunged again
// (RFC 3501 6.4.7: all or nothing) and error says why.
CopyResult copyMessages(mailbox::MaildirFolder& source, const std::vector<std::uint32_t>& uids,
                        mailbox::MaildirStore& store, const std::string& target);

}  // namespace posthorn::imapd
