// passwd_file_userdb - users from the passwd file (auth_passwd_file)
//
// The file (Dovecot passwd-file format, lib/auth/passwd_file.h) is read at the
// first lookup and again whenever it changes: every lookup stat()s it and
// re-reads it when its inode, size, mtime or ctime differ, so `posthorn
// passwd` and an editor take effect at once, without a reload. Passwords
// are dropped as the file is read; nothing here keeps or returns them.
//
// A user's entry answers for the address as written ("alice@example.com",
// any case) and, for a bare login ("alice"), also for alice@ a local
// domain. Per user: uid and gid (fields 3-4 or userdb_uid/userdb_gid; a
// name is looked up in the system's databases), home (field 6 or
// userdb_home), mail location (userdb_mail, "~/" expanded against home;
// %u %n %d %h expand in extra fields), quota (userdb_quota_rule,
// userdb_quota_rule2, ...: the "*" rule).
//
// Problems are logged as warnings naming FILE:LINE when the file is read.
// A line that names a user but is otherwise broken makes lookups of that
// user fail temporarily (the admin fixes the line, the mail waits); a file
// that exists but cannot be read makes every lookup fail temporarily. A
// file that does not exist holds no users.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstdint>
#include <ctime>
#include <map>
#include <optional>
#include <string>

#include "lib/auth/passwd_file.h"
#include "auth/userdb_source.h"

namespace posthorn::auth {

class PasswdFileUserdb : public UserdbSource {
 public:
  // defaultQuotaBytes is the base of relative quota rules ("+10%").
  PasswdFileUserdb(std::string path, std::uint64_t defaultQuotaBytes);

  std::optional<ipc::UserInfo> lookup(const UserAddress& address) override;
  std::string describe() const override { return "passwd-file " + path_; }

  // How many times the file has been read (tests).
  int loads() const { return loads_; }

 private:
  struct FileId {
    dev_t dev = 0;
    ino_t ino = 0;
    off_t size = -1;
    timespec mtime{};
    timespec ctime{};
    static FileId of(const struct stat& st);
    bool operator==(const FileId& o) const;
  };
  // One user: either described, or broken with the reason.
  struct Record {
    std::optional<ipc::UserInfo> user;
    std::string error;
    bool transient = false;  // the system's databases failed: read again
  };
  enum class State { Unread, Missing, Unreadable, Loaded };

  void refresh();
  void load(int fd, const FileId& id);
  Record describeEntry(const PasswdEntry& entry, const std::string& where) const;
  std::optional<ipc::UserInfo> find(const std::string& key);

  std::string path_;
  std::uint64_t defaultQuotaBytes_;
  State state_ = State::Unread;
  FileId id_;
  std::string unreadable_;  // why, when state_ == Unreadable
  std::map<std::string, Record> users_;  // folded user -> record
  int loads_ = 0;
};

// Expands %u (user), %n (local part), %d (domain), %h (home) and %% in a
// passwd-file extra field value; other % sequences are kept as written.
std::string expandPasswdVariables(std::string_view text, const std::string& user,
                                  const std::string& home);

// "maildir:~/Maildir" -> "maildir:HOME/Maildir": a "~" path at the start
// of the location, or after its "format:" prefix, is made absolute. Throws
// UserdbTempFail when "~" is used and home is empty.
std::string expandMailLocation(const std::string& mail, const std::string& home);

}  // namespace posthorn::auth
