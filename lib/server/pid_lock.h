// pid_lock - the lock that makes one master per queue directory
//
// master holds a POSIX record lock (fcntl F_SETLK) on
// $queue_directory/pid/master.pid (process_id_directory) for its whole life and writes its pid
// into the file. A second master on the same queue directory finds the lock
// taken and refuses to start. Commands (`posthorn status`, `stop`) ask the
// kernel who holds the lock (F_GETLK) instead of trusting the file's text,
// so a stale pid file left by a crash never names a live process.
//
// fcntl locks belong to the process and vanish when it closes ANY fd on the
// file: master opens the file exactly once and keeps that fd (close-on-exec)
// until it exits. Workers do not inherit the lock.
#pragma once

#include <optional>
#include <string>
#include <sys/types.h>

#include "lib/config/config.h"

namespace posthorn::server {

class PidLock {
 public:
  // The pid file: $queue_directory/$process_id_directory/master.pid
  // (process_id_directory may also be absolute).
  static std::string pathFor(const config::Config& cfg);
  static std::string pidDirectory(const config::Config& cfg);

  // Opens (creating) `path`, takes the lock and writes the calling process's
  // pid. Throws std::runtime_error naming the file and, when another process
  // holds the lock, that process's pid.
  explicit PidLock(std::string path);
  ~PidLock();
  PidLock(const PidLock&) = delete;
  PidLock& operator=(const PidLock&) = delete;

  const std::string& path() const { return path_; }

  // Empties the file (the lock is kept until the process exits).
  void clear();

  // The pid of the process that holds the lock on `path`, or nullopt when
  // the file is missing or not locked. Never takes the lock itself. For
  // commands only: it opens and closes the file, which would drop the lock
  // if the holder itself called it.
  static std::optional<pid_t> holder(const std::string& path);

 private:
  std::string path_;
  int fd_ = -1;
};

}  // namespace posthorn::server
