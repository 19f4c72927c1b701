// map_server - mapd's connections: a stream of lookups per client
//
// Each accepted connection gets a session on the worker's libevent loop
// (server::RequestServer). A session reads MapLookupRequest frames,
// answers each with one MapLookupReply in order, and ends when the client
// closes, stays silent longer than the client timeout, or sends anything
// malformed (logged as a warning; mapd goes on serving everyone else). A
// client that sends requests without reading the replies is paused until
// it catches up, so memory stays bounded.
//
// Clients keep their connection open between lookups, so a mapd that is
// told to stop (SIGTERM from master at reload or shutdown) closes every
// connection once its replies are written instead of waiting for clients
// to leave; clients reconnect to the next mapd by themselves.
#pragma once

#include <chrono>
#include <utility>

#include "lib/server/request_server.h"
#include "lib/server/server.h"

struct event_base;

namespace posthorn::mapd {

class TableCache;

class MapServer {
 public:
  MapServer(TableCache& tables, std::chrono::seconds clientTimeout);
  MapServer(const MapServer&) = delete;
  MapServer& operator=(const MapServer&) = delete;

  // Watches SIGTERM and SIGINT on `base` and then calls stop(). Call once
  // the loop exists (postJail).
  void stopOnSignals(event_base* base) { requests_.stopOnSignals(base); }

  // Starts serving an accepted connection on `base`; the session owns
  // conn.fd and calls conn.done() when it ends.
  void serve(event_base* base, server::Connection conn) {
    requests_.serve(base, std::move(conn));
  }

  // Ends every session as soon as its pending replies are written.
  void stop() { requests_.stop(); }

 private:
  server::RequestServer requests_;
};

}  // namespace posthorn::mapd
