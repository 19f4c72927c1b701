// passwd_file_passdb - the secrets side of the passwd file: password field and SCRAM verifier
//
// authd's passdb reads the same file as its userdb (auth_passwd_file,
// posthorn-passwd(5)), keeping what a password check needs: the password
// field and the `scram-sha-256=` extra field. Like the userdb it stat()s
// the file on every lookup and reads it again when it changed, so `posthorn
// passwd` takes effect at once. Login names compare case-insensitively and
// must be written as in the file (an address, or a bare login).
//
// A file that does not exist holds no users; one that cannot be read, or a
// user whose line is malformed, makes lookups fail temporarily
// (UserdbTempFail): an outage is never reported as a wrong password.
#pragma once

#include <sys/types.h>

#include <ctime>
#include <map>
#include <optional>
#include <string>

namespace posthorn::auth {

struct PassdbUser {
  std::string name;      // as written in the file
  std::string password;  // the password field
  std::string scram;     // the scram-sha-256 extra field, or ""
};

class PasswdFilePassdb {
 public:
  explicit PasswdFilePassdb(std::string path) : path_(std::move(path)) {}
  ~PasswdFilePassdb();

  // nullopt: no such user. Throws UserdbTempFail.
  std::optional<PassdbUser> lookup(const std::string& login);
  const std::string& path() const { return path_; }

 private:
  void refresh();
  void clear();

  std::string path_;
  bool loaded_ = false;
  dev_t dev_ = 0;
  ino_t ino_ = 0;
  off_t size_ = -1;
  timespec mtime_{};
  timespec ctime_{};
  std::string unreadable_;
  std::map<std::string, PassdbUser> users_;  // folded name -> user
  std::map<std::string, std::string> broken_;  // folded name -> error
};

}  // namespace posthorn::auth
