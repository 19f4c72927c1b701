// request_server - the request/reply loop of a private ipc service
//
// mapd and authd's userdb side answer each request frame with exactly one
// reply frame, in order, from a libevent loop: one session per client,
// any number of requests per session, bounded output (a client that does
// not read its replies is paused), per-read/write timeouts, and a stop that
// lets every session write the replies already made. What a request means
// is the service's `answer`:
//
//   server::RequestServer requests(
//       [&](const ipc::Frame& f, const std::string& peer) { return replyFrameBytes(...); },
//       std::chrono::seconds(60));
//   requests.stopOnSignals(worker.eventBase());
//   worker.run(jail, [&](server::Connection c) { requests.serve(worker.eventBase(), std::move(c)); });
//
// `answer` returns the whole reply frame (ipc::encodeFrame); it throws
// ipc::ProtocolError for a request it cannot decode, which drops that
// client with a log line.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "lib/util/event_loop.h"
#include "lib/ipc/ipc.h"
#include "lib/server/server.h"

struct event_base;

namespace posthorn::server {

class RequestSession;

class RequestServer {
 public:
  using Answer = std::function<std::string(const ipc::Frame& request, const std::string& peer)>;

  RequestServer(Answer answer, std::chrono::seconds clientTimeout);
  ~RequestServer();
  RequestServer(const RequestServer&) = delete;
  RequestServer& operator=(const RequestServer&) = delete;

  // Watches SIGTERM and SIGINT on `base` and then calls stop(). Call once
  // the loop exists (postJail).
  void stopOnSignals(event_base* base);
  // Starts serving an accepted connection on `base`; the session owns
  // conn.fd and calls conn.done() when it ends.
  void serve(event_base* base, Connection conn);
  // Ends every session as soon as its pending replies are written.
  void stop();

  // Sessions call these.
  std::string answer(const ipc::Frame& request, const std::string& peer) {
    return answer_(request, peer);
  }
  void forget(RequestSession* session) { sessions_.erase(session); }

 private:
  Answer answer_;
  std::chrono::seconds clientTimeout_;
  std::set<RequestSession*> sessions_;
  bool stopping_ = false;
  std::unique_ptr<loop::Event> sigterm_;
  std::unique_ptr<loop::Event> sigint_;
};

}  // namespace posthorn::server
