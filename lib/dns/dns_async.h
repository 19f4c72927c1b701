// dns_async - the resolver driven by a libevent loop
//
// Questions go to libunbound at once; its thread answers through
// Resolver::fd(), which this watches; each question has its own deadline
// (the resolver's timeout x attempts), after which it is cancelled and its
// callback gets a TempFail "timeout". Nothing here blocks the loop.
//
//   dns::EventResolver dns(worker.eventBase(), resolver);   // after the loop exists
//   dns.query("mail.example.com", dns::RrType::A, [](dns::QueryResult r) { ... });
//
// Callbacks run from the loop, once each, except for a name that is not a
// name: its callback runs at once, from query(), which returns -1. After
// cancel(id), or once the EventResolver is gone, a callback never runs.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <memory>
#include <string_view>
#include <vector>

#include "lib/dns/dns_resolver.h"
#include "lib/util/event_loop.h"

namespace posthorn::dns {

class EventResolver {
 public:
  EventResolver(event_base* base, Resolver& resolver);
  ~EventResolver();
  EventResolver(const EventResolver&) = delete;
  EventResolver& operator=(const EventResolver&) = delete;

  using Callback = Resolver::Callback;
  int query(std::string_view name, RrType type, Callback callback);
  void cancel(int id);
  std::size_t outstanding() const { return questions_.size(); }

 private:
  struct Question {
    int resolverId = -1;
    std::string what;  // " for name=... type=...", for the timeout's message
    Callback callback;
    std::unique_ptr<loop::Event> deadline;
  };
  void answered(int id, QueryResult result);
  void expired(int id);

  event_base* base_;
  Resolver& resolver_;
  loop::Event readable_;
  std::map<int, Question> questions_;
  // A deadline whose callback is running cannot be freed there: kept
  // until the next deadline fires or the end.
  std::vector<std::unique_ptr<loop::Event>> spent_;
  int next_ = 1;
};

}  // namespace posthorn::dns
