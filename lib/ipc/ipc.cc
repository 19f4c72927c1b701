// ipc - frames on the wire, the incremental FrameReader, Channel (a
// blocking Unix stream socket with timeouts and fd passing), and the
// non-template half of the codec (error messages)
#include "lib/ipc/ipc.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <utility>

#include "lib/ipc/ipc_codec.h"
#include "lib/ipc/unix_message.h"

namespace posthorn::ipc {

namespace {

using Clock = std::chrono::steady_clock;

// At most this many fds are accepted from one recvmsg; one is legal.
constexpr int kMaxFdsPerRead = 8;

struct Header {
  std::uint32_t length;
  std::uint32_t type;
  std::uint32_t version;
};

std::uint32_t getU32(const char* p) {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return ntohl(v);
}

void putU32(char* p, std::uint32_t v) {
  v = htonl(v);
  std::memcpy(p, &v, 4);
}

// Validates a header before any body byte is awaited or allocated.
Header parseHeader(const char* p) {
  Header h{getU32(p), getU32(p + 4), getU32(p + 8)};
  if (h.length > kMaxFrameBody)
    throw ProtocolError("frame header announces " + std::to_string(h.length) +
                        " body bytes, more than the limit of " + std::to_string(kMaxFrameBody) +
                        " (type " + msgTypeName(h.type) + ")");
  if (!isKnownMsgType(h.type))
    throw ProtocolError("frame of unknown type " + std::to_string(h.type));
  return h;
}

std::string errnoText(const std::string& what) { return what + ": " + std::strerror(errno); }

// Milliseconds left until deadline for poll(); -1 = forever.
int pollTimeout(bool forever, Clock::time_point deadline) {
  if (forever) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  if (left.count() <= 0) return 0;
  // Round up so that a sub-millisecond remainder is not busy-waited.
  return static_cast<int>(std::min<long long>(left.count() + 1, 1 << 30));
}

// Waits for `events` on fd; throws ChannelTimeout when the deadline passes.
void waitFor(int fd, short events, bool forever, Clock::time_point deadline,
             std::chrono::milliseconds timeout, const char* doing) {
  for (;;) {
    pollfd p{fd, events, 0};
    int ms = pollTimeout(forever, deadline);
    int n = ::poll(&p, 1, ms);
    if (n > 0) return;  // ready, or HUP/ERR: the next call reports it
    if (n < 0 && errno != EINTR) throw ChannelClosed(errnoText("poll"));
    if (n == 0 && ms == 0)
      throw ChannelTimeout(std::string("timed out after ") + std::to_string(timeout.count()) +
                           " ms " + doing);
  }
}

}  // namespace

std::string msgTypeName(std::uint32_t type) {
  switch (static_cast<MsgType>(type)) {
    case MsgType::ContentChunk: return "ContentChunk";
    case MsgType::ContentEnd: return "ContentEnd";
    case MsgType::MapLookupRequest: return "MapLookupRequest";
    case MsgType::MapLookupReply: return "MapLookupReply";
    case MsgType::LogRecord: return "LogRecord";
    case MsgType::CleanupOpen: return "CleanupOpen";
    case MsgType::CleanupOpened: return "CleanupOpened";
    case MsgType::CleanupEnvelope: return "CleanupEnvelope";
    case MsgType::CleanupReply: return "CleanupReply";
    case MsgType::CleanupAmend: return "CleanupAmend";
    case MsgType::UserdbLookup: return "UserdbLookup";
    case MsgType::UserdbReply: return "UserdbReply";
    case MsgType::DeliveryRequest: return "DeliveryRequest";
    case MsgType::DeliveryResult: return "DeliveryResult";
    case MsgType::BounceRequest: return "BounceRequest";
    case MsgType::BounceReply: return "BounceReply";
    case MsgType::PassdbAuth: return "PassdbAuth";
    case MsgType::PassdbContinue: return "PassdbContinue";
    case MsgType::PassdbReply: return "PassdbReply";
    case MsgType::Pop3Handover: return "Pop3Handover";
    case MsgType::ImapHandover: return "ImapHandover";
    case MsgType::AnvilRequest: return "AnvilRequest";
    case MsgType::AnvilReply: return "AnvilReply";
    case MsgType::TestPing: return "TestPing";
    case MsgType::TestEcho: return "TestEcho";
  }
  return "unknown(" + std::to_string(type) + ")";
}

bool isKnownMsgType(std::uint32_t type) {
  // The switch above lists every MsgType (-Wswitch checks it).
  return msgTypeName(type).compare(0, 8, "unknown(") != 0;
}

std::string frameBytes(std::uint32_t type, std::uint32_t version, std::string_view body) {
  if (body.size() > kMaxFrameBody)
    throw ProtocolError("cannot send a " + msgTypeName(type) + " frame of " +
                        std::to_string(body.size()) + " bytes: the limit is " +
                        std::to_string(kMaxFrameBody));
  std::string out(kFrameHeaderSize, '\0');
  putU32(out.data(), static_cast<std::uint32_t>(body.size()));
  putU32(out.data() + 4, type);
  putU32(out.data() + 8, version);
  out.append(body);
  return out;
}

// ---- FrameReader

void FrameReader::feed(std::string_view bytes) {
  if (pos_ > 0 && (pos_ == buf_.size() || pos_ >= buf_.size() / 2)) {
    buf_.erase(0, pos_);
    pos_ = 0;
  }
  buf_.append(bytes);
}

std::optional<Frame> FrameReader::next() {
  if (buffered() < kFrameHeaderSize) return std::nullopt;
  Header h = parseHeader(buf_.data() + pos_);
  if (buffered() - kFrameHeaderSize < h.length) return std::nullopt;
  Frame f;
  f.type = h.type;
  f.version = h.version;
  f.body.assign(buf_, pos_ + kFrameHeaderSize, h.length);
  pos_ += kFrameHeaderSize + h.length;
  if (pos_ == buf_.size()) {
    buf_.clear();
    pos_ = 0;
  }
  return f;
}

Frame parseFrame(std::string_view bytes) {
  if (bytes.size() < kFrameHeaderSize)
    throw ProtocolError("a frame of " + std::to_string(bytes.size()) +
                        " bytes is shorter than its 12-byte header");
  Header h = parseHeader(bytes.data());
  if (bytes.size() - kFrameHeaderSize != h.length)
    throw ProtocolError("frame header announces " + std::to_string(h.length) +
                        " body bytes but " + std::to_string(bytes.size() - kFrameHeaderSize) +
                        " follow");
  Frame f;
  f.type = h.type;
  f.version = h.version;
  f.body.assign(bytes.substr(kFrameHeaderSize));
  return f;
}

// ---- Channel

Channel::Channel(int fd) : fd_(fd) {}

Channel::~Channel() {
  closePending();
  if (fd_ >= 0) ::close(fd_);
}

Channel::Channel(Channel&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)),
      timeout_(other.timeout_),
      pendingFd_(std::exchange(other.pendingFd_, -1)) {}

