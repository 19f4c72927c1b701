// ipc_stream - sends and receives content as ContentChunk frames + ContentEnd
#include "lib/ipc/ipc_stream.h"

#include <algorithm>
#include <vector>

#include "lib/ipc/ipc_codec.h"

namespace posthorn::ipc {

std::uint64_t sendContent(Channel& channel, const ContentSource& source) {
  ContentChunk chunk;
  std::uint64_t total = 0;
  std::vector<char> buf(kContentChunk);
  for (;;) {
    // Fill a whole chunk when the source gives less per call, so that a
    // trickling source does not turn into many tiny frames.
    std::size_t have = 0;
    bool end = false;
    while (have < buf.size()) {
      std::size_t n = source(buf.data() + have, buf.size() - have);
      if (n == 0) {
        end = true;
        break;
      }
      have += std::min(n, buf.size() - have);
    }
    if (have > 0) {
      chunk.data.assign(buf.data(), have);
      channel.send(chunk);
      total += have;
    }
    if (end) break;
  }
  channel.send(ContentEnd{total});
  return total;
}

std::uint64_t sendContent(Channel& channel, std::string_view data) {
  std::size_t pos = 0;
  return sendContent(channel, [&](char* buf, std::size_t max) {
    std::size_t n = std::min(max, data.size() - pos);
    data.copy(buf, n, pos);
    pos += n;
    return n;
  });
}

std::string contentChunkFrame(std::string_view data) {
  if (data.empty() || data.size() > kContentChunk)
    throw ProtocolError("a content chunk holds 1 to " + std::to_string(kContentChunk) +
                        " bytes, not " + std::to_string(data.size()));
  return encodeFrame(ContentChunk{std::string(data)});
}

std::string contentEndFrame(std::uint64_t size) { return encodeFrame(ContentEnd{size}); }

bool ContentReceiver::onFrame(const Frame& frame) {
  if (done_) throw ProtocolError("content: a frame after ContentEnd");
  if (frame.type == static_cast<std::uint32_t>(MsgType::ContentEnd)) {
    auto end = decode<ContentEnd>(frame);
    if (end.size != received_)
      throw ProtocolError("content: ContentEnd says " + std::to_string(end.size) +
                          " bytes but " + std::to_string(received_) + " arrived");
    done_ = true;
    return true;
  }
  if (frame.type != static_cast<std::uint32_t>(MsgType::ContentChunk))
    throw ProtocolError("content: expected ContentChunk or ContentEnd, got " +
                        msgTypeName(frame.type));
  auto chunk = decode<ContentChunk>(frame);
  if (chunk.data.empty() || chunk.data.size() > kContentChunk)
    throw ProtocolError("content: a chunk of " + std::to_string(chunk.data.size()) +
                        " bytes (1 to " + std::to_string(kContentChunk) + " allowed)");
  if (chunk.data.size() > maxSize_ - received_)
    throw ProtocolError("content: more than the limit of " + std::to_string(maxSize_) +
                        " bytes");
  received_ += chunk.data.size();
  largestChunk_ = std::max(largestChunk_, chunk.data.size());
  sink_(chunk.data);
  return false;
}

std::uint64_t receiveContent(Channel& channel, std::uint64_t maxSize, const ContentSink& sink) {
  ContentReceiver receiver(maxSize, sink);
  for (;;) {
    Frame frame = channel.receiveFrame();
    if (frame.fd >= 0) {
      ::close(frame.fd);
      throw ProtocolError("content: the peer passed an unexpected file descriptor");
    }
    if (receiver.onFrame(frame)) return receiver.received();
  }
}

}  // namespace posthorn::ipc
