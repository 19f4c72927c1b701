// passwd_command - `posthorn passwd`: add a user to the passwd file, or change one
//
//   posthorn passwd [-c DIR] [-f FILE] [-m METHOD] [-k] [-S]
//                   [-u UID] [-g GID] [-d HOME] [-q QUOTA] USER
//
// USER is user@domain (or a bare login). The password is read from the
// terminal twice without echo, or as one line from stdin when stdin is not
// a terminal, and stored as a crypt(3) hash ("{CRYPT}$y$..." with METHOD
// yescrypt, the default; sha512 and bcrypt are also offered). A new user
// needs -u, -g and -d; for an existing one, what is not given is kept, and
// -k keeps the password too. Beside the hash it stores a SCRAM-SHA-256
// verifier (the extra field scram-sha-256=ITER,SALT,STOREDKEY,SERVERKEY,
// lib/auth/scram.h) so that the user can log in with SCRAM; -S stores none
// (and removes an old one). -q sets the quota ("1G", "500M", a bare number
// of bytes, 0 = unlimited, "none" removes it) as userdb_quota_rule. FILE
// defaults to auth_passwd_file ($config_directory/passwd).
//
// The file is rewritten atomically (temporary file, fsync, rename, fsync of
// the directory) under a lock, so that concurrent runs do not lose each
// other's changes and authd never sees half a file; every other line,
// comment and blank line is kept as it was, in order. A new file gets mode
// 0640; an existing file keeps its owner and group, and its mode without
// any permission for others. See posthorn-passwd(1) and posthorn-passwd(5).
//
// Exit status: 0 when the file was written, 1 on an error (unreadable
// file, passwords that differ), 2 on a usage error.
#pragma once

#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace posthorn::tools {

// args exclude the program and the word "passwd". The first form reads the
// password from the terminal (or stdin) as described above; the second
// reads one line from `in` and never prompts.
int runPasswd(const std::vector<std::string>& args);
int runPasswd(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
              std::ostream& err);

// What one run changes. Unset fields are kept (an existing user) or
// required (uid, gid and home of a new user).
struct PasswdChange {
  std::string user;
  std::optional<std::string> passwordHash;  // the whole password field
  std::optional<std::string> uid;
  std::optional<std::string> gid;
  std::optional<std::string> home;
  std::optional<std::string> quotaRule;     // "" removes userdb_quota_rule
  std::optional<std::string> scramVerifier; // "" removes the scram-sha-256 field
};

class PasswdUpdateError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Applies change to the file at path as described above; returns true when
// the user was added, false when changed. Warnings (malformed lines of
// other users, kept as they are; a mode that was tightened) go to
// *warnings. Throws PasswdUpdateError.
bool updatePasswdFile(const std::string& path, const PasswdChange& change,
                      std::vector<std::string>* warnings = nullptr);

// The crypt(3) hash of password with a fresh random salt: method
// "yescrypt" ($y$), "sha512" ($6$) or "bcrypt" ($2b$). Throws
// std::invalid_argument for another method, std::runtime_error when
// libcrypt fails.
std::string hashPassword(std::string_view password, std::string_view method = "yescrypt");

// Whether password matches a crypt(3) hash (with or without "{CRYPT}").
bool verifyPassword(std::string_view password, std::string_view hash);

}  // namespace posthorn::tools
