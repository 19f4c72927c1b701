// passdb_server - authd's passdb connections: SASL conversations with throttling
//
// Each accepted connection gets a session on the worker's libevent loop
// that holds one conversation at a time (lib/proto/proto_passdb.h). A final
// answer (Ok or Fail) is held back for the delay the throttle asks for
// (auth/auth_throttle.h) on a timer, never by sleeping, so other clients
// are served meanwhile; the session reads no further request until that
// answer is written. Every finished check is logged (see authd(8) for the
// lines, which fail2ban can match). A malformed frame, or a client silent
// longer than ipc_timeout, drops that connection only.
#pragma once

#include <chrono>
#include <memory>
#include <set>
#include <string>

#include "auth/auth_throttle.h"
#include "auth/sasl_conversation.h"
#include "lib/util/event_loop.h"
#include "lib/server/server.h"

struct event_base;

namespace posthorn::auth {

class PassdbSession;

class PassdbServer {
 public:
  PassdbServer(PasswordDatabase& db, ThrottleSettings throttle, std::chrono::seconds clientTimeout);
  ~PassdbServer();
  PassdbServer(const PassdbServer&) = delete;
  PassdbServer& operator=(const PassdbServer&) = delete;

  void stopOnSignals(event_base* base);
  void serve(event_base* base, server::Connection conn);
  void stop();

  // Sessions call these.
  PasswordDatabase& db() { return db_; }
  AuthThrottle& throttle() { return throttle_; }
  const std::string& fakeKey() const { return fakeKey_; }
  void forget(PassdbSession* session) { sessions_.erase(session); }

 private:
  PasswordDatabase& db_;
  AuthThrottle throttle_;
  std::chrono::seconds clientTimeout_;
  std::string fakeKey_;
  std::set<PassdbSession*> sessions_;
  bool stopping_ = false;
  std::unique_ptr<loop::Event> sigterm_;
  std::unique_ptr<loop::Event> sigint_;
};

}  // namespace posthorn::auth
