// log - the mail log, in Postfix's line format
//
// Lines read "posthorn/smtpd[1234]: 4Xb2kQ1z7TzA: from=<a@b>, size=312, nrcpt=1"
// so that pflogsumm and fail2ban read them unchanged. The prefix is
// syslog_name + "/" + the program name, as Postfix does.
//
// Destinations, chosen once at start:
//  - syslog, facility LOG_MAIL (the default);
//  - maillog_file: a worker sends each line to master's log service over a
//    Unix datagram socket (proto_log.h), because a chrooted worker cannot
//    open the file; master (or a process that is not chrooted) appends it;
//  - stderr too, when the process runs in the foreground.
#pragma once

#include <cstdarg>
#include <string>
#include <string_view>

namespace posthorn::log {

enum class Level { Debug, Info, Warning, Error, Fatal };

struct Options {
  std::string syslogName = "posthorn";  // syslog_name
  std::string program;                  // "smtpd", "master", ...
  std::string maillogFile;              // maillog_file; empty = syslog
  std::string logServiceSocket;         // path of master's log socket (maillog_file mode)
  bool alsoStderr = false;              // foreground
  bool debug = false;                   // emit Debug lines
};

// Call once, before the first line; again after chroot to re-point the log
// socket path (it is then relative to the new root).
void init(const Options& options);

// printf-style; one line each, no trailing newline needed.
void debug(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Logs and exits the process with status 1 (a delivery agent's fatal error
// means "try again later" to its caller, never "drop the mail").
[[noreturn]] void fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

void write(Level level, std::string_view line);

// The full line as it is written to maillog_file:
// "Nov 23 12:09:01 host posthorn/smtpd[1234]: text".
std::string formatFileLine(std::string_view text);

}  // namespace posthorn::log
