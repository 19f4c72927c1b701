// log_sink - the receiving end of master's log service
//
// master owns one LogSink when maillog_file is set: a Unix datagram socket
// at $queue_directory/private/log (mode 0622; the private/ directory keeps
// strangers out) on which every worker sends its lines as LogRecord
// datagrams (proto_log.h). For each datagram the sink checks the frame,
// stamps the time and host, and appends one line to maillog_file, which it
// holds open with O_APPEND. The sender's pid is taken from the kernel
// (SO_PASSCRED) rather than believed, so a worker cannot log as another.
//
// A malformed datagram (not exactly one LogRecord frame, an unknown level,
// an empty program) is dropped and counted; the first one is reported as a
// warning through this process's own log, later ones at most once a minute
// with the count, so that a broken or hostile sender cannot flood the log.
//
// master's own lines go to the same file through log::init() in direct mode
// (maillogFile set, logServiceSocket empty); reopen() reopens both after a
// log rotation (master calls it on SIGHUP).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

struct event_base;

namespace posthorn::loop {
class Event;
}

namespace posthorn::log {

class LogSink {
 public:
  // Binds the socket (a stale socket file at the path is replaced) and
  // opens the file (created mode 0640 when missing). Throws
  // std::system_error naming the path on failure. `hostname` goes into
  // every line; empty = gethostname().
  LogSink(std::string socketPath, std::string maillogFile, std::string hostname = "");
  // Closes the socket and removes its file.
  ~LogSink();
  LogSink(const LogSink&) = delete;
  LogSink& operator=(const LogSink&) = delete;

  int fd() const { return fd_; }
  const std::string& socketPath() const { return socketPath_; }

  // Reads the datagrams that are waiting (never blocks) and appends one line
  // for each good one; returns how many lines were written.
  std::size_t drain();

  // Calls drain() from `base` whenever the socket is readable.
  void attach(event_base* base);

  // Reopens maillog_file here and for this process's own lines (log::reopen).
  void reopen();

  std::uint64_t received() const { return received_; }    // datagrams read
  std::uint64_t written() const { return written_; }      // lines appended
  std::uint64_t malformed() const { return malformed_; }  // dropped as bad

 private:
  void openFile();
  bool handleDatagram(const char* data, std::size_t size, bool truncated, long credPid);
  void reportMalformed(const std::string& why);

  std::string socketPath_;
  std::string maillogFile_;
  std::string hostname_;
  int fd_ = -1;
  int fileFd_ = -1;
  std::uint64_t received_ = 0;
  std::uint64_t written_ = 0;
  std::uint64_t malformed_ = 0;
  std::uint64_t malformedReported_ = 0;
  std::chrono::steady_clock::time_point lastReport_{};
  std::unique_ptr<loop::Event> event_;
};

}  // namespace posthorn::log
