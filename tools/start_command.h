// start_command - `posthorn start | start-fg | stop | reload | status`
//
//   posthorn [-c DIR] [-v] start      start master in the background; returns
//                                     once it runs (0) or failed (1)
//   posthorn [-c DIR] [-v] start-fg   run master in the foreground (exec),
//                                     logging to stderr too
//   posthorn [-c DIR] stop            SIGTERM to master; waits up to 10 s
//   posthorn [-c DIR] reload          SIGHUP to master
//   posthorn [-c DIR] status          "the mail system is running: PID: N";
//                                     exit 1 when it is not running
//
// The running master is the process that holds the lock on
// $queue_directory/$process_id_directory/master.pid (lib/server/pid_lock.h), so
// a stale pid file never names a live process. The master program is
// $daemon_directory/master. See posthorn(1).
#pragma once

#include <iostream>
#include <string>
#include <vector>

namespace posthorn::tools {

// Options shared by the lifecycle commands (what `posthorn` passed down).
struct LifecycleOptions {
  std::string configDir;  // empty = config::defaultConfigDir()
  bool verbose = false;
};

// `command` is one of start, start-fg, stop, reload, status; args are what
// followed it (-c DIR and -v are accepted there too). Returns the exit
// status (start-fg returns only when it could not exec master).
int runLifecycle(const std::string& command, const std::vector<std::string>& args,
                 std::ostream& out = std::cout, std::ostream& err = std::cerr);

// The commands runLifecycle knows.
bool isLifecycleCommand(const std::string& command);

// How long `stop` waits for master to exit.
inline constexpr int kStopWaitSeconds = 10;

}  // namespace posthorn::tools
