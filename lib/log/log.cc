// log - the mail log: syslog, master's log service or maillog_file, stderr
//
// One process-wide logger (see log.h). The state lives on the heap and is
// never destroyed, so a line logged from a static destructor or after
// exit() began still goes somewhere.
#include "lib/log/log.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <mutex>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "lib/ipc/ipc.h"
#include "lib/log/proto_log.h"

namespace posthorn::log {

namespace {

enum class Mode { Stderr, Syslog, Service, File };

struct State {
  std::mutex mu;
  Options options;
  Mode mode = Mode::Stderr;
  std::string tag = "posthorn";
  std::string syslogIdent;  // must outlive openlog()
  std::string host;
  int socketFd = -1;        // Service: connected datagram socket
  std::string socketPath;   // Service: where to reconnect
  bool serviceTrouble = false;  // Service: stderr fallback announced
  int fileFd = -1;          // File
  bool fileTrouble = false;     // File: stderr fallback announced
};

State& state() {
  static State* s = new State;  // never destroyed: see the file comment
  return *s;
}

int syslogPriority(Level level) {
  switch (level) {
    case Level::Debug: return LOG_DEBUG;
    case Level::Info: return LOG_INFO;
    case Level::Warning: return LOG_WARNING;
    case Level::Error: return LOG_ERR;
    case Level::Fatal: return LOG_CRIT;
  }
  return LOG_ERR;
}

// Writes all of `bytes` to fd; false on error. Never raises SIGPIPE for
// sockets (stderr may be a socket) only through the caller's disposition.
bool writeAll(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void toStderr(const State& s, std::string_view text) {
  std::string line = s.tag;
  line += ": ";
  line += sanitize(text, kMaxLineLength);
  line += '\n';
  writeAll(STDERR_FILENO, line);
}

void closeDestinations(State& s) {
  if (s.mode == Mode::Syslog) closelog();
  if (s.socketFd >= 0) ::close(s.socketFd);
  if (s.fileFd >= 0) ::close(s.fileFd);
  s.socketFd = -1;
  s.fileFd = -1;
  s.mode = Mode::Stderr;
}

// Connects the datagram socket to the log service; -1 and errno on failure.
int connectService(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path)) {
    errno = ENAMETOOLONG;
    return -1;
  }
  std::memcpy(addr.sun_path, path.data(), path.size());
  int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  timeval tv{};
  tv.tv_sec = kSendTimeout.count() / 1000;
  tv.tv_usec = (kSendTimeout.count() % 1000) * 1000;
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

// Sends one record; false (errno set) when the service cannot take it.
bool sendRecord(State& s, Level level, std::string_view text) {
  ipc::LogRecord record;
  record.level = level;
  record.program = s.tag;
  record.pid = static_cast<std::int32_t>(::getpid());
  record.text = sanitize(text, kMaxLineLength);
  std::string bytes;
  try {
    bytes = ipc::encodeFrame(record);
  } catch (const std::exception&) {
    errno = EMSGSIZE;
    return false;
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (s.socketFd < 0) {
      s.socketFd = connectService(s.socketPath);
      if (s.socketFd < 0) return false;
    }
    // While the service is in trouble, do not wait kSendTimeout per line.
    int flags = MSG_NOSIGNAL | (s.serviceTrouble ? MSG_DONTWAIT : 0);
    ssize_t n;
    do {
      n = ::send(s.socketFd, bytes.data(), bytes.size(), flags);
    } while (n < 0 && errno == EINTR);
    if (n == static_cast<ssize_t>(bytes.size())) return true;
    if (n >= 0) {
      errno = EMSGSIZE;
      return false;
    }
    // master restarted (a new socket at the same path): reconnect once.
    if (errno == ECONNREFUSED || errno == ENOTCONN || errno == ECONNRESET ||
        errno == EPIPE || errno == ENOENT) {
      int saved = errno;
      ::close(s.socketFd);
      s.socketFd = -1;
      errno = saved;
      continue;
    }
    return false;  // EAGAIN (the send timeout), ENOBUFS, ...
  }
  return false;
}

void openFile(State& s) {
  if (s.fileFd >= 0) ::close(s.fileFd);
  s.fileFd = ::open(s.options.maillogFile.c_str(),
                    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
  if (s.fileFd < 0) {
    std::string why = "warning: cannot open maillog_file " + s.options.maillogFile + ": " +
                      std::strerror(errno) + "; logging to stderr";
    toStderr(s, why);
    s.fileTrouble = true;
  } else {
    s.fileTrouble = false;
  }
}

void writeLocked(State& s, Level level, std::string_view line) {
  if (level == Level::Debug && !s.options.debug) return;
  std::string text(severityPrefix(level));
  text += line;
  bool stderrDone = false;
  if (s.options.alsoStderr || s.mode == Mode::Stderr) {
    toStderr(s, text);
    stderrDone = true;
  }
  switch (s.mode) {
    case Mode::Stderr:
      break;
    case Mode::Syslog:
      ::syslog(syslogPriority(level), "%s", sanitize(text, kMaxLineLength).c_str());
      break;
    case Mode::Service:
      if (sendRecord(s, level, line)) {
        if (s.serviceTrouble) s.serviceTrouble = false;
      } else {
        if (!s.serviceTrouble) {
          s.serviceTrouble = true;
          toStderr(s, "warning: log service " + s.socketPath + " unreachable: " +
                          std::strerror(errno) + "; logging to stderr");
        }
        if (!stderrDone) toStderr(s, text);
      }
      break;
    case Mode::File: {
      std::string out = formatFileLine(std::time(nullptr), s.host, s.tag, ::getpid(), text);
      out += '\n';
      if (s.fileFd < 0 || !writeAll(s.fileFd, out)) {
        if (!s.fileTrouble && s.fileFd >= 0) {
          s.fileTrouble = true;
          toStderr(s, "warning: cannot write maillog_file " + s.options.maillogFile + ": " +
                          std::strerror(errno) + "; logging to stderr");
        }
        if (!stderrDone) toStderr(s, text);
      }
      break;
    }
  }
}

std::string vformat(const char* fmt, va_list ap) {
  char small[512];
  va_list copy;
  va_copy(copy, ap);
  int n = std::vsnprintf(small, sizeof small, fmt, copy);
  va_end(copy);
  if (n < 0) return fmt;
  if (static_cast<std::size_t>(n) < sizeof small) return std::string(small, static_cast<std::size_t>(n));
  std::string out(static_cast<std::size_t>(n) + 1, '\0');
  std::vsnprintf(out.data(), out.size(), fmt, ap);
  out.resize(static_cast<std::size_t>(n));
  return out;
}

// Host and tag must stay one word each so that log readers can split the
// line: white space becomes '?' too.
std::string sanitizeWord(std::string_view word, std::size_t maxBytes) {
  std::string out = sanitize(word, maxBytes);
  for (char& c : out)
    if (c == ' ') c = '?';
  if (out.empty()) out.push_back('?');
  return out;
}

std::string localHostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

}  // namespace

void init(const Options& options) {
  State& s = state();
  std::lock_guard lock(s.mu);
  closeDestinations(s);
  s.options = options;
  s.tag = options.program.empty() ? options.syslogName
                                  : options.syslogName + "/" + options.program;
  s.host = options.hostname.empty() ? localHostname() : options.hostname;
  s.serviceTrouble = false;
  s.fileTrouble = false;
  ::tzset();  // read the zone file now: after chroot it is out of reach
  if (options.maillogFile.empty()) {
    s.syslogIdent = s.tag;
    ::openlog(s.syslogIdent.c_str(), LOG_PID | LOG_NDELAY, LOG_MAIL);
    s.mode = Mode::Syslog;
  } else if (!options.logServiceSocket.empty()) {
    s.mode = Mode::Service;
    s.socketPath = options.logServiceSocket;
    s.socketFd = connectService(s.socketPath);
    if (s.socketFd < 0) {
      s.serviceTrouble = true;
      toStderr(s, "warning: log service " + s.socketPath + " unreachable: " +
                      std::strerror(errno) + "; logging to stderr");
    }
  } else {
    s.mode = Mode::File;
    openFile(s);
  }
}

void chrooted(const std::string& root) {
  State& s = state();
  std::lock_guard lock(s.mu);
  if (s.mode != Mode::Service || root.empty() || root == "/") return;
  std::string prefix = root;
  while (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  if (s.socketPath.size() > prefix.size() && s.socketPath.compare(0, prefix.size(), prefix) == 0 &&
      s.socketPath[prefix.size()] == '/') {
    s.socketPath.erase(0, prefix.size());
  }
}

void reopen() {
  State& s = state();
  std::lock_guard lock(s.mu);
  if (s.mode == Mode::File) openFile(s);
}

std::string tag() {
  State& s = state();
  std::lock_guard lock(s.mu);
  return s.tag;
}

void write(Level level, std::string_view line) {
  State& s = state();
  std::lock_guard lock(s.mu);
  writeLocked(s, level, line);
}

void vwrite(Level level, const char* fmt, va_list ap) {
  std::string line = vformat(fmt, ap);
  write(level, line);
}

void debug(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vwrite(Level::Debug, fmt, ap);
  va_end(ap);
}

void info(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vwrite(Level::Info, fmt, ap);
  va_end(ap);
}

void warning(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vwrite(Level::Warning, fmt, ap);
  va_end(ap);
}

void error(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vwrite(Level::Error, fmt, ap);
  va_end(ap);
}

void fatal(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vwrite(Level::Fatal, fmt, ap);
  va_end(ap);
  std::exit(1);
}

std::string_view severityPrefix(Level level) {
  switch (level) {
    case Level::Warning: return "warning: ";
    case Level::Error: return "error: ";
    case Level::Fatal: return "fatal: ";
    case Level::Debug:
    case Level::Info: return "";
  }
  return "";
}

std::string_view levelName(Level level) {
  switch (level) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warning: return "warning";
    case Level::Error: return "error";
    case Level::Fatal: return "fatal";
  }
  return "unknown";
}

std::string sanitize(std::string_view text, std::size_t maxBytes) {
  bool cut = text.size() > maxBytes;
  // Look at no more than we may keep: a huge line costs nothing extra.
  std::string_view keep = text.substr(0, maxBytes);
  std::string out;
  out.reserve(keep.size());
  for (char c : keep) {
    auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (!cut) return out;
  constexpr std::string_view kMark = "...";
  if (maxBytes < kMark.size()) return out;
  std::size_t end = maxBytes - kMark.size();
  // Do not split a UTF-8 sequence: back up to the start of the character.
  while (end > 0 && (static_cast<unsigned char>(out[end]) & 0xC0) == 0x80) --end;
  out.resize(end);
  out += kMark;
  return out;
}

std::string formatFileLine(std::time_t when, std::string_view host, std::string_view tag,
                           long pid, std::string_view text) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  std::tm tm{};
  ::localtime_r(&when, &tm);
  char stamp[32];
  std::snprintf(stamp, sizeof stamp, "%s %2d %02d:%02d:%02d", kMonths[tm.tm_mon % 12],
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  std::string line = stamp;
  line += ' ';
  line += sanitizeWord(host, 255);
  line += ' ';
  line += sanitizeWord(tag, 255);
  line += '[';
  line += std::to_string(pid);
  line += "]: ";
  line += sanitize(text, kMaxLineLength - line.size());
  return line;
}

std::string formatFileLine(std::string_view text) {
  State& s = state();
  std::string host, tagCopy;
  {
    std::lock_guard lock(s.mu);
    host = s.host.empty() ? localHostname() : s.host;
    tagCopy = s.tag;
  }
  return formatFileLine(std::time(nullptr), host, tagCopy, ::getpid(), text);
}

}  // namespace posthorn::log
