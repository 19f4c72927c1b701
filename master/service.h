// service - one master.conf service at run time
//
// A Service owns its listening sockets, its status pipe and the set of its
// worker processes, and decides when to start one (the Postfix model, see
// lib/server/server.h): a listener is watched only while no worker waiting on it
// is Available, fewer than maxproc workers run and the service is not
// throttled; when it becomes readable one worker is started for it and
// counts as Available until it says otherwise. Each worker serves one
// listener (it gets that socket as fd 3), so a service bound to 0.0.0.0 and
// :: has workers for each; maxproc counts them all.
//
// A worker that exits abnormally (a signal, or a non-zero status) throttles
// the service: no new worker for 1 s at first, doubled after every further
// abnormal exit up to service_throttle_time (60 s), back to 1 s after a
// normal exit. Exits that master caused (SIGTERM at reload or shutdown) are
// not abnormal. Workers keep serving meanwhile; clients wait in
// the listen queue.
//
// A unix service with a wakeup time gets a trigger every wakeupSeconds: a
// connection to its own socket carrying the single byte 'W' (as Postfix's
// triggers do), which starts a worker when none is waiting.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

#include "lib/util/event_loop.h"
#include "lib/server/server.h"
#include "master/listener.h"
#include "master/service_table.h"

namespace posthorn::master {

class Service {
 public:
  // Called after every fork with the new worker's pid, so master can route
  // its exit status back here.
  using SpawnHook = std::function<void(pid_t, Service*)>;

  Service(event_base* base, ServiceSpec spec, std::chrono::seconds maxThrottle,
          SpawnHook onSpawn);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  const ServiceSpec& spec() const { return spec_; }

  // Binds every listener (or takes out of `pool` one already bound to the
  // same address) and makes the status pipe. Throws std::runtime_error; on
  // failure nothing stays open. An implicit IPv6 address on a host without
  // IPv6 is skipped with a warning.
  void open(std::vector<Listener>* pool = nullptr);
  // Starts watching the listeners and the wakeup timer.
  void start();

  // Closes the listeners (handing them back when `keep` is set, for a
  // successor with the same addresses) and sends SIGTERM to every worker;
  // the object must live until workerCount() is 0 (the workers finish their
  // clients, then exit).
  std::vector<Listener> retire(bool keep = false);
  bool retired() const { return retired_; }

  // Sends `sig` to every worker (master shutdown).
  void signalWorkers(int sig);
  std::size_t workerCount() const { return workers_.size(); }

  // master reaped one of this service's workers.
  void workerExited(pid_t pid, int status, bool shuttingDown);

 private:
  struct Slot {
    Listener listener;
    std::unique_ptr<loop::Event> event;
    bool watching = false;
  };
  struct WorkerProc {
    std::size_t slot = 0;
    server::WorkerState state = server::WorkerState::Available;
    bool terminating = false;  // master sent SIGTERM: its exit is expected
    std::chrono::steady_clock::time_point started;
  };

  std::size_t availableOn(std::size_t slot) const;
  bool atLimit() const;
  void updateWatching();
  void onReadable(std::size_t slot);
  void spawn(std::size_t slot);
  void readStatus();
  void throttle();
  void wakeup();

  event_base* base_;
  ServiceSpec spec_;
  std::chrono::seconds maxThrottle_;
  SpawnHook onSpawn_;

  std::vector<Slot> slots_;
  int statusRead_ = -1;
  int statusWrite_ = -1;
  std::unique_ptr<loop::Event> statusEvent_;
  std::unique_ptr<loop::Event> throttleTimer_;
  std::unique_ptr<loop::Event> wakeupTimer_;

  std::map<pid_t, WorkerProc> workers_;
  bool retired_ = false;
  bool throttled_ = false;
  bool used_ = false;
  std::chrono::seconds throttleDelay_{1};
};

}  // namespace posthorn::master
