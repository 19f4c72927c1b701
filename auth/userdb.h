// userdb - authd's answer to "who owns this address": the sources in order
//
// An address is looked up in each source in turn (the passwd file, the
// virtual maps, the system users); the first that knows it answers. When
// no source knows it and recipient_delimiter is set, the address without
// its extension ("alice+news@example.com" -> "alice@example.com") is tried
// the same way. A source that cannot answer stops the search with a
// temporary failure: a later source must not answer for a user that an
// earlier one might hold (the mail would go to the wrong mailbox).
//
// Addresses compare case-insensitively (ASCII). The domain decides whether
// bare logins and system users answer: only for a domain in mydestination
// (or an address without a domain).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/userdb_source.h"
#include "lib/proto/proto_userdb.h"

namespace posthorn::auth {

struct Settings;

class Userdb {
 public:
  Userdb(std::vector<std::unique_ptr<UserdbSource>> sources,
         std::vector<std::string> localDomains, std::string recipientDelimiter);
  ~Userdb();
  Userdb(const Userdb&) = delete;
  Userdb& operator=(const Userdb&) = delete;

  // The sources authd's settings ask for: the passwd file, the virtual
  // maps when virtual_mailbox_maps is set, the system users.
  static std::unique_ptr<Userdb> fromSettings(const Settings& settings);

  // Never throws for a bad address or a failing source: those are
  // NotFound and TempFail replies.
  ipc::UserdbReply lookup(std::string_view address);

  // The address folded and split, or nullopt when it cannot be anyone's
  // (empty, too long, white space or control characters, empty parts).
  std::optional<UserAddress> parseAddress(std::string_view address) const;

 private:
  std::optional<ipc::UserInfo> lookupIn(const UserAddress& address);

  std::vector<std::unique_ptr<UserdbSource>> sources_;
  std::vector<std::string> localDomains_;  // folded
  std::string delimiters_;
};

}  // namespace posthorn::auth
