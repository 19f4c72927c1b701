// queue_file_reader - opens a queue file, checks it, hands out its envelope
// and streams its content
//
//   QueueFileReader r("active/4Xb2kQ1z7TzA0");     // throws QueueFileError
//   for (const Recipient& rcpt : r.envelope().recipients) ...
//   ContentReader c = r.content();
//   while (std::size_t n = c.read(buf, sizeof buf)) out.write(buf, n);
//
// Opening checks the header, that the file is as long as the header says
// (a truncated file is refused, never read as a shorter message), every
// envelope record's checksum and both status slots of every recipient. The
// content's checksum is checked as it is streamed: read() throws instead of
// returning the end when it does not match, so a consumer must not commit
// what it wrote before read() has returned 0. verifyContent() checks it
// up front. Readers take no lock: an update in progress is invisible
// (the slot pair and the append-only updates make sure of that).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/queue/queue_envelope.h"
#include "lib/queue/queue_error.h"
#include "lib/queue/queue_io.h"
#include "lib/queue/queue_record.h"

namespace posthorn::queue {

struct UpdateEntry;  // lib/queue/queue_envelope_codec.h

// Streams the message as it leaves the queue: the envelope's prepended
// header fields, then the content record's bytes exactly as written.
class ContentReader {
 public:
  // Up to `size` bytes; 0 at the end, once the checksum has matched.
  std::size_t read(void* buffer, std::size_t size);
  std::string readAll();  // small messages and tests
  std::uint64_t length() const { return prefix_.size() + length_; }
  std::uint64_t remaining() const { return length() - prefixPosition_ - position_; }

 private:
  friend class QueueFileReader;
  ContentReader(std::shared_ptr<FileHandle> fd, std::string path, std::uint64_t offset,
                std::uint64_t length, std::string prefix);
  void verifyEnd();

  std::shared_ptr<FileHandle> fd_;
  std::string path_;
  std::string prefix_;
  std::size_t prefixPosition_ = 0;
  std::uint64_t offset_, length_, position_ = 0;  // in the content record
  std::uint32_t crc_ = 0;
  bool verified_ = false;
};

// Where things are in a file; for the updater, tools and tests.
struct QueueFileLayout {
  FileHeader header;
  std::uint64_t contentOffset = 0;
  std::uint64_t contentLength = 0;
  std::uint64_t fileSize = 0;
  std::uint64_t updatesEnd = 0;  // end of the last valid update (< fileSize: a torn tail)
  struct Slots {
    std::uint64_t offset = 0;  // file offset of copy 0; copy 1 follows
    std::array<std::optional<SlotImage>, 2> copies;
    std::uint32_t seq = 0;  // of the recipient's current status
  };
  std::vector<Slots> slots;  // one per recipient
};

class QueueFileReader {
 public:
  explicit QueueFileReader(std::string path);  // read-only

  const std::string& path() const { return path_; }
  const Envelope& envelope() const { return envelope_; }
  const QueueFileLayout& layout() const { return layout_; }
  // The message's size as delivered: prepended header fields included.
  std::uint64_t contentLength() const {
    return envelope_.prependedHeader.size() + layout_.contentLength;
  }
  // The content record alone (without the prepended fields), for tools.
  std::uint64_t contentOffset() const { return layout_.contentOffset; }
  int fd() const { return fd_->get(); }

  ContentReader content() const;
  std::string readContent() const { return content().readAll(); }
  // Reads the whole content; throws QueueFileError if its checksum is wrong.
  void verifyContent() const;

 protected:
  QueueFileReader(std::string path, FileHandle fd);
  [[noreturn]] void fail(QueueFileError::Kind kind, const std::string& detail) const;
  // One recipient's entry of an update record (its index checked): a newer
  // status replaces the current one, a report the last one.
  void applyUpdate(const UpdateEntry& entry);

  std::string path_;
  std::shared_ptr<FileHandle> fd_;
  Envelope envelope_;
  QueueFileLayout layout_;

 private:
  void parse();
  std::uint64_t parseHeader(std::uint64_t size);
  void parseEnvelope();
  void parseUpdates();
};

}  // namespace posthorn::queue
