// ipc - typed messages between posthorn processes over Unix stream sockets
//
// Every message that crosses a process boundary is a struct with a static
// kType, a static kVersion and a fields() method naming each field once:
//
//   struct MapLookupRequest {
//     static constexpr MsgType kType = MsgType::MapLookupRequest;
//     static constexpr std::uint32_t kVersion = kMapdProtoVersion;  // one per protocol
//     std::string table, key;
//     template <class V> void fields(V& v) { v("table", table); v("key", key); }
//   };
//
// One codec (ipc_codec.h) encodes any such struct; field values may be
// integers, bool, std::string, std::vector<T>, std::optional<T> and nested
// structs with fields() (plus enums and std::map). Each protocol has its own
// header (proto_*.h) that defines its messages; the MsgType enum below lists
// them all. doc/ipc.md describes the wire format and how to add a protocol.
//
// On the wire a frame is {u32 length, u32 type, u32 version} in network byte
// order followed by `length` body bytes. A frame longer than kMaxFrameBody,
// of an unknown type, of another version, with an unknown or missing field
// name or with trailing bytes is rejected: the receiver throws ProtocolError,
// logs it and drops the peer; it never aborts. Large content (a 50 MB
// message) travels as a series of ContentChunk frames of at most
// kContentChunk bytes ended by ContentEnd, so memory stays bounded.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace posthorn::ipc {

enum class MsgType : std::uint32_t {
  // content streaming (ipc_stream.h)
  ContentChunk = 1,
  ContentEnd = 2,
  // mapd (proto_mapd.h)
  MapLookupRequest = 10,
  MapLookupReply = 11,
  // log service (proto_log.h)
  LogRecord = 20,
  // cleanup (proto_cleanup.h)
  CleanupOpen = 30,
  CleanupOpened = 31,
  CleanupEnvelope = 32,
  CleanupReply = 33,
  CleanupAmend = 34,
  // authd userdb (proto_userdb.h)
  UserdbLookup = 40,
  UserdbReply = 41,
  // delivery agents (proto_delivery.h)
  DeliveryRequest = 50,
  DeliveryResult = 51,
  // authd passdb (proto_passdb.h): 60-69
  PassdbAuth = 60,
  PassdbContinue = 61,
  PassdbReply = 62,
  // bounce service (proto_bounce.h): 70-79
  BounceRequest = 70,
  BounceReply = 71,
  // popd login stage to mailbox stage (proto_pop3.h): 80-89
  Pop3Handover = 80,
  // imapd login stage to mailbox stage (proto_imap.h): 90-99
  ImapHandover = 90,
  // anvil, per-client counts and rates (proto_anvil.h): 100-109
  AnvilRequest = 100,
  AnvilReply = 101,
  // tests only (test/unit): never sent by a daemon
  TestPing = 900,
  TestEcho = 901,
};

inline constexpr std::size_t kFrameHeaderSize = 12;
inline constexpr std::size_t kMaxFrameBody = 1u << 20;   // 1 MiB
inline constexpr std::size_t kContentChunk = 64u << 10;  // 64 KiB

// The peer sent something malformed: the caller logs what() and drops it.
class ProtocolError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The peer went away (EOF, ECONNRESET) or a timeout expired.
class ChannelClosed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The timeout case of ChannelClosed, for callers that tell them apart.
class ChannelTimeout : public ChannelClosed {
 public:
  using ChannelClosed::ChannelClosed;
};

// "MapLookupRequest", or "unknown(1234)" for a value that is not a MsgType.
std::string msgTypeName(std::uint32_t type);
// Whether `type` is one of the MsgType values above.
bool isKnownMsgType(std::uint32_t type);

// A decoded frame header plus its body; `fd` is a descriptor passed with the
// frame (SCM_RIGHTS), owned by the receiver, or -1.
struct Frame {
  std::uint32_t type = 0;
  std::uint32_t version = 0;
  std::string body;
  int fd = -1;
};

