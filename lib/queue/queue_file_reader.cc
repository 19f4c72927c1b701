// queue_file_reader - parsing and checking a queue file; streaming content
#include "lib/queue/queue_file_reader.h"

#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "lib/util/crc32c.h"
#include "lib/queue/queue_envelope_codec.h"

namespace posthorn::queue {
namespace {

using Kind = QueueFileError::Kind;

// Envelope and update regions are read whole; bigger ones are not ours.
constexpr std::uint64_t kMaxRegion = 256u << 20;
// A header record longer than this (possible only in a newer minor) is bogus.
constexpr std::size_t kMaxHeaderData = 4096 - kRecordOverhead;

std::string num(std::uint64_t n) { return std::to_string(n); }

}  // namespace

// --- ContentReader ----------------------------------------------------------

ContentReader::ContentReader(std::shared_ptr<FileHandle> fd, std::string path,
                             std::uint64_t offset, std::uint64_t length, std::string prefix)
    : fd_(std::move(fd)),
      path_(std::move(path)),
      prefix_(std::move(prefix)),
      offset_(offset),
      length_(length) {}

std::size_t ContentReader::read(void* buffer, std::size_t size) {
  if (prefixPosition_ < prefix_.size()) {
    const std::size_t n = std::min(size, prefix_.size() - prefixPosition_);
    std::memcpy(buffer, prefix_.data() + prefixPosition_, n);
    prefixPosition_ += n;
    return n;
  }
  if (position_ == length_) {
    verifyEnd();
    return 0;
  }
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(size, length_ - position_));
  const std::size_t got = preadFull(fd_->get(), buffer, want, offset_ + position_, path_);
  if (got < want)
    throw QueueFileError(Kind::Truncated, path_,
                         "truncated: content ends at byte " + num(offset_ + position_ + got) +
                             ", expected " + num(offset_ + length_));
  crc_ = util::crc32c(buffer, got, crc_);
  position_ += got;
  return got;
}

void ContentReader::verifyEnd() {
  if (verified_) return;
  char stored[kRecordCrcSize];
  if (preadFull(fd_->get(), stored, sizeof stored, offset_ + length_, path_) != sizeof stored)
    throw QueueFileError(Kind::Truncated, path_, "truncated: content checksum missing");
  if (getU32(stored) != finishRecordCrc(crc_, rec::kContent, static_cast<std::uint32_t>(length_)))
    throw QueueFileError(Kind::Corrupt, path_, "corrupt: content checksum mismatch");
  verified_ = true;
}

std::string ContentReader::readAll() {
  std::string out;
  out.resize(static_cast<std::size_t>(remaining()));
  std::size_t pos = 0;
  while (pos < out.size()) pos += read(out.data() + pos, out.size() - pos);
  char dummy;
  read(&dummy, 1);  // checks the checksum
  return out;
}

// --- QueueFileReader --------------------------------------------------------

namespace {
FileHandle openReadOnly(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throwIo(path, "open", errno);
  return FileHandle(fd);
}
}  // namespace

QueueFileReader::QueueFileReader(std::string path)
    : QueueFileReader(path, openReadOnly(path)) {}

QueueFileReader::QueueFileReader(std::string path, FileHandle fd)
    : path_(std::move(path)), fd_(std::make_shared<FileHandle>(std::move(fd))) {
  parse();
}

void QueueFileReader::fail(Kind kind, const std::string& detail) const {
  throw QueueFileError(kind, path_, detail);
}

ContentReader QueueFileReader::content() const {
  return ContentReader(fd_, path_, layout_.contentOffset, layout_.contentLength,
                       envelope_.prependedHeader);
}

void QueueFileReader::verifyContent() const {
  ContentReader c = content();
  std::string buffer(1 << 16, '\0');
  while (c.read(buffer.data(), buffer.size()) != 0) {
  }
}

