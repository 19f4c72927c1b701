// map_server - mapd's connections: a stream of lookups per client
//
// Each accepted connection gets a session on the worker's libevent loop.
// A session reads MapLookupRequest frames, answers each with one
// MapLookupReply in order, and ends when the client closes, stays silent
// longer than the client timeout, or sends anything malformed (logged as a
// warning; mapd goes on serving everyone else). A client that sends
// requests without reading the replies is paused until it catches up, so
// memory stays bounded.
//
// Clients keep their connection open between lookups, so a mapd that is
// told to stop (SIGTERM from master at reload or shutdown) closes every
// connection once its replies are written instead of waiting for clients
// to leave; clients reconnect to the next mapd by themselves.
#pragma once

#include <chrono>
#include <memory>
#include <set>

#include "lib/event_loop.h"
#include "lib/server.h"

struct event_base;

namespace posthorn::mapd {

class TableCache;
class MapSession;

class MapServer {
 public:
  MapServer(TableCache& tables, std::chrono::seconds clientTimeout);
  ~MapServer();
  MapServer(const MapServer&) = delete;
  MapServer& operator=(const MapServer&) = delete;

  // Watches SIGTERM and SIGINT on `base` and then calls stop(). Call once
  // the loop exists (postJail).
  void stopOnSignals(event_base* base);

  // Starts serving an accepted connection on `base`; the session owns
  // conn.fd and calls conn.done() when it ends.
  void serve(event_base* base, server::Connection conn);

  // Ends every session as soon as its pending replies are written.
  void stop();

  // Sessions call these.
  TableCache& tables() { return tables_; }
  void forget(MapSession* session) { sessions_.erase(session); }

 private:
  TableCache& tables_;
  std::chrono::seconds clientTimeout_;
  std::set<MapSession*> sessions_;
  bool stopping_ = false;
  std::unique_ptr<loop::Event> sigterm_;
  std::unique_ptr<loop::Event> sigint_;
};

}  // namespace posthorn::mapd
