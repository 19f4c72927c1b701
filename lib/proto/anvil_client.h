// anvil_client - how smtpd tells anvil(8) about a client's events
//
//   anvil::AnvilClient anvil(ipc::servicePath(queueDir, chrooted, anvil::kAnvilService));
//   try {
//     auto r = anvil.report(ipc::AnvilEvent::Connect, "smtp", "192.0.2.7");
//     if (r.count > limit) refuse();
//   } catch (const anvil::AnvilError& e) {
//     log::warning("%s", e.what());   // serve the client anyway (Postfix's way)
//   }
//
// One kept connection, reconnected once when stale (ipc::RequestClient).
// The counts that connection added die with it, so a client that
// reconnects to a new anvil starts again from zero (a restarted anvil knows
// nothing either).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "lib/ipc/request_client.h"
#include "lib/ipc/service_path.h"
#include "lib/proto/proto_anvil.h"

namespace posthorn::anvil {

enum class AnvilErrorKind {
  Unavailable,  // anvil could not be reached, or the connection failed twice
  Protocol,     // anvil sent something that is not a valid reply
};

using AnvilError = ipc::ServiceError<AnvilErrorKind>;

// anvil's socket: QUEUE_DIR/private/anvil (ipc::servicePath).
inline constexpr ipc::ServiceName kAnvilService{ipc::Visibility::Private, "anvil"};

// "service:address", the client as anvil counts it.
std::string anvilIdent(std::string_view service, std::string_view address);

class AnvilClient : public ipc::ServiceClient<AnvilErrorKind> {
 public:
  explicit AnvilClient(std::string socketPath,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // Reports one event of `address` on `service` and returns anvil's counts.
  // Throws AnvilError.
  ipc::AnvilReply report(ipc::AnvilEvent event, std::string_view service, std::string_view address);
};

}  // namespace posthorn::anvil
