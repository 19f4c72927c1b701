// log - the mail log, in Postfix's line format
//
// Lines read "posthorn/smtpd[1234]: 4Xb2kQ1z7TzA: from=<a@b>, size=312, nrcpt=1"
// so that pflogsumm and fail2ban read them unchanged. The prefix (the tag) is
// syslog_name + "/" + the program name, as Postfix does. Warning, error and
// fatal lines carry Postfix's severity prefix in their text ("warning: ",
// "error: ", "fatal: "); info and debug lines have none.
//
// Destinations, chosen by init():
//  - syslog, facility LOG_MAIL (maillogFile empty; the default). The
//    /dev/log socket is opened at init (LOG_NDELAY) so it survives chroot;
//  - maillog_file through master's log service (maillogFile and
//    logServiceSocket both set): each line is one LogRecord datagram
//    (proto_log.h) on a Unix datagram socket connected at init, before any
//    chroot, and kept. master (log_sink.h) appends it to the file;
//  - maillog_file directly (maillogFile set, logServiceSocket empty): the
//    process appends to the file itself (master, unchrooted root commands);
//  - stderr too, as "posthorn/smtpd: text", when alsoStderr is set (a
//    process in the foreground).
// When the log service cannot be reached, or the file cannot be opened,
// lines go to stderr instead; logging never blocks for long (a send waits at
// most kSendTimeout) and never throws or crashes the caller.
//
// Text is sanitised before it is written anywhere: every ASCII control
// character (a CR or LF injected by a peer, an escape sequence) becomes '?',
// and a line is cut at kMaxLineLength bytes (on a UTF-8 boundary, marked
// with "...").
//
// The functions are thread-safe. The state is per process (one log per
// process, as syslog has).
#pragma once

#include <chrono>
#include <cstdarg>
#include <cstddef>
#include <ctime>
#include <string>
#include <string_view>

namespace posthorn::log {

enum class Level { Debug, Info, Warning, Error, Fatal };

// The longest line written to maillog_file, without its newline.
inline constexpr std::size_t kMaxLineLength = 2048;
// How long a line may wait for master's log service before it goes to
// stderr instead.
inline constexpr std::chrono::milliseconds kSendTimeout{2000};

struct Options {
  std::string syslogName = "posthorn";  // syslog_name
  std::string program;                  // "smtpd", "master", ...
  std::string maillogFile;              // maillog_file; empty = syslog
  std::string logServiceSocket;         // path of master's log socket (maillog_file mode)
  std::string hostname;                 // for direct file lines; empty = gethostname()
  bool alsoStderr = false;              // foreground
  bool debug = false;                   // emit Debug lines
};

// Call once, before the first line. Calling it again replaces the previous
// destination (and closes it). Before init, lines go to stderr.
void init(const Options& options);

// After chroot(root): the log service socket path, when it lies under
// `root`, is rewritten relative to the new root so that a reconnect (master
// restarted) still finds it. The connected socket is kept either way.
void chrooted(const std::string& root);

// Reopens maillog_file in direct mode (after the file was rotated).
void reopen();

// The tag of this process: "posthorn/smtpd".
std::string tag();

// printf-style; one line each, no trailing newline needed.
void debug(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void info(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void warning(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void error(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// Logs and exits the process with status 1 (a delivery agent's fatal error
// means "try again later" to its caller, never "drop the mail").
[[noreturn]] void fatal(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
void vwrite(Level level, const char* fmt, va_list ap) __attribute__((format(printf, 2, 0)));

// Writes one line (without severity prefix; write adds it). A Fatal line is
// written but does not exit: use fatal() for that.
void write(Level level, std::string_view line);

// --- formatting (pure functions, also used by the log service) ---

// "warning: " for Warning, "error: ", "fatal: ", "" for Info and Debug.
std::string_view severityPrefix(Level level);
// The level's name as master.conf or a test would spell it ("info").
std::string_view levelName(Level level);

// Replaces ASCII control characters with '?' and cuts the result to at most
// maxBytes bytes (ending in "..." when it was cut, never inside a UTF-8
// sequence).
std::string sanitize(std::string_view text, std::size_t maxBytes);

// The full line as it is written to maillog_file, without the newline and
// at most kMaxLineLength bytes long:
// "Nov 23 12:09:01 host posthorn/smtpd[1234]: text" (local time, the day of
// month padded with a space as syslog writes it). `text` already carries any
// severity prefix; host, tag and text are sanitised here.
std::string formatFileLine(std::time_t when, std::string_view host, std::string_view tag,
                           long pid, std::string_view text);
// The same for this process, now.
std::string formatFileLine(std::string_view text);

}  // namespace posthorn::log
