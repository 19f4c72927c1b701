// userdb_server - authd's connections: a stream of userdb lookups per client
//
// Each accepted connection gets a session on the worker's libevent loop.
// A session reads UserdbLookup frames, answers each with one UserdbReply in
// order, and ends when the client closes, stays silent longer than the
// client timeout (ipc_timeout), or sends anything malformed (logged as a
// warning, that connection dropped; authd goes on serving everyone else).
// A client that sends requests without reading the replies is paused until
// it catches up, so memory stays bounded.
//
// Clients keep their connection open between lookups, so an authd told to
// stop (SIGTERM from master at reload or shutdown) closes every connection
// once its replies are written; clients reconnect to the next authd.
#pragma once

#include <chrono>
#include <memory>
#include <set>

#include "lib/event_loop.h"
#include "lib/server.h"

struct event_base;

namespace posthorn::auth {

class Userdb;
class UserdbSession;

class UserdbServer {
 public:
  UserdbServer(Userdb& userdb, std::chrono::seconds clientTimeout);
  ~UserdbServer();
  UserdbServer(const UserdbServer&) = delete;
  UserdbServer& operator=(const UserdbServer&) = delete;

  // Watches SIGTERM and SIGINT on `base` and then calls stop(). Call once
  // the loop exists (postJail).
  void stopOnSignals(event_base* base);

  // Starts serving an accepted connection on `base`; the session owns
  // conn.fd and calls conn.done() when it ends.
  void serve(event_base* base, server::Connection conn);

  // Ends every session as soon as its pending replies are written.
  void stop();

  // Sessions call these.
  Userdb& userdb() { return userdb_; }
  void forget(UserdbSession* session) { sessions_.erase(session); }

 private:
  Userdb& userdb_;
  std::chrono::seconds clientTimeout_;
  std::set<UserdbSession*> sessions_;
  bool stopping_ = false;
  std::unique_ptr<loop::Event> sigterm_;
  std::unique_ptr<loop::Event> sigint_;
};

}  // namespace posthorn::auth
