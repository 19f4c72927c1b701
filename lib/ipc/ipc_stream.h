// ipc_stream - large content (a 50 MB message) as a stream of bounded frames
//
// The sender sends ContentChunk frames of at most kContentChunk data bytes,
// then one ContentEnd carrying the total size. The receiver hands each chunk
// to a sink as it arrives and checks the total against its maximum and
// against ContentEnd, so neither side holds more than a frame or two.
//
//   sender:   ipc::sendContent(channel, [&](char* buf, std::size_t max) {
//               return readSome(buf, max); });           // 0 = end
//   receiver: ipc::receiveContent(channel, limit, [&](std::string_view d) {
//               write(d); });
// Event-driven code builds the frames with contentChunkFrame()/
// contentEndFrame() and feeds received frames to a ContentReceiver.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "lib/ipc/ipc.h"

namespace posthorn::ipc {

// The version of the two content-stream messages; bump it on any change to
// either.
inline constexpr std::uint32_t kContentStreamProtoVersion = 1;

struct ContentChunk {
  static constexpr MsgType kType = MsgType::ContentChunk;
  static constexpr std::uint32_t kVersion = kContentStreamProtoVersion;
  std::string data;  // 1..kContentChunk bytes
  template <class V>
  void fields(V& v) {
    v("data", data);
  }
};

struct ContentEnd {
  static constexpr MsgType kType = MsgType::ContentEnd;
  static constexpr std::uint32_t kVersion = kContentStreamProtoVersion;
  std::uint64_t size = 0;  // total data bytes of all chunks
  template <class V>
  void fields(V& v) {
    v("size", size);
  }
};

// Fills buf with up to max bytes; returns how many, 0 at the end.
using ContentSource = std::function<std::size_t(char* buf, std::size_t max)>;
// Takes one chunk of received data (never empty).
using ContentSink = std::function<void(std::string_view data)>;

// Sends everything source yields, then ContentEnd; returns the total.
std::uint64_t sendContent(Channel& channel, const ContentSource& source);
std::uint64_t sendContent(Channel& channel, std::string_view data);

// Receives a content stream into sink; returns its size. ProtocolError when
// the content would exceed maxSize (before the sink sees the excess), when
// a frame other than ContentChunk/ContentEnd arrives, on an empty or
// oversized chunk, or when ContentEnd's size differs from what arrived.
std::uint64_t receiveContent(Channel& channel, std::uint64_t maxSize, const ContentSink& sink);

// Wire bytes of one chunk frame (data: 1..kContentChunk bytes) and of the
// end frame, for event-driven senders.
std::string contentChunkFrame(std::string_view data);
std::string contentEndFrame(std::uint64_t size);

// The receiving state machine, for event-driven code that takes frames out
// of a FrameReader. Feed each frame; true once ContentEnd has arrived.
class ContentReceiver {
 public:
  ContentReceiver(std::uint64_t maxSize, ContentSink sink)
      : maxSize_(maxSize), sink_(std::move(sink)) {}

  bool onFrame(const Frame& frame);
  bool done() const { return done_; }
  std::uint64_t received() const { return received_; }
  // The largest chunk handed to the sink so far.
  std::size_t largestChunk() const { return largestChunk_; }

 private:
  std::uint64_t maxSize_;
  ContentSink sink_;
  std::uint64_t received_ = 0;
  std::size_t largestChunk_ = 0;
  bool done_ = false;
};

}  // namespace posthorn::ipc
