// server - the skeleton every worker daemon runs on
//
// master fork+execs a worker as
//   DAEMON -n SERVICE -t inet|unix -c CONFIG_DIR [-v] [-o name=value ...] [args...]
// with the service's listening socket on fd kListenFd and the write end of
// the service's status pipe on fd kStatusFd. Every other inherited fd is
// closed at start. The worker then:
//   1. loads posthorn.conf (+ the -o overrides) and runs preJail (root-only
//      reads: TLS keys, tables that are not proxied);
//   2. chroots to `chroot` (when non-empty) and drops to `user` (when
//      non-empty): a network-facing worker refuses to go on as root;
//   3. runs postJail, then a libevent loop that accepts connections on the
//      listener and calls onConnection for each, up to clientLimit at once;
//   4. exits after maxUse connections have been served (0 = no limit) or after
//      maxIdle with no client, so leaks and compromises do not persist.
//
// Status protocol (master/worker): the worker writes a WorkerStatus record
// to kStatusFd: Available when it waits for a client, Busy while it has
// clientLimit clients. master starts another worker only when the listener
// is readable, no worker is Available, and fewer than maxproc run (the
// Postfix model). The record is fixed-size and smaller than PIPE_BUF, so
// writes from many workers never interleave.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

#include "lib/config.h"

struct event_base;

namespace posthorn::server {

inline constexpr int kListenFd = 3;
inline constexpr int kStatusFd = 4;

enum class WorkerState : std::uint8_t { Available = 'A', Busy = 'B' };

struct WorkerStatus {
  pid_t pid;
  WorkerState state;
};

// What master told the worker on its command line.
struct Options {
  std::string program;      // basename of argv[0]
  std::string service;      // -n: the master.conf service name
  std::string transport;    // -t: "inet" or "unix"
  std::string configDir;    // -c
  bool verbose = false;     // -v
  std::map<std::string, std::string> overrides;  // -o name=value
  std::vector<std::string> args;                 // what follows the options

  // Throws config::ConfigError (as usage text) on unknown options.
  static Options fromArgv(int argc, char** argv);
};

// A connection accepted on the listener; the handler owns `fd` and must
// call done() exactly once when the client is finished, so that the worker
// can count it for maxUse/clientLimit.
struct Connection {
  int fd;
  std::string peer;  // "127.0.0.1:43210", "[::1]:43210" or "local"
  std::function<void()> done;
};

struct WorkerSettings {
  std::function<void()> preJail;   // root-only reads
  std::string chroot;              // empty = none
  std::string user;                // empty = stay as is (only when not root)
  bool networkFacing = true;       // refuses to run as root after the jail step
  std::function<void()> postJail;
  int clientLimit = 100;           // at once
  int maxUse = 100;                // connections, then exit; 0 = unlimited
  std::chrono::seconds maxIdle{100};
};

class Worker {
 public:
  // Loads configuration, sets up logging for `options.program`.
  explicit Worker(const Options& options);
  ~Worker();

  const config::Config& config() const { return config_; }
  // The loop, valid once run() has started (postJail and onConnection may
  // add events to it).
  event_base* eventBase() const { return base_; }

  // Runs the steps above; returns the process exit status.
  int run(const WorkerSettings& settings,
          const std::function<void(Connection)>& onConnection);

 private:
  Options options_;
  config::Config config_;
  event_base* base_ = nullptr;
};

}  // namespace posthorn::server
