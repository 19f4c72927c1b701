// userdb_client - the client side of the authd userdb protocol (see userdb_client.h)
#include "lib/proto/userdb_client.h"

#include <utility>

namespace posthorn::userdb {

std::string_view userdbErrorKindName(UserdbErrorKind kind) {
  switch (kind) {
    case UserdbErrorKind::Unavailable: return "unavailable";
    case UserdbErrorKind::TempFail: return "tempfail";
    case UserdbErrorKind::Protocol: return "protocol";
  }
  return "unknown";
}

UserdbClient::UserdbClient(std::string socketPath, std::string service,
                           std::chrono::milliseconds timeout)
    : ServiceClient(std::move(socketPath), "authd", timeout), service_(std::move(service)) {}

std::optional<UserInfo> UserdbClient::lookup(std::string_view address) {
  ipc::UserdbLookup request;
  request.address = std::string(address);
  request.service = service_;
  ipc::UserdbReply reply = call<ipc::UserdbReply>(request);
  switch (reply.status) {
    case ipc::UserdbStatus::Found:
      return std::move(reply.user);
    case ipc::UserdbStatus::NotFound:
      return std::nullopt;
    case ipc::UserdbStatus::TempFail:
      break;
  }
  throw UserdbError(UserdbErrorKind::TempFail,
                    "authd: temporary failure looking up " + std::string(address) +
                        (reply.reason.empty() ? "" : ": " + reply.reason));
}

}  // namespace posthorn::userdb
