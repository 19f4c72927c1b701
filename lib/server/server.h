// server - the skeleton every worker daemon runs on
//
// master fork+execs a worker as
//   DAEMON -n SERVICE -t inet|unix -c CONFIG_DIR [-v] [-u y|n] [-j y|n]
//          [-o name=value ...] [args...]
// with the service's listening socket on fd kListenFd and the write end of
// the service's status pipe on fd kStatusFd. -u and -j carry master.conf's
// unpriv and chroot columns (both default to y); -o may repeat, the last
// value of a name wins. Every other inherited fd is closed at start (0-2
// are reopened on /dev/null when they were closed). The worker then:
//   1. loads posthorn.conf (+ the -o overrides), sets up logging (syslog
//      with syslog_name, or maillog_file through master's log service at
//      $queue_directory/private/log) and runs preJail (root-only reads: TLS
//      keys, tables that are not proxied);
//   2. when running as root: chroots to `chroot` (when non-empty and -j y)
//      and drops to `user` (when non-empty and -u y). A network-facing
//      worker refuses to go on as root (fatal: exit 1). When not running as
//      root (an ordinary user's test or quick start) both steps are skipped
//      with one info line saying so;
//   3. runs postJail, then a libevent loop that accepts connections on the
//      listener and calls onConnection for each, up to clientLimit at once;
//   4. exits (status 0) after maxUse connections have been served (0 = no
//      limit) or after maxIdle with no client (0 = never), so leaks and
//      compromises do not persist. SIGTERM or SIGINT stops accepting, lets
//      the current clients finish, then exits 0; so does a status write that
//      finds master gone (EPIPE).
//
// The worker tells master through kStatusFd whether it can take another
// client (lib/server/proto_status.h). It sets O_NONBLOCK on both inherited
// fds (a full status pipe drops a record rather than stalling the worker;
// accept never blocks when another worker won the race); master must not
// rely on them blocking.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <sys/types.h>
#include <vector>

#include "lib/config/config.h"
#include "lib/server/proto_status.h"

struct event_base;

namespace posthorn::server {

inline constexpr int kListenFd = 3;
inline constexpr int kStatusFd = 4;

// What master told the worker on its command line.
struct Options {
  std::string program;      // basename of argv[0]
  std::string service;      // -n: the master.conf service name
  std::string transport;    // -t: "inet" or "unix"
  std::string configDir;    // -c
  bool verbose = false;     // -v: log Debug lines
  bool unprivileged = true; // -u y|n: master.conf unpriv (n: stay root)
  bool chroot = true;       // -j y|n: master.conf chroot (n: no chroot)
  std::map<std::string, std::string> overrides;  // -o name=value
  std::vector<std::string> args;                 // what follows the options

  // Throws config::ConfigError (naming the option, then the usage text) on
  // an unknown option, a missing value or a bad -t/-u/-j/-o value. -c
  // defaults to the configured sysconfdir/mail, -n to the program name.
  static Options fromArgv(int argc, char** argv);
  static std::string usage(const std::string& program);
};

// A connection accepted on the listener; the handler owns `fd` (blocking,
// close-on-exec) and must call done() exactly once when the client is
// finished, so that the worker can count it for maxUse/clientLimit. done()
// may be called from inside onConnection or later from the event loop; a
// second call is logged and ignored. When onConnection throws before done()
// was called, the worker logs the error, closes fd and counts it done.
struct Connection {
  int fd;
  std::string peer;  // "127.0.0.1:43210", "[::1]:43210" or "local"
  std::function<void()> done;
};

// How a worker runs. Worker::defaults() fills it the usual way; a daemon
// changes what differs for it.
struct WorkerSettings {
  std::function<void()> preJail;   // root-only reads
  std::string chroot;              // empty = none
  std::string user;                // empty = stay as is (only when not root); a name
  bool networkFacing = true;       // refuses to run as root after the jail step
  std::function<void()> postJail;
  int clientLimit = 100;           // at once
  int maxUse = 0;                  // max_use: connections, then exit; 0 = unlimited
  std::chrono::seconds maxIdle{};  // max_idle; 0 = never idle out

  // The usual worker: chrooted into queue_directory, as mail_owner, with
  // max_use and max_idle from posthorn.conf, network-facing, one client at
  // a time. Throws config::ConfigError when queue_directory is empty.
  static WorkerSettings fromConfig(const config::Config& cfg);
};

class Worker {
 public:
  // Loads configuration, sets up logging for `options.program`.
  explicit Worker(const Options& options);
  ~Worker();

  const config::Config& config() const { return config_; }
  const Options& options() const { return options_; }

  // WorkerSettings::fromConfig(config()).
  WorkerSettings defaults() const { return WorkerSettings::fromConfig(config_); }

  // Whether run()'s jail step will chroot into `dir` (running as root, -j y,
  // `dir` not empty), and `dir` as this worker will see it afterwards: ""
  // when it chroots into it, `dir` itself otherwise. Paths to sockets and
  // queue folders that a daemon builds before run() start from here.
  bool chrootsInto(const std::string& dir) const;
  std::string rootAfterJail(const std::string& dir) const {
    return chrootsInto(dir) ? std::string() : dir;
  }
  // The loop, valid once run() has started (postJail and onConnection may
  // add events to it).
  event_base* eventBase() const { return base_; }

  // Runs the steps above; returns the process exit status. Call it once.
  int run(const WorkerSettings& settings,
          const std::function<void(Connection)>& onConnection);

  struct Loop;  // the running loop's state (server.cc)

 private:
  void jailStep(const WorkerSettings& settings);

  Options options_;
  config::Config config_;
  event_base* base_ = nullptr;
  std::shared_ptr<Loop> loop_;
};

}  // namespace posthorn::server
