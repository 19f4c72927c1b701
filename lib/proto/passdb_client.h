// passdb_client - how smtpd (and the POP3/IMAP login stages) ask authd to check a password
//
//   passdb::PassdbClient auth(ipc::servicePath(queueDir, chrooted, passdb::kPassdbService));
//   ipc::PassdbAuth start{.mechanism = "PLAIN", ...};
//   try {
//     auto r = auth.start(start);
//     while (r.status == ipc::PassdbStatus::Continue) r = auth.next(askClient(r.challenge));
//     ...r.status Ok / Fail / Locked / TempFail
//   } catch (const passdb::PassdbError& e) {
//     reply("454 4.7.0 Temporary authentication failure");   // authd down: never a hang
//   }
//
// One connection, one conversation at a time (lib/proto/proto_passdb.h). start()
// reconnects once when a connection kept from earlier turns out closed;
// next() never does (the conversation lived in the authd that went away).
// Every wait is bounded by the timeout, which must exceed authd's longest
// failure delay (auth_failure_delay_limit).
#pragma once

#include <chrono>
#include <stdexcept>
#include <optional>
#include <string>
#include <string_view>

#include "lib/ipc/request_client.h"
#include "lib/ipc/service_path.h"
#include "lib/proto/proto_passdb.h"

namespace posthorn::passdb {

// authd could not be reached, went away in the middle, timed out, or sent
// something that is not a reply.
class PassdbError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// SASL data travels base64-encoded (RFC 4648, with padding) in SMTP, POP3
// and IMAP, and inside SCRAM messages. decodeBase64 rejects anything but
// the alphabet with correct padding (white space too); "" decodes to "".
std::string encodeBase64(std::string_view bytes);
std::optional<std::string> decodeBase64(std::string_view text);

// authd's passdb socket: QUEUE_DIR/private/authd-passdb (ipc::servicePath).
inline constexpr ipc::ServiceName kPassdbService{ipc::Visibility::Private, "authd-passdb"};

class PassdbClient {
 public:
  explicit PassdbClient(std::string socketPath,
                        std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // Starts a conversation (abandoning one in progress). Throws PassdbError.
  ipc::PassdbReply start(const ipc::PassdbAuth& request);
  // Answers a Continue. Throws PassdbError.
  ipc::PassdbReply next(const std::string& response);
  void disconnect() { client_.disconnect(); }

  const std::string& socketPath() const { return client_.socketPath(); }

 private:
  template <class Request>
  ipc::PassdbReply exchange(const Request& request, ipc::RequestClient::Reconnect reconnect);

  ipc::RequestClient client_;
};

}  // namespace posthorn::passdb
