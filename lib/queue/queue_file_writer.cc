// queue_file_writer - temp file, streamed content, envelope, fsync, rename
#include "lib/queue/queue_file_writer.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "lib/util/crc32c.h"
#include "lib/queue/queue_envelope_codec.h"
#include "lib/queue/queue_record.h"

namespace posthorn::queue {
namespace {

using Kind = QueueFileError::Kind;
constexpr std::size_t kBufferSize = 64u << 10;

// rename without replacing: renameat2(RENAME_NOREPLACE), or link+unlink on
// file systems that lack it. Returns errno, 0 on success.
int renameNoReplace(int dirfd, const std::string& from, const std::string& to) {
  if (::renameat2(dirfd, from.c_str(), dirfd, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return errno;
  if (::linkat(dirfd, from.c_str(), dirfd, to.c_str(), 0) != 0) return errno;
  ::unlinkat(dirfd, from.c_str(), 0);
  return 0;
}

}  // namespace

QueueFileWriter::QueueFileWriter(std::string directory)
    : directory_(std::move(directory)), id_(QueueId::generate()) {
  create(false);
}

QueueFileWriter::QueueFileWriter(std::string directory, QueueId id)
    : directory_(std::move(directory)), id_(std::move(id)) {
  if (!QueueId::isValid(id_.str()))
    throw QueueFileError(Kind::Invalid, directory_, "invalid queue ID '" + id_.str() + "'");
  create(true);
}

QueueFileWriter::~QueueFileWriter() { abort(); }

void QueueFileWriter::create(bool idGiven) {
  const int dfd = ::open(directory_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) throwIo(directory_, "open directory", errno);
  dir_ = FileHandle(dfd);
  for (int attempt = 0;; ++attempt) {
    const std::string temp = tempName(id_);
    tempPath_ = directory_ + "/" + temp;
    finalPath_ = directory_ + "/" + id_.str();
    const int fd = ::openat(dir_.get(), temp.c_str(),
                            O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd >= 0) {
      file_ = FileHandle(fd);
      break;
    }
    // A leftover temp file with this name: take the next ID.
    if (errno != EEXIST || idGiven || attempt == 9) throwIo(tempPath_, "create", errno);
    id_ = QueueId::generate();
  }
  // Placeholders for the 'H' record and the 'X' record's header; commit()
  // fills them in once the sizes are known.
  buffer_.reserve(kBufferSize);
  buffer_.assign(kContentOffset, '\0');
}

void QueueFileWriter::flush() {
  writeFull(file_.get(), buffer_.data(), buffer_.size(), tempPath_);
  buffer_.clear();
}

void QueueFileWriter::appendContent(std::string_view chunk) {
  if (committed_ || !file_.valid())
    throw QueueFileError(Kind::Invalid, tempPath_, "appendContent after commit or abort");
  if (chunk.size() > kMaxRecordData - contentLength_) {
    abort();
    throw QueueFileError(Kind::Invalid, tempPath_, "message too large for a queue file (4 GiB)");
  }
  try {
    contentCrc_ = util::crc32c(chunk, contentCrc_);
    contentLength_ += chunk.size();
    if (buffer_.size() + chunk.size() <= kBufferSize) {
      buffer_.append(chunk);
      return;
    }
    flush();
    if (chunk.size() >= kBufferSize)
      writeFull(file_.get(), chunk.data(), chunk.size(), tempPath_);
    else
      buffer_.append(chunk);
  } catch (...) {
    abort();
    throw;
  }
}

const std::string& QueueFileWriter::commit(const Envelope& envelope) {
  if (committed_ || !file_.valid())
    throw QueueFileError(Kind::Invalid, tempPath_, "commit after commit or abort");
  try {
    const std::uint32_t length = static_cast<std::uint32_t>(contentLength_);
    putU32(buffer_, finishRecordCrc(contentCrc_, rec::kContent, length));

    FileHeader header;
    header.recipientCount = static_cast<std::uint32_t>(envelope.recipients.size());
    header.contentLength = contentLength_;
    header.envelopeOffset = kContentOffset + contentLength_ + kRecordCrcSize;
    EncodedEnvelope encoded;
    std::vector<UpdateEntry> reports;
    try {
      encoded = encodeEnvelope(envelope, header.envelopeOffset);
      for (std::uint32_t i = 0; i < envelope.recipients.size(); ++i) {
        const Recipient& r = envelope.recipients[i];
        if (!r.report.empty()) reports.push_back({i, toSlotImage(r.status, 1), true, r.report});
      }
    } catch (const FieldError& e) {
      throw QueueFileError(Kind::Invalid, tempPath_, e.what());
    }
    header.endOffset = header.envelopeOffset + encoded.bytes.size();
    buffer_ += encoded.bytes;
    if (!reports.empty()) appendRecord(buffer_, rec::kUpdate, encodeUpdate(now(), reports));
    flush();

    std::string head;
    appendRecord(head, rec::kHeader, encodeHeader(header));
    putU8(head, static_cast<std::uint8_t>(rec::kContent));
    putU32(head, length);
    pwriteFull(file_.get(), head.data(), head.size(), 0, tempPath_);

    fsyncChecked(file_.get(), tempPath_);
    file_.close(tempPath_);
    publish();
  } catch (...) {
    abort();
    throw;
  }
  return finalPath_;
}

void QueueFileWriter::publish() {
  const std::string temp = tempName(id_);
  if (const int err = renameNoReplace(dir_.get(), temp, id_.str()); err != 0) {
    if (err == EEXIST)
      throw QueueFileError(Kind::Io, finalPath_, "queue file already exists; not replaced");
    throwIo(finalPath_, "rename " + temp, err);
  }
  committed_ = true;
  try {
    fsyncChecked(dir_.get(), directory_);
  } catch (...) {
    // The name may or may not survive a crash: take the file back, so the
    // client's retry cannot turn into a second copy of the message.
    ::unlinkat(dir_.get(), id_.str().c_str(), 0);
    throw;
  }
  dir_ = FileHandle();
}

void QueueFileWriter::abort() noexcept {
  if (committed_ || !dir_.valid()) return;
  file_ = FileHandle();
  ::unlinkat(dir_.get(), tempName(id_).c_str(), 0);
  dir_ = FileHandle();
}

}  // namespace posthorn::queue
