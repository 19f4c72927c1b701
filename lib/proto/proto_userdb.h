// proto_userdb - the authd userdb protocol: does this address have a mailbox
//
// A client (smtpd's RCPT check, local, popd, imapd) connects to authd's
// private socket ($queue_directory/private/authd-userdb, /private/authd-
// userdb inside the chroot) and sends any number of UserdbLookup frames;
// authd answers each with one UserdbReply, in order. The reply describes the
// mailbox owner (uid, gid, home, mail location, quota) and never carries a
// password, hash or any other secret. See authd(8).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "lib/ipc/ipc.h"

namespace posthorn::ipc {

// Bump on any change to the messages below.
inline constexpr std::uint32_t kUserdbProtoVersion = 1;

// The outcome of one lookup.
enum class UserdbStatus : std::uint32_t {
  Found = 0,     // user describes the mailbox owner
  NotFound = 1,  // no source knows the address
  TempFail = 2,  // a source could not be read: try again later, never "unknown user"
};

// Which user database answered.
enum class UserSource : std::uint32_t {
  PasswdFile = 0,   // auth_passwd_file (Dovecot passwd-file format)
  VirtualMaps = 1,  // virtual_mailbox_maps + virtual_uid_maps/virtual_gid_maps
  System = 2,       // getpwnam(3), for domains in mydestination
};

std::string_view userdbStatusName(UserdbStatus status);  // "found", "notfound", "tempfail"
std::string_view userSourceName(UserSource source);      // "passwd-file", "virtual", "system"
// The codec rejects values that are none of the above.
bool ipcEnumValid(UserdbStatus status);
bool ipcEnumValid(UserSource source);

struct UserdbLookup {
  static constexpr MsgType kType = MsgType::UserdbLookup;
  static constexpr std::uint32_t kVersion = kUserdbProtoVersion;
  std::string address;  // "alice@example.com" or a bare login "alice"; any case
  std::string service;  // who asks, for authd's log: "smtpd", "local", "imapd"...
  template <class V>
  void fields(V& v) {
    v("address", address);
    v("service", service);
  }
};

// The mailbox owner, as the user database describes it.
struct UserInfo {
  // The name the database knows the user by: "alice@example.com" as written
  // in the passwd file, the virtual map key, or the system login "alice".
  // With recipient_delimiter set, "alice+news@example.com" may be answered
  // for "alice@example.com".
  std::string name;
  UserSource source = UserSource::PasswdFile;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::string home;  // absolute path; may be empty (a virtual mbox user)
  // Where the mail goes, "maildir:/path/Maildir" or "mbox:/path/file" (a
  // leading "~/" in a passwd-file userdb_mail is expanded against home; the
  // text is passed on as written otherwise). Empty: the database names no
  // location and the reader uses its default (home_mailbox, /var/mail).
  std::string mail;
  // The "*" quota rule in bytes and messages; 0 means unlimited. Absent:
  // the database sets no quota for this user and the reader applies its
  // default (mailbox_size_limit).
  std::optional<std::uint64_t> quotaBytes;
  std::optional<std::uint64_t> quotaMessages;
  template <class V>
  void fields(V& v) {
    v("name", name);
    v("source", source);
    v("uid", uid);
    v("gid", gid);
    v("home", home);
    v("mail", mail);
    v("quota_bytes", quotaBytes);
    v("quota_messages", quotaMessages);
  }
};

struct UserdbReply {
  static constexpr MsgType kType = MsgType::UserdbReply;
  static constexpr std::uint32_t kVersion = kUserdbProtoVersion;
  UserdbStatus status = UserdbStatus::TempFail;
  std::string reason;  // TempFail: a short explanation for logs; else empty
  UserInfo user;       // meaningful when Found; default values otherwise
  template <class V>
  void fields(V& v) {
    v("status", status);
    v("reason", reason);
    v("user", user);
  }
};

inline std::string_view userdbStatusName(UserdbStatus status) {
  switch (status) {
    case UserdbStatus::Found: return "found";
    case UserdbStatus::NotFound: return "notfound";
    case UserdbStatus::TempFail: return "tempfail";
  }
  return "unknown";
}

inline std::string_view userSourceName(UserSource source) {
  switch (source) {
    case UserSource::PasswdFile: return "passwd-file";
    case UserSource::VirtualMaps: return "virtual";
    case UserSource::System: return "system";
  }
  return "unknown";
}

inline bool ipcEnumValid(UserdbStatus status) {
  switch (status) {
    case UserdbStatus::Found:
    case UserdbStatus::NotFound:
    case UserdbStatus::TempFail:
      return true;
  }
  return false;
}

inline bool ipcEnumValid(UserSource source) {
  switch (source) {
    case UserSource::PasswdFile:
    case UserSource::VirtualMaps:
    case UserSource::System:
      return true;
  }
  return false;
}

}  // namespace posthorn::ipc
