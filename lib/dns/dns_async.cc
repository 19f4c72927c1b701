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
  const int id = next_++;
  // The question is registered first, so that an answer always finds it;
  // start() answers at once (and returns -1) only for a name that is not
  // a name.
  Question& q = questions_[id];
  q.what = " for name=" + std::string(name) + " type=" + rrTypeName(type);
  q.callback = std::move(callback);
  const int resolverId = resolver_.start(name, type, [this, id](QueryResult r) { answered(id, std::move(r)); });
  if (resolverId < 0) return -1;  // answered (and erased) already
  q.resolverId = resolverId;
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
  spent_.clear();  // earlier deadlines, whose callbacks are over
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
