// master - the master daemon's event loop: services, signals, reload, stop
//
// Master owns the running Services, the log service (lib/log/log_sink.h) when
// maillog_file is set, and the signal events:
//   SIGCHLD  reap workers, hand each exit to its service;
//   SIGHUP   reload: re-read posthorn.conf and master.conf, open new
//            services, retire removed or changed ones (their listeners close,
//            their workers get SIGTERM and finish their clients), keep the
//            unchanged ones with their listeners and workers; reopen
//            maillog_file (log rotation);
//   SIGTERM, SIGINT  stop: close every listener, SIGTERM every worker,
//            SIGKILL what is left after kKillAfter, return once all are
//            reaped (or kGiveUpAfter has passed).
// A reload that finds an error in either file logs it and keeps running
// with the old table.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

#include "lib/config/config.h"
#include "lib/util/event_loop.h"
#include "lib/log/log_sink.h"
#include "master/service.h"
#include "master/service_table.h"

namespace posthorn::master {

inline constexpr std::chrono::milliseconds kKillAfter{4000};
inline constexpr std::chrono::milliseconds kGiveUpAfter{4800};

class Master {
 public:
  struct Options {
    std::string configDir;
    bool verbose = false;
  };

  // `cfg` is the loaded posthorn.conf; `sink` the log service (may be null).
  Master(Options options, config::Config cfg, std::unique_ptr<log::LogSink> sink);
  ~Master();

  // Reads master.conf, binds every service. Throws std::runtime_error on the
  // first problem (at start, master refuses to run with a broken table).
  void openServices();

  // Runs until SIGTERM/SIGINT and the end of the shutdown; returns the signal
  // that stopped master.
  int run();

 private:
  void reap();
  void reload();
  void beginShutdown(int sig);
  void checkShutdownDone();
  void dropRetired();
  std::chrono::seconds maxThrottle() const;
  std::unique_ptr<Service> makeService(ServiceSpec spec);

  Options options_;
  config::Config cfg_;
  std::unique_ptr<log::LogSink> sink_;
  loop::Base base_;
  std::vector<std::unique_ptr<Service>> services_;
  std::vector<std::unique_ptr<Service>> retired_;
  std::map<pid_t, Service*> pids_;

  std::vector<std::unique_ptr<loop::Event>> signals_;
  std::unique_ptr<loop::Event> killTimer_;
  std::unique_ptr<loop::Event> giveUpTimer_;
  bool stopping_ = false;
  int stopSignal_ = 0;
};

}  // namespace posthorn::master
