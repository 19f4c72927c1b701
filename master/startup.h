// startup - what master does before it serves
//
//   master [-c CONFIG_DIR] [-f] [-w] [-v]
//
// -f  foreground: log to stderr as well (`posthorn start-fg`).
// -w  wait mode (`posthorn start`): a foreground process forks the real
//     master, which detaches (setsid, stdio on /dev/null) once it is ready;
//     the foreground process exits 0 when the master has taken its lock and
//     bound every listener, 1 (after the master's error on stderr) if not.
// -v  verbose: debug lines, and -v for every worker.
// Neither -f nor -w: run in the foreground without stderr logging (for a
// service manager). See master(8).
#pragma once

#include <string>

#include "lib/config/config.h"
#include "lib/log/log.h"

namespace posthorn::master {

struct Args {
  std::string configDir;
  bool foreground = false;
  bool wait = false;
  bool verbose = false;
  // Exits 2 with the usage line on a bad command line.
  static Args parse(int argc, char** argv);
};

// Reads posthorn.conf and sets up logging from it (master's lines go to
// stderr until then, and with -f afterwards too); `lo` is what it set up.
// Warnings about the file are logged.
config::Config loadConfigAndLog(const Args& args, log::Options& lo);

// A start-up error: logged, and on stderr too when the log does not go
// there (so that `posthorn start` shows it); exits 1.
[[noreturn]] void startupFatal(const std::string& why);

// Creates the queue directory tree (lib/queue/queue_dirs.h) and, when
// process_id_directory is not the standard pid/, that directory too.
// Running as root, the tree gets its owners: root for the queue directory
// and pid/, mail_owner for the rest (group setgid_group for maildrop/ and
// public/ when that group exists). Throws std::runtime_error.
void prepareQueue(const config::Config& cfg, const std::string& pidDir);

// Points stdin (and with `all`, stdout and stderr) at /dev/null.
void redirectStdio(bool all);

// -w: the foreground half. Returns only in the child (the real master),
// with the write end of the readiness pipe; the parent exits 0 once the
// child writes 'R' on it, 1 when the child exits first.
int forkForWait();

}  // namespace posthorn::master