Channel& Channel::operator=(Channel&& other) noexcept {
  if (this != &other) {
    closePending();
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    timeout_ = other.timeout_;
    pendingFd_ = std::exchange(other.pendingFd_, -1);
  }
  return *this;
}

void Channel::closePending() {
  if (pendingFd_ >= 0) ::close(pendingFd_);
  pendingFd_ = -1;
}

Channel Channel::connect(const std::string& path, std::chrono::milliseconds timeout) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(addr.sun_path))
    throw ChannelClosed("connect " + path + ": socket path is empty or longer than " +
                        std::to_string(sizeof(addr.sun_path) - 1) + " bytes");
  std::memcpy(addr.sun_path, path.data(), path.size());

  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ChannelClosed(errnoText("socket"));
  Channel ch(fd);
  // A Unix connect() waits only while the listener's backlog is full, for
  // at most SO_SNDTIMEO; the channel's own I/O does not use that timeout.
  if (timeout.count() > 0) {
    timeval tv{static_cast<time_t>(timeout.count() / 1000),
               static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  }
  for (;;) {
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) break;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EINPROGRESS)
      throw ChannelTimeout("connect " + path + ": timed out (listener backlog full)");
    throw ChannelClosed(errnoText("connect " + path));
  }
  timeval zero{};
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &zero, sizeof zero);
  return ch;
}

void Channel::sendFrame(std::uint32_t type, std::uint32_t version, std::string_view body,
                        int passFd) {
  if (fd_ < 0) throw ChannelClosed("send on a closed channel");
  if (body.size() > kMaxFrameBody)
    throw ProtocolError("cannot send a " + msgTypeName(type) + " frame of " +
                        std::to_string(body.size()) + " bytes: the limit is " +
                        std::to_string(kMaxFrameBody));
  char header[kFrameHeaderSize];
  putU32(header, static_cast<std::uint32_t>(body.size()));
  putU32(header + 4, type);
  putU32(header + 8, version);

  iovec iov[2] = {{header, sizeof header}, {const_cast<char*>(body.data()), body.size()}};
  int iovcnt = body.empty() ? 1 : 2;
  iovec* cur = iov;
  bool fdSent = passFd < 0;
  const bool forever = timeout_.count() <= 0;
  const auto deadline = Clock::now() + timeout_;
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];

  while (iovcnt > 0) {
    msghdr msg{};
    msg.msg_iov = cur;
    msg.msg_iovlen = static_cast<std::size_t>(iovcnt);
    if (!fdSent) {
      // The fd rides with the frame's first byte, so the receiver, which
      // reads frame by frame, finds it while reading this frame.
      std::memset(control, 0, sizeof control);
      msg.msg_control = control;
      msg.msg_controllen = sizeof control;
      cmsghdr* c = CMSG_FIRSTHDR(&msg);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int));
      std::memcpy(CMSG_DATA(c), &passFd, sizeof(int));
    }
    ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        waitFor(fd_, POLLOUT, forever, deadline, timeout_, "sending a frame");
        continue;
      }
      if (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN)
        throw ChannelClosed(errnoText("send " + msgTypeName(type) + " frame"));
      throw ChannelClosed(errnoText("sendmsg"));
    }
    fdSent = true;
    auto left = static_cast<std::size_t>(n);
    while (iovcnt > 0 && left >= cur->iov_len) {
      left -= cur->iov_len;
      ++cur;
      --iovcnt;
    }
    if (iovcnt > 0) {
      cur->iov_base = static_cast<char*>(cur->iov_base) + left;
      cur->iov_len -= left;
    }
  }
}

