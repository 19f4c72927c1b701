// greylist_server - the policy delegation protocol's server side, for greylist(8)
//
// Postfix's protocol (SMTPD_POLICY_README): a client writes `name=value`
// lines and an empty line; the server answers `action=...` and an empty
// line, and the client may go on with its next request on the same
// connection. Each connection is served from the worker's event loop, so
// one process serves every smtpd at once. A request larger than
// kMaxRequest, or a line without `=`, drops that client with a warning.
//
//   greylist::PolicyServer server([&](const Attributes& a) { return grey.decide(a, now()); });
//   worker.run(jail, [&](server::Connection c) { server.serve(worker.eventBase(), std::move(c)); });
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "lib/server/server.h"

struct event_base;

namespace posthorn::greylist {

using Attributes = std::map<std::string, std::string>;

inline constexpr std::size_t kMaxRequest = 64 * 1024;

class PolicySession;

class PolicyServer {
 public:
  // The action for one request (the text after "action=").
  using Decide = std::function<std::string(const Attributes&)>;

  explicit PolicyServer(Decide decide) : decide_(std::move(decide)) {}
  ~PolicyServer();

  void serve(event_base* base, server::Connection conn);
  // Ends every session (SIGTERM).
  void stop();

  // Feeds bytes of a request stream; returns the replies for every
  // complete request in `buffer` and removes them from it. Throws
  // std::runtime_error for a malformed or oversized request.
  std::string answer(std::string& buffer) const;

 private:
  friend class PolicySession;
  void ended(PolicySession* session);

  Decide decide_;
  std::set<PolicySession*> sessions_;
};

}  // namespace posthorn::greylist
