// userdb_client - how smtpd, local, popd and imapd ask authd about a user
//
//   userdb::UserdbClient users(ipc::servicePath(queueDir, chrooted, userdb::kUserdbService),
//                              "smtpd");
//   try {
//     if (auto user = users.lookup("alice@example.com")) deliverTo(user->uid, user->home);
//     else reply("550 5.1.1 <alice@example.com>: user unknown");
//   } catch (const userdb::UserdbError& e) {
//     reply("451 4.3.0 temporary lookup failure");   // never treat as unknown
//   }
//
// The client keeps one connection to authd and reuses it; when authd closed
// it in the meantime (max_use, max_idle, restart) it reconnects once and
// retries (see ipc::RequestClient). Only "found" and "not found" are answers: authd unreachable, a
// source authd could not read, or a garbled reply is a UserdbError, so
// that an outage is never mistaken for an unknown user.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "lib/ipc/request_client.h"
#include "lib/ipc/service_path.h"
#include "lib/proto/proto_userdb.h"

namespace posthorn::userdb {

using ipc::UserInfo;
using ipc::UserSource;

// Why a lookup gave no answer.
enum class UserdbErrorKind {
  Unavailable,  // authd could not be reached, or the connection failed twice
  TempFail,     // authd answered that a user database could not be read
  Protocol,     // authd sent something that is not a valid reply
};

using UserdbError = ipc::ServiceError<UserdbErrorKind>;

// "unavailable", "tempfail", "protocol".
std::string_view userdbErrorKindName(UserdbErrorKind kind);

// authd's userdb socket: QUEUE_DIR/private/authd-userdb (ipc::servicePath).
inline constexpr ipc::ServiceName kUserdbService{ipc::Visibility::Private, "authd-userdb"};

class UserdbClient : public ipc::ServiceClient<UserdbErrorKind> {
 public:
  // service names the caller in authd's log ("smtpd", "local", ...).
  explicit UserdbClient(std::string socketPath, std::string service = "",
                        std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // The user that owns `address` ("alice@example.com", any case, or a bare
  // login), or nullopt when no user database knows it. Throws UserdbError
  // otherwise.
  std::optional<UserInfo> lookup(std::string_view address);

 private:
  std::string service_;
};

}  // namespace posthorn::userdb