void Channel::readExact(char* dst, std::size_t n, bool frameStart, Clock::time_point deadline) {
  const bool forever = timeout_.count() <= 0;
  std::size_t got = 0;
  while (got < n) {
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxFdsPerRead)];
    msghdr msg;
    const ssize_t r = receiveMessage(fd_, dst + got, n - got, control, sizeof control, &msg);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        waitFor(fd_, POLLIN, forever, deadline, timeout_, "waiting for a frame");
        continue;
      }
      if (errno == ECONNRESET) throw ChannelClosed("connection reset by peer");
      throw ChannelClosed(errnoText("recvmsg"));
    }
    // Take ownership of every fd first, so that none leaks on an error.
    int extra = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      for (int fd : passedFds(c)) {
        if (pendingFd_ < 0) {
          pendingFd_ = fd;
        } else {
          ::close(fd);
          ++extra;
        }
      }
    }
    if (msg.msg_flags & MSG_CTRUNC)
      throw ProtocolError("the peer passed more file descriptors than fit in one frame");
    if (extra > 0) throw ProtocolError("the peer passed more than one file descriptor with a frame");
    if (r == 0) {
      if (frameStart && got == 0) throw ChannelClosed("the peer closed the connection");
      throw ChannelClosed("the peer closed the connection in the middle of a frame");
    }
    got += static_cast<std::size_t>(r);
  }
}

Frame Channel::receiveFrame() {
  if (fd_ < 0) throw ChannelClosed("receive on a closed channel");
  const auto deadline = Clock::now() + timeout_;
  try {
    char header[kFrameHeaderSize];
    readExact(header, sizeof header, true, deadline);
    Header h = parseHeader(header);
    Frame f;
    f.type = h.type;
    f.version = h.version;
    f.body.resize(h.length);
    readExact(f.body.data(), h.length, false, deadline);
    f.fd = std::exchange(pendingFd_, -1);
    return f;
  } catch (...) {
    closePending();
    throw;
  }
}

// ---- codec diagnostics (the templates are in ipc_codec.h)

std::string wireTagName(std::uint8_t tag) {
  switch (static_cast<WireTag>(tag)) {
    case WireTag::Bool: return "bool";
    case WireTag::Unsigned: return "unsigned";
    case WireTag::Signed: return "signed";
    case WireTag::Enum: return "enum";
    case WireTag::String: return "string";
    case WireTag::List: return "list";
    case WireTag::Optional: return "optional";
    case WireTag::Struct: return "struct";
    case WireTag::Map: return "map";
  }
  return "tag " + std::to_string(tag);
}

void checkFrameHeader(const Frame& frame, MsgType type, std::uint32_t version) {
  auto want = static_cast<std::uint32_t>(type);
  if (frame.type != want)
    throw ProtocolError("expected a " + msgTypeName(want) + " frame, got " +
                        msgTypeName(frame.type) + " (type " + std::to_string(frame.type) + ")");
  if (frame.version != version)
    throw ProtocolError(msgTypeName(want) + ": the peer speaks version " +
                        std::to_string(frame.version) + ", this program version " +
                        std::to_string(version));
}

namespace codec {

std::string messageLabel(MsgType type, std::uint32_t version) {
  return msgTypeName(static_cast<std::uint32_t>(type)) + " v" + std::to_string(version);
}

std::string Decoder::printable(std::string_view s) {
  constexpr std::size_t kMax = 40;
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < kMax; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'') {
      out.push_back(static_cast<char>(c));
    } else {
      static const char kHex[] = "0123456789abcdef";
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (s.size() > kMax) out += "...";
  return out;
}

void Decoder::fail(const std::string& reason) {
  std::string where;
  for (const PathPart& p : path_) {
    if (p.name) {
      if (!where.empty()) where += '.';
      where += p.name;
    } else {
      where += '[' + std::to_string(p.index) + ']';
    }
  }
  if (where.empty()) throw ProtocolError(what_ + ": " + reason);
  throw ProtocolError(what_ + ": field '" + where + "': " + reason);
}

void Decoder::failTrailing() {
  std::size_t left = end_ - pos_;
  // Name the unexpected field when the bytes look like one.
  std::size_t p = pos_;
  auto len = static_cast<std::uint8_t>(in_[p]);
  if (len > 0 && len < 0x80 && len < left) {
    std::string_view name = in_.substr(p + 1, len);
    bool plausible = true;
    for (char c : name)
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) plausible = false;
    if (plausible)
      fail("unexpected field '" + std::string(name) + "' after the last known field (" +
           std::to_string(left) + " bytes left)");
  }
  fail(std::to_string(left) + " trailing bytes after the last field");
}

}  // namespace codec

}  // namespace posthorn::ipc