void QueueFileReader::parse() {
  const std::uint64_t size = fileSize(fd_->get(), path_);
  layout_.fileSize = size;
  const std::uint64_t headerEnd = parseHeader(size);
  const FileHeader& h = layout_.header;

  if (size < h.endOffset)
    fail(Kind::Truncated,
         "truncated: expected at least " + num(h.endOffset) + " bytes, file has " + num(size));

  layout_.contentOffset = headerEnd + kRecordHeaderSize;
  layout_.contentLength = h.contentLength;
  if (h.contentLength > kMaxRecordData ||
      h.envelopeOffset != layout_.contentOffset + h.contentLength + kRecordCrcSize ||
      h.endOffset < h.envelopeOffset + kRecordOverhead ||
      h.endOffset - h.envelopeOffset > kMaxRegion)
    fail(Kind::Corrupt, "corrupt: header sizes are inconsistent (content " +
                            num(h.contentLength) + ", envelope at " + num(h.envelopeOffset) +
                            ", end at " + num(h.endOffset) + ")");

  char x[kRecordHeaderSize];
  preadFull(fd_->get(), x, sizeof x, headerEnd, path_);
  if (x[0] != rec::kContent || getU32(x + 1) != h.contentLength)
    fail(Kind::Corrupt, "corrupt: content record header at offset " + num(headerEnd) +
                            " does not match the file header");

  parseEnvelope();
  parseUpdates();
}

std::uint64_t QueueFileReader::parseHeader(std::uint64_t size) {
  if (size == 0) fail(Kind::Truncated, "truncated: empty file");
  std::string buf(static_cast<std::size_t>(std::min<std::uint64_t>(size, 4096)), '\0');
  buf.resize(preadFull(fd_->get(), buf.data(), buf.size(), 0, path_));
  if (buf.empty()) fail(Kind::Truncated, "truncated: empty file");

  if (buf[0] != rec::kHeader)
    fail(Kind::Corrupt, "not a queue file: first record is " + typeName(buf[0]) + ", not 'H'");
  for (std::size_t i = 0; i < sizeof kMagic && kRecordHeaderSize + i < buf.size(); ++i)
    if (buf[kRecordHeaderSize + i] != kMagic[i])
      fail(Kind::Corrupt, "not a posthorn queue file (bad magic)");
  if (buf.size() < kRecordHeaderSize)
    fail(Kind::Truncated, "truncated: file has " + num(buf.size()) + " bytes, less than a header");
  const std::uint32_t length = getU32(buf.data() + 1);
  if (length < kHeaderDataSize || length > kMaxHeaderData)
    fail(Kind::Corrupt, "corrupt: header record length " + num(length) + " is implausible");
  if (buf.size() < kRecordOverhead + length)
    fail(Kind::Truncated, "truncated: file has " + num(buf.size()) +
                              " bytes, less than its header record (" +
                              num(kRecordOverhead + length) + ")");
  RawRecord r;
  if (parseRecord(buf, 0, 0, r) != ParseStatus::Ok)
    fail(Kind::Corrupt, "corrupt: header record checksum mismatch");
  try {
    layout_.header = decodeHeader(r.data);
  } catch (const FieldError& e) {
    fail(Kind::Corrupt, std::string("corrupt: header record: ") + e.what());
  }
  const FileHeader& h = layout_.header;
  if (h.major != kFormatMajor)
    fail(Kind::UnsupportedVersion, "queue file format version " + num(h.major) + "." +
                                       num(h.minor) + " is not supported (this program reads " +
                                       num(kFormatMajor) + ".x)");
  if (length != kHeaderDataSize && h.minor <= kFormatMinor)
    fail(Kind::Corrupt, "corrupt: header record length " + num(length) + " for version 1." +
                            num(h.minor));
  return r.size;
}

