// request_server - the request/reply loop of a private ipc service
//
// mapd and both sides of authd answer each request frame with exactly one
// reply frame, in order, from a libevent loop: one session per client, any
// number of requests per session, bounded output (a client that does not
// read its replies is paused), per-read/write timeouts, and a stop that
// lets every session write the replies already made. What a request means
// is the service's: a stateless service gives one `Answer` for every
// request of every client,
//
//   server::RequestServer requests(
//       [&](const ipc::Frame& f, const std::string& peer) { return ipc::encodeFrame(...); },
//       std::chrono::seconds(60));
//   requests.stopOnSignals(worker.eventBase());
//   worker.run(jail, [&](server::Connection c) { requests.serve(worker.eventBase(), std::move(c)); });
//
// and a service that keeps state per client (authd's SASL conversations)
// gives a RequestHandler per session instead. A handler may hold a reply
// back (RequestReply::delay, authd's failure delay): it is sent from a
// timer, never by sleeping, so other clients are served meanwhile, and that
// client's next request waits until it is written.
//
// A reply is the whole frame (ipc::encodeFrame). A request the service
// cannot decode throws ipc::ProtocolError, which drops that client with a
// warning; the service goes on serving everyone else.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "lib/ipc/ipc.h"
#include "lib/server/server.h"
#include "lib/util/event_loop.h"

struct event_base;

namespace posthorn::server {

class RequestSession;

// One request's reply: a whole frame, sent at once or after `delay`.
struct RequestReply {
  std::string frame;
  std::chrono::milliseconds delay{0};
};

// One client's requests, one at a time and in order; state kept here lives
// as long as the client's connection.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  // Throws ipc::ProtocolError for a request it cannot take.
  virtual RequestReply answer(const ipc::Frame& request) = 0;
};

class RequestServer {
 public:
  // The answer of a stateless service: the reply frame, sent at once.
  using Answer = std::function<std::string(const ipc::Frame& request, const std::string& peer)>;
  // A handler for each new client (peer: "local", ...).
  using NewHandler = std::function<std::unique_ptr<RequestHandler>(const std::string& peer)>;

  RequestServer(Answer answer, std::chrono::seconds clientTimeout);
  RequestServer(NewHandler newHandler, std::chrono::seconds clientTimeout);
  ~RequestServer();
  RequestServer(const RequestServer&) = delete;
  RequestServer& operator=(const RequestServer&) = delete;

  // Watches SIGTERM and SIGINT on `base` and then calls stop(). Call once
  // the loop exists (postJail).
  void stopOnSignals(event_base* base);
  // Starts serving an accepted connection on `base`; the session owns
  // conn.fd and calls conn.done() when it ends.
  void serve(event_base* base, Connection conn);
  // Ends every session as soon as its pending replies (held ones too) are
  // written.
  void stop();

  // Sessions call this when they end.
  void forget(RequestSession* session) { sessions_.erase(session); }

 private:
  NewHandler newHandler_;
  std::chrono::seconds clientTimeout_;
  std::set<RequestSession*> sessions_;
  bool stopping_ = false;
  std::unique_ptr<loop::Event> sigterm_;
  std::unique_ptr<loop::Event> sigint_;
};

}  // namespace posthorn::server
