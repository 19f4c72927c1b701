// event_loop - RAII owners for libevent's event_base and event
#include "lib/util/event_loop.h"

#include <event2/event.h>
#include <stdexcept>

namespace posthorn::loop {

static_assert(kTimeout == EV_TIMEOUT && kRead == EV_READ && kWrite == EV_WRITE &&
              kSignal == EV_SIGNAL && kPersist == EV_PERSIST);

void BaseDeleter::operator()(event_base* base) const {
  if (base != nullptr) event_base_free(base);
}

Base newBase() {
  event_base* base = event_base_new();
  if (base == nullptr) throw std::runtime_error("cannot create an event loop (event_base_new)");
  return Base(base);
}

Event::Event(event_base* base, int fd, short what, Callback callback)
    : callback_(std::move(callback)) {
  ev_ = event_new(base, fd, what, &Event::trampoline, this);
  if (ev_ == nullptr) throw std::runtime_error("cannot create an event (event_new)");
}

Event::~Event() {
  if (ev_ != nullptr) event_free(ev_);
}

void Event::add(std::optional<std::chrono::milliseconds> timeout) {
  int rc;
  if (timeout) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(timeout->count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((timeout->count() % 1000) * 1000);
    rc = event_add(ev_, &tv);
  } else {
    rc = event_add(ev_, nullptr);
  }
  if (rc != 0) throw std::runtime_error("cannot arm an event (event_add)");
}

void Event::remove() { event_del(ev_); }

bool Event::pending() const {
  return event_pending(ev_, EV_READ | EV_WRITE | EV_SIGNAL | EV_TIMEOUT, nullptr) != 0;
}

void Event::trampoline(int fd, short what, void* self) {
  static_cast<Event*>(self)->callback_(fd, what);
}

}  // namespace posthorn::loop
