// userdb_client - the client side of the authd userdb protocol (see userdb_client.h)
#include "lib/proto/userdb_client.h"

#include <utility>

#include "lib/ipc/ipc.h"

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
    : socketPath_(std::move(socketPath)), service_(std::move(service)), timeout_(timeout) {}

UserdbClient::~UserdbClient() = default;
UserdbClient::UserdbClient(UserdbClient&&) noexcept = default;
UserdbClient& UserdbClient::operator=(UserdbClient&&) noexcept = default;

void UserdbClient::disconnect() { channel_.reset(); }

void UserdbClient::connect() {
  channel_.reset();
  try {
    auto channel = ipc::Channel::connect(socketPath_, timeout_);
    channel.setTimeout(timeout_);
    channel_ = std::make_unique<ipc::Channel>(std::move(channel));
    ++connects_;
  } catch (const std::exception& e) {
    throw UserdbError(UserdbErrorKind::Unavailable,
                      "authd unavailable at " + socketPath_ + ": " + e.what());
  }
}

std::optional<UserInfo> UserdbClient::lookup(std::string_view address) {
  // A connection that was already open may have been closed by authd in
  // the meantime (max_idle, max_use, restart): reconnect once and retry.
  const bool reused = channel_ != nullptr;
  if (!reused) connect();
  try {
    return lookupOnce(address);
  } catch (const ipc::ChannelClosed& e) {
    disconnect();
    if (!reused) {
      throw UserdbError(UserdbErrorKind::Unavailable,
                        "authd at " + socketPath_ + ": " + e.what());
    }
  }
  connect();
  try {
    return lookupOnce(address);
  } catch (const ipc::ChannelClosed& e) {
    disconnect();
    throw UserdbError(UserdbErrorKind::Unavailable, "authd at " + socketPath_ + ": " + e.what());
  }
}

std::optional<UserInfo> UserdbClient::lookupOnce(std::string_view address) {
  ipc::UserdbReply reply;
  try {
    ipc::UserdbLookup request;
    request.address = std::string(address);
    request.service = service_;
    channel_->send(request);
    reply = channel_->receive<ipc::UserdbReply>();
  } catch (const ipc::ProtocolError& e) {
    disconnect();
    throw UserdbError(UserdbErrorKind::Protocol,
                      "authd at " + socketPath_ + ": protocol error: " + e.what());
  }
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
