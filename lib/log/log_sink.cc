// log_sink - master's log service: LogRecord datagrams in, maillog_file lines out
#include "lib/log/log_sink.h"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <system_error>
#include <unistd.h>
#include <vector>

#include "lib/util/event_loop.h"
#include "lib/ipc/ipc.h"
#include "lib/ipc/unix_message.h"
#include "lib/log/log.h"
#include "lib/log/proto_log.h"

namespace posthorn::log {

namespace {

// Datagrams read per drain() call, so that a flood cannot starve the loop
// (the event fires again while more are waiting).
constexpr int kDrainBatch = 512;
constexpr std::chrono::seconds kMalformedReportInterval{60};

[[noreturn]] void throwErrno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

std::string localHostname() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
  return buf;
}

}  // namespace

LogSink::LogSink(std::string socketPath, std::string maillogFile, std::string hostname)
    : socketPath_(std::move(socketPath)),
      maillogFile_(std::move(maillogFile)),
      hostname_(hostname.empty() ? localHostname() : std::move(hostname)) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socketPath_.empty() || socketPath_.size() >= sizeof(addr.sun_path)) {
    errno = ENAMETOOLONG;
    throwErrno("log service socket " + socketPath_);
  }
  std::memcpy(addr.sun_path, socketPath_.data(), socketPath_.size());
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) throwErrno("log service socket " + socketPath_);
  int on = 1;
  ::setsockopt(fd_, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  // A leftover from a master that died: only one master runs per queue
  // directory (master's lock), so the file is ours to replace.
  struct stat st{};
  if (::lstat(socketPath_.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(socketPath_.c_str());
  if (::bind(fd_, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
    int saved = errno;
    ::close(fd_);
    errno = saved;
    throwErrno("cannot bind log service socket " + socketPath_);
  }
  ::chmod(socketPath_.c_str(), 0622);
  try {
    openFile();
  } catch (...) {
    ::close(fd_);
    ::unlink(socketPath_.c_str());
    throw;
  }
}

LogSink::~LogSink() {
  event_.reset();
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(socketPath_.c_str());
  }
  if (fileFd_ >= 0) ::close(fileFd_);
}

void LogSink::openFile() {
  int fd = ::open(maillogFile_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY,
                  0640);
  if (fd < 0) throwErrno("cannot open maillog_file " + maillogFile_);
  if (fileFd_ >= 0) ::close(fileFd_);
  fileFd_ = fd;
}

void LogSink::reopen() {
  try {
    openFile();
  } catch (const std::system_error& e) {
    // Keep writing to the old file rather than losing lines.
    log::warning("%s; still writing to the previous file", e.what());
  }
  log::reopen();
}

void LogSink::attach(event_base* base) {
  event_ = std::make_unique<loop::Event>(base, fd_, loop::kRead | loop::kPersist,
                                         [this](int, short) { drain(); });
  event_->add();
}

std::size_t LogSink::drain() {
  std::vector<char> buf(ipc::kMaxLogDatagram);
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
  std::size_t lines = 0;
  for (int i = 0; i < kDrainBatch; ++i) {
    msghdr msg;
    const ssize_t n =
        ipc::receiveMessage(fd_, buf.data(), buf.size(), control, sizeof control, &msg);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;  // EAGAIN: nothing more waiting
    }
    ++received_;
    long credPid = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
          c->cmsg_len >= CMSG_LEN(sizeof(ucred))) {
        ucred cred;
        std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
        credPid = cred.pid;
      } else {
        // Nobody has a reason to pass us descriptors: do not leak them.
        for (int passed : ipc::passedFds(c)) ::close(passed);
      }
    }
    bool truncated = (msg.msg_flags & MSG_TRUNC) != 0;
    if (handleDatagram(buf.data(), static_cast<std::size_t>(n), truncated, credPid)) ++lines;
  }
  return lines;
}

bool LogSink::handleDatagram(const char* data, std::size_t size, bool truncated, long credPid) {
  if (truncated) {
    reportMalformed("datagram longer than " + std::to_string(ipc::kMaxLogDatagram) + " bytes");
    return false;
  }
  ipc::LogRecord record;
  try {
    ipc::FrameReader reader;
    reader.feed(std::string_view(data, size));
    std::optional<ipc::Frame> frame = reader.next();
    if (!frame) {
      reportMalformed("incomplete frame of " + std::to_string(size) + " bytes");
      return false;
    }
    if (reader.buffered() != 0) {
      reportMalformed(std::to_string(reader.buffered()) + " bytes after the frame");
      return false;
    }
    record = ipc::decode<ipc::LogRecord>(*frame);
  } catch (const ipc::ProtocolError& e) {
    reportMalformed(e.what());
    return false;
  }
  if (record.program.empty()) {
    reportMalformed("LogRecord without a program name");
    return false;
  }
  long pid = credPid > 0 ? credPid : record.pid;
  if (pid <= 0) {
    reportMalformed("LogRecord with pid " + std::to_string(record.pid));
    return false;
  }
  std::string text(severityPrefix(record.level));
  text += record.text;
  std::string line = formatFileLine(std::time(nullptr), hostname_, record.program, pid, text);
  line += '\n';
  std::string_view rest = line;
  while (!rest.empty()) {
    ssize_t n = ::write(fileFd_, rest.data(), rest.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      log::error("cannot append to maillog_file %s: %s", maillogFile_.c_str(),
                 std::strerror(errno));
      return false;
    }
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
  ++written_;
  return true;
}

void LogSink::reportMalformed(const std::string& why) {
  ++malformed_;
  auto now = std::chrono::steady_clock::now();
  if (malformedReported_ == 0) {
    log::warning("log service %s: dropped a malformed datagram: %s", socketPath_.c_str(),
                 why.c_str());
  } else if (now - lastReport_ >= kMalformedReportInterval) {
    log::warning("log service %s: %llu malformed datagrams dropped so far; latest: %s",
                 socketPath_.c_str(), static_cast<unsigned long long>(malformed_), why.c_str());
  } else {
    return;
  }
  malformedReported_ = malformed_;
  lastReport_ = now;
}

}  // namespace posthorn::log