void QueueFileReader::parseEnvelope() {
  const FileHeader& h = layout_.header;
  const bool tolerate = h.minor > kFormatMinor;
  std::string buf(static_cast<std::size_t>(h.endOffset - h.envelopeOffset), '\0');
  if (preadFull(fd_->get(), buf.data(), buf.size(), h.envelopeOffset, path_) != buf.size())
    fail(Kind::Truncated, "truncated: file shrank while being read");

  EnvelopeDecoder decoder(tolerate);
  std::size_t pos = 0;
  bool sawEnd = false;
  while (pos < buf.size()) {
    RawRecord r;
    const std::uint64_t at = h.envelopeOffset + pos;
    switch (parseRecord(buf, pos, h.envelopeOffset, r)) {
      case ParseStatus::Incomplete:
        fail(Kind::Corrupt, "corrupt: record at offset " + num(at) + " runs past the end record");
      case ParseStatus::BadChecksum:
        fail(Kind::Corrupt, "corrupt: " + typeName(buf[pos]) + " record at offset " + num(at) +
                                ": checksum mismatch");
      case ParseStatus::Ok: break;
    }
    pos += r.size;
    if (r.type == rec::kEnd) {
      if (pos != buf.size())
        fail(Kind::Corrupt, "corrupt: end record at offset " + num(at) +
                                " is not where the header says the envelope ends");
      sawEnd = true;
      break;
    }
    try {
      decoder.add(r);
    } catch (const FieldError& e) {
      fail(Kind::Corrupt, "corrupt: " + typeName(r.type) + " record at offset " + num(at) +
                              ": " + e.what());
    }
  }
  if (!sawEnd) fail(Kind::Corrupt, "corrupt: no end record");
  try {
    envelope_ = decoder.finish();
  } catch (const FieldError& e) {
    fail(Kind::Corrupt, std::string("corrupt: ") + e.what());
  }
  if (envelope_.recipients.size() != h.recipientCount)
    fail(Kind::Corrupt, "corrupt: header says " + num(h.recipientCount) + " recipients, file has " +
                            num(envelope_.recipients.size()));

  for (std::size_t i = 0; i < decoder.slots().size(); ++i) {
    const EnvelopeDecoder::Slots& s = decoder.slots()[i];
    QueueFileLayout::Slots slots{s.offset, s.copies, 0};
    const SlotImage* current = nullptr;
    for (const auto& copy : slots.copies)
      if (copy && (!current || copy->seq > current->seq)) current = &*copy;
    if (!current) fail(Kind::Corrupt, "corrupt: recipient " + num(i) + ": both status slots are damaged");
    try {
      envelope_.recipients[i].status = fromSlotImage(*current);
    } catch (const FieldError& e) {
      fail(Kind::Corrupt, "corrupt: recipient " + num(i) + ": " + e.what());
    }
    slots.seq = current->seq;
    layout_.slots.push_back(slots);
  }
}

// Update records follow 'E' until the end of the file. The first one that
// is incomplete or fails its checksum ends them: it is a torn append that
// was never acknowledged (the updater truncates it before appending).
void QueueFileReader::applyUpdate(const UpdateEntry& entry) {
  Recipient& rcpt = envelope_.recipients[entry.index];
  QueueFileLayout::Slots& slots = layout_.slots[entry.index];
  if (entry.image.seq > slots.seq) {
    rcpt.status = fromSlotImage(entry.image);
    slots.seq = entry.image.seq;
  }
  if (entry.hasReport) rcpt.report = entry.report;
}

void QueueFileReader::parseUpdates() {
  const std::uint64_t start = layout_.header.endOffset;
  const bool tolerate = layout_.header.minor > kFormatMinor;
  if (layout_.fileSize - start > kMaxRegion)
    fail(Kind::Corrupt, "corrupt: " + num(layout_.fileSize - start) + " bytes of updates");
  std::string buf(static_cast<std::size_t>(layout_.fileSize - start), '\0');
  buf.resize(preadFull(fd_->get(), buf.data(), buf.size(), start, path_));

  std::size_t pos = 0;
  while (pos < buf.size()) {
    RawRecord r;
    if (parseRecord(buf, pos, start, r) != ParseStatus::Ok) break;
    if (r.type == rec::kUpdate) {
      std::vector<UpdateEntry> entries;
      try {
        entries = decodeUpdate(r.data, tolerate);
      } catch (const FieldError& e) {
        fail(Kind::Corrupt, "corrupt: update record at offset " + num(r.offset) + ": " + e.what());
      }
      for (const UpdateEntry& u : entries) {
        if (u.index >= envelope_.recipients.size())
          fail(Kind::Corrupt, "corrupt: update record at offset " + num(r.offset) +
                                  " names recipient " + num(u.index) + " of " +
                                  num(envelope_.recipients.size()));
        applyUpdate(u);
      }
    } else if (!isOptionalType(r.type)) {
      fail(Kind::Corrupt, "corrupt: unexpected " + typeName(r.type) + " record at offset " +
                              num(r.offset) + " after the end record");
    }
    pos += r.size;
  }
  layout_.updatesEnd = start + pos;
}

}  // namespace posthorn::queue
