// passwd_file - the user database file, in Dovecot's passwd-file format
//
// One user per line, fields separated by colons (see posthorn-passwd(5)):
//
//   user:password:uid:gid:gecos:home:shell:extra_fields
//   alice@example.com:{CRYPT}$y$j9T$...:5000:5000::/var/vmail/alice::userdb_quota_rule=*:storage=1G
//
// user is an address (user@domain) or a bare login; password is
// "{SCHEME}data" or a crypt(3) string; uid and gid are numbers or names;
// home is absolute. Trailing fields may be left out. The extra fields are
// everything after the seventh colon: space-separated `name=value` (or bare
// `name`) items whose values may contain colons, e.g.
// `userdb_mail=maildir:~/Maildir userdb_quota_rule=*:storage=1G`.
// Lines whose first non-blank character is `#`, and blank lines, are
// ignored; a trailing CR is dropped. User names compare case-insensitively.
//
// This file only parses and formats lines; auth/passwd_file_userdb.h turns
// entries into users, tools/passwd_command.h edits the file.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace posthorn::auth {

// A malformed line; what() says what is wrong (the caller adds FILE:LINE).
class PasswdLineError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct PasswdEntry {
  std::string user;      // as written
  std::string password;  // "{SCHEME}..." or a crypt string; may be empty
  std::string uid;       // as written: a number, a name, or empty
  std::string gid;
  std::string gecos;
  std::string home;
  std::string shell;
  // The extra fields in file order: {name, value}; a bare `name` has an
  // empty value.
  std::vector<std::pair<std::string, std::string>> extraFields;
  int line = 0;  // 1-based, in the file it came from

  // The value of the first extra field called `name`, or nullptr.
  const std::string* extra(std::string_view name) const;
  // A userdb attribute: the extra field "userdb_NAME" (fields without the
  // prefix belong to the passdb, as in Dovecot), or nullptr.
  const std::string* userdbField(std::string_view name) const;
  // Sets (replaces, or appends) the extra field `name`; removes it when
  // value is nullptr.
  void setExtra(std::string_view name, const std::string* value);
};

struct PasswdFile {
  std::string file;
  std::vector<PasswdEntry> entries;  // in file order, first of each user only
  // "FILE:LINE: what" for each malformed line or duplicate user.
  std::vector<std::string> errors;
  // Users (folded) whose line is malformed beyond the user field, each with
  // its error ("FILE:LINE: what"): they exist, but cannot be described;
  // lookups of them fail temporarily.
  std::vector<std::pair<std::string, std::string>> brokenUsers;
};

// Whether the line carries no entry (blank, or a comment).
bool isPasswdCommentOrBlank(std::string_view line);

// The user field of a data line, folded to lower case ("" for a comment or
// blank line, or a line without a user).
std::string passwdLineKey(std::string_view line);

// Parses one data line (no newline). Throws PasswdLineError.
PasswdEntry parsePasswdLine(std::string_view line);

// Formats an entry as one line (no newline), leaving out empty trailing
// fields. Throws PasswdLineError when a field holds a character the format
// cannot carry (a colon outside the extra fields, a newline, ...).
std::string formatPasswdLine(const PasswdEntry& entry);

// Checks that text may be the user field: not empty, no colon, white space
// or control character. Throws PasswdLineError naming the problem.
void checkPasswdUser(std::string_view user);

// Parses a whole file's text; never throws for a bad line (see errors).
PasswdFile parsePasswdFile(std::string_view text, const std::string& file);

// ASCII lower case, how user names compare.
std::string foldUser(std::string_view user);

}  // namespace posthorn::auth
