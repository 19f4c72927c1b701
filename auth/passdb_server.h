// passdb_server - authd's passdb side: a SASL conversation per client, with throttling
//
// authd's passdb side serves its clients through server::RequestServer (one
// session per connection, frames answered in order; malformed frames and
// clients silent longer than ipc_timeout drop that connection only). What
// is passdb's is here: each client's PassdbSession holds one conversation
// at a time (lib/proto/proto_passdb.h), and a final answer (Ok or Fail) is
// held back for the delay the throttle asks for (auth/auth_throttle.h)
// through RequestReply::delay, on a timer, never by sleeping, so other
// clients are served meanwhile; that client's next request waits until the
// answer is written. Every finished check is logged (see authd(8) for the
// lines, which fail2ban can match).
#pragma once

#include <string>

#include "auth/auth_throttle.h"
#include "auth/sasl_conversation.h"
#include "lib/server/request_server.h"

namespace posthorn::auth {

// What every passdb session shares: the password database, the failure
// throttle, and the key of SCRAM's made-up salts for users without a
// verifier (lib/auth/scram.h).
class PassdbService {
 public:
  PassdbService(PasswordDatabase& db, ThrottleSettings throttle);
  PassdbService(const PassdbService&) = delete;
  PassdbService& operator=(const PassdbService&) = delete;

  // A new conversation state for each client, for server::RequestServer.
  server::RequestServer::NewHandler sessions();

  PasswordDatabase& db() { return db_; }
  AuthThrottle& throttle() { return throttle_; }
  const std::string& fakeKey() const { return fakeKey_; }

 private:
  PasswordDatabase& db_;
  AuthThrottle throttle_;
  std::string fakeKey_;
};

}  // namespace posthorn::auth
