// maildir_writer - delivers one message into a Maildir (Maildir++), durably
//
// deliverToMaildir() creates maildir/{tmp,new,cur} (mode 0700, parents too)
// when missing, writes tmp/<unique>, fsyncs it, checks the Maildir++ quota
// (maildirsize), renames the file to new/<unique>,S=<size>,W=<vsize>
// (size = bytes with LF line ends, vsize = size + number of lines, i.e.
// with CRLF; a line that already ends in CRLF adds nothing), fsyncs new/,
// records the message in the folder's index with the next UID (one
// fdatasync of the index log; the rename happens under the index lock),
// then appends "<size> 1" to maildirsize.
//
// It runs as the current euid (the caller has switched to the mailbox
// owner) and never leaves a file in tmp/ when it returns: not on error, not
// when the source throws (the exception propagates after the cleanup).
// Results: Ok 2.0.0; over quota TempFail 4.2.2 with overQuota; I/O errors
// TempFail 4.3.0, or 4.3.1 for ENOSPC/EDQUOT, the text naming the path.
#pragma once

#include <string>

#include "lib/mailbox/delivery_result.h"
#include "lib/mailbox/maildir_flags.h"
#include "lib/mailbox/maildir_quota.h"
#include "lib/mailbox/message_source.h"

namespace posthorn::mailbox {

// Into INBOX, i.e. the Maildir itself.
DeliveryResult deliverToMaildir(const std::string& maildir, MessageSource& source,
                                const MaildirQuota& quota);

// Into a Maildir++ folder (folderDir = maildir/.Name, made when missing,
// with its maildirfolder file) under the quota of the root `maildir`;
// folderDir == maildir is INBOX. flags are set at delivery (a name in
// cur/ with ":2,<letters>" when not empty).
DeliveryResult deliverToMaildirFolder(const std::string& maildir, const std::string& folderDir,
                                      MessageSource& source, const MaildirQuota& quota,
                                      const MessageFlags& flags = {});

}  // namespace posthorn::mailbox