// Incremental frame parser for event-driven code: feed bytes as they come,
// take whole frames out. next() throws ProtocolError on a header announcing
// more than kMaxFrameBody bytes or an unknown type, before it waits for (or
// allocates) the body; after that the stream is unusable: drop the peer.
// Memory is what was fed and not yet taken: feed what the socket has, take
// every frame, and it stays around one frame. buffered() > 0 at EOF means
// the peer stopped in the middle of a frame.
class FrameReader {
 public:
  void feed(std::string_view bytes);
  std::optional<Frame> next();
  std::size_t buffered() const { return buf_.size() - pos_; }

 private:
  std::string buf_;
  std::size_t pos_ = 0;
};

// encode<Msg>(msg) returns the body bytes of Msg; decode<Msg>(frame) checks
// the frame's type and version and decodes its body (ProtocolError if not
// exactly Msg). Both are defined in ipc_codec.h, with encodeFrame<Msg>(msg)
// (the whole frame's bytes, for event-driven senders) and
// decodeBody<Msg>(body) (no header check).

// Builds the wire bytes of one frame. Throws ProtocolError if body is
// longer than kMaxFrameBody.
std::string frameBytes(std::uint32_t type, std::uint32_t version, std::string_view body);

// Parses bytes that must hold exactly one whole frame (a datagram):
// ProtocolError if they hold less, more, or a bad header.
Frame parseFrame(std::string_view bytes);

// A blocking, connected Unix stream socket with per-call timeouts; for
// request/response clients and simple servers. Owns its fd. Works whether
// the fd is in blocking mode or not (every call waits with poll()); EINTR is
// retried, SIGPIPE is never raised (MSG_NOSIGNAL). A timeout of zero or less
// waits forever. After any exception the channel is unusable: close it.
class Channel {
 public:
  explicit Channel(int fd);
  ~Channel();
  Channel(Channel&& other) noexcept;
  Channel& operator=(Channel&& other) noexcept;
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  // Connects to a Unix socket path; throws ChannelClosed on failure (or
  // ChannelTimeout when the listener's backlog stays full for `timeout`).
  // The new channel's I/O timeout is the default (30 s).
  static Channel connect(const std::string& path,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));

  int fd() const { return fd_; }
  void setTimeout(std::chrono::milliseconds t) { timeout_ = t; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  // Sends one frame within the timeout; passFd >= 0 is passed along with it
  // (SCM_RIGHTS; the caller keeps its copy). Throws ProtocolError if body is
  // longer than kMaxFrameBody, ChannelClosed if the peer is gone.
  void sendFrame(std::uint32_t type, std::uint32_t version, std::string_view body,
                 int passFd = -1);
  // Receives one frame within the timeout; throws ChannelClosed on
  // EOF/timeout, ProtocolError on a malformed frame (oversized, unknown
  // type, more than one fd). A passed fd is in Frame::fd, close-on-exec, and
  // the caller owns it; if the frame is rejected it is closed here.
  Frame receiveFrame();

  template <class Msg>
  void send(const Msg& msg, int passFd = -1);
  // Receives one frame and decodes it as Msg; a frame of another type or
  // version, or one carrying an fd, is a ProtocolError.
  template <class Msg>
  Msg receive();
  // The same, for a message that comes with an fd: *passedFd gets it (or
  // -1) and the caller owns it; on a ProtocolError it has been closed.
  template <class Msg>
  Msg receive(int* passedFd);

 private:
  void readExact(char* dst, std::size_t n, bool frameStart,
                 std::chrono::steady_clock::time_point deadline);
  void closePending();

  int fd_ = -1;
  std::chrono::milliseconds timeout_{std::chrono::seconds(30)};
  int pendingFd_ = -1;  // received with the frame being read
};

}  // namespace posthorn::ipc

#include "lib/ipc/ipc_codec.h"  // encode<Msg>, decode<Msg>, and Channel's templates
