// mailbox_command - `posthorn mailbox`: check, repair or list a user's Maildir
//
//   posthorn [-c DIR] mailbox check  [-d MAILDIR | USER] [FOLDER]
//   posthorn [-c DIR] mailbox repair [-d MAILDIR | USER] [FOLDER]
//   posthorn [-c DIR] mailbox list   [-d MAILDIR | USER] [FOLDER]
//   posthorn [-c DIR] mailbox deliver [-f FLAGS] [-d MAILDIR | USER] [FOLDER] < message
//
// USER is looked up through authd's userdb (as local does) and its
// Maildir found as local finds it; -d names the Maildir directly. Without
// FOLDER every folder is handled. check only reads; repair fixes what
// check reports (mailbox_check.h), running as the Maildir's owner when
// started as root; list prints "UID MODSEQ SIZE FLAGS" per message from
// the index alone (no message file is opened); deliver stores a message
// from stdin as local does (a UID at once), with IMAP flags such as
// "\\Seen $Label1", into INBOX or a folder (made when missing). Exit status: 0 clean (or
// repaired, or listed), 1 problems found or an error, 2 a usage error.
// See posthorn-mailbox(1).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace posthorn::tools {

// args exclude the program and the word "mailbox".
int runMailbox(const std::vector<std::string>& args);
int runMailbox(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace posthorn::tools
