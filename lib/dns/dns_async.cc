// dns_async - libunbound's descriptor and per-question deadlines in a libevent loop
#include "lib/dns/dns_async.h"

#include <algorithm>
#include <string>

namespace posthorn::dns {

EventResolver::EventResolver(event_base* base, Resolver& resolver)
    : base_(base),
      resolver_(resolver),
      readable_(base, resolver.fd(), loop::kRead | loop::kPersist, [this](int, short) { resolver_.process(); }) {
  readable_.add();
}

EventResolver::~EventResolver() {
  for (auto& [id, q] : questions_) resolver_.cancel(q.resolverId);
}

int EventResolver::query(std::string_view name, RrType type, Callback callback) {
  spent_.clear();
  const int id = next_++;
  bool refused = false;
  // The references to refused and callback are used only when start()
  // calls back at once; a later answer finds its question in questions_.
  const int resolverId = resolver_.start(name, type, [this, id, &refused, &callback](QueryResult r) {
    if (questions_.count(id) == 0) {  // from start() itself: a name that is not a name
      refused = true;
      callback(std::move(r));
      return;
    }
    answered(id, std::move(r));
  });
  if (refused || resolverId < 0) return -1;
  Question& q = questions_[id];
  q.resolverId = resolverId;
  q.what = " for name=" + std::string(name) + " type=" + rrTypeName(type);
  q.callback = std::move(callback);
  q.deadline = std::make_unique<loop::Event>(base_, -1, loop::kTimeout, [this, id](int, short) { expired(id); });
  const auto& rc = resolver_.config();
  q.deadline->add(rc.timeout * std::max(1, rc.attempts));
  return id;
}

void EventResolver::cancel(int id) {
  const auto it = questions_.find(id);
  if (it == questions_.end()) return;
  resolver_.cancel(it->second.resolverId);
  questions_.erase(it);
}

void EventResolver::answered(int id, QueryResult result) {
  const auto it = questions_.find(id);
  if (it == questions_.end()) return;
  Callback callback = std::move(it->second.callback);
  questions_.erase(it);
  callback(std::move(result));
}

void EventResolver::expired(int id) {
  const auto it = questions_.find(id);
  if (it == questions_.end()) return;
  resolver_.cancel(it->second.resolverId);
  Callback callback = std::move(it->second.callback);
  const std::string what = std::move(it->second.what);
  spent_.push_back(std::move(it->second.deadline));
  questions_.erase(it);
  const auto& rc = resolver_.config();
  QueryResult r;
  r.status = Status::TempFail;
  r.error = "name service error" + what + ": timeout after " +
            std::to_string((rc.timeout * std::max(1, rc.attempts)).count()) + "ms";
  callback(std::move(r));
}

}  // namespace posthorn::dns
