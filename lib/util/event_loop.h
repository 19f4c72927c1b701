// event_loop - small RAII owners for libevent's event_base and event
//
// loop::Base owns an event_base; loop::Event owns one event whose callback
// is a std::function. An Event does not move (libevent keeps its address),
// so hold it in a std::unique_ptr when it must travel. A callback must not
// destroy the Event that is running it (defer that to another event).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

struct event_base;
struct event;

namespace posthorn::loop {

struct BaseDeleter {
  void operator()(event_base* base) const;
};
using Base = std::unique_ptr<event_base, BaseDeleter>;

// A new event_base; throws std::runtime_error when libevent cannot make one.
Base newBase();

// What an Event waits for (libevent's EV_* bits, spelled out here so that
// callers need not include <event2/event.h>).
inline constexpr short kTimeout = 0x01;
inline constexpr short kRead = 0x02;
inline constexpr short kWrite = 0x04;
inline constexpr short kSignal = 0x08;
inline constexpr short kPersist = 0x10;

class Event {
 public:
  using Callback = std::function<void(int fd, short what)>;

  // fd -1 with no kRead/kWrite makes a timer; kSignal with fd = the signal
  // number makes a signal event. Throws std::runtime_error on failure.
  Event(event_base* base, int fd, short what, Callback callback);
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;

  // Arms the event, with an optional timeout (for a timer: when it fires).
  void add(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  // Disarms it; harmless when it is not armed.
  void remove();
  bool pending() const;

 private:
  static void trampoline(int fd, short what, void* self);
  event* ev_ = nullptr;
  Callback callback_;
};

}  // namespace posthorn::loop
