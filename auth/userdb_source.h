// userdb_source - one user database that authd consults (the interface)
//
// authd asks its sources in order (auth/userdb.h): the passwd file, then
// the Postfix-style virtual maps, then the system's users. Each answers for
// one address with the user, "not mine" (nullopt), or a UserdbTempFail
// when it cannot tell (a file it cannot read, a table it cannot open): an
// outage must never look like an unknown user.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>

#include "lib/proto/proto_userdb.h"

namespace posthorn::auth {

// The source could not answer; what() says why (for the log and the reply).
class UserdbTempFail : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An address as the sources see it, folded to lower case.
struct UserAddress {
  std::string full;    // "alice@example.com", or "alice" for a bare login
  std::string local;   // "alice"
  std::string domain;  // "example.com"; empty for a bare login
  // The domain is one of mydestination's (or there is none): the passwd
  // file's bare logins and the system's users answer for it.
  bool localDomain = false;
};

class UserdbSource {
 public:
  virtual ~UserdbSource() = default;
  // The user for address, or nullopt when this source has none. Throws
  // UserdbTempFail.
  virtual std::optional<ipc::UserInfo> lookup(const UserAddress& address) = 0;
  // "passwd-file /etc/mail/passwd", for logs.
  virtual std::string describe() const = 0;
};

}  // namespace posthorn::auth
