// maildrop_file - encoding, stream checking and reading of maildrop files
// (the format is described in maildrop_file.h).
#include "lib/queue/maildrop_file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "lib/util/crc32c.h"

namespace posthorn::maildrop {

// A change of either message changes what the file holds.
static_assert(ipc::CleanupOpen::kVersion == 1 && ipc::CleanupEnvelope::kVersion == 1,
              "the cleanup messages changed: bump maildrop::kFormatVersion and adjust this");

namespace {

using Kind = MaildropError::Kind;

void putU32(std::string& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void putU64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

std::uint64_t getBig(std::string_view bytes) {
  std::uint64_t v = 0;
  for (unsigned char c : bytes) v = (v << 8) | c;
  return v;
}

[[noreturn]] void malformed(const std::string& what) {
  throw MaildropError(Kind::Malformed, "malformed maildrop file: " + what);
}

void checkFixed(std::string_view fixed) {
  if (fixed.substr(0, 8) != kMagic) malformed("bad magic (not a maildrop file)");
  const auto version = getBig(fixed.substr(8, 4));
  if (version != kFormatVersion)
    malformed("format version " + std::to_string(version) + ", expected " +
              std::to_string(kFormatVersion));
  const auto openLength = getBig(fixed.substr(12, 4));
  if (openLength == 0 || openLength > kMaxOpenLength)
    malformed("CleanupOpen length " + std::to_string(openLength));
}

// One of the cleanup messages the file holds; one that does not decode
// makes the file malformed (`part` says where).
template <class Message>
Message decodePart(std::string_view body, const char* part) {
  try {
    return ipc::decodeBody<Message>(body);
  } catch (const ipc::ProtocolError& e) {
    malformed(std::string(part) + ": " + e.what());
  }
}

std::uint32_t decodeFlags(std::string_view body) {
  const auto open = decodePart<ipc::CleanupOpen>(body, "flags");
  if ((open.flags & ~ipc::cleanup_flags::kAll) != 0)
    malformed("unknown flags " + std::to_string(open.flags));
  return open.flags;
}

std::size_t checkEnvelopeLength(std::string_view bytes) {
  const auto length = getBig(bytes);
  if (length == 0 || length > kMaxEnvelope)
    malformed("envelope length " + std::to_string(length) + " (at most " +
              std::to_string(kMaxEnvelope) + ")");
  return static_cast<std::size_t>(length);
}

ipc::CleanupEnvelope decodeEnvelope(std::string_view body) {
  auto env = decodePart<ipc::CleanupEnvelope>(body, "envelope");
  if (static_cast<unsigned>(env.ret) > static_cast<unsigned>(queue::Ret::Headers))
    malformed("envelope: bad RET value");
  if (static_cast<unsigned>(env.body) > static_cast<unsigned>(queue::BodyType::BinaryMime))
    malformed("envelope: bad BODY value");
  return env;
}

// The end marker's content length, after checking its magic.
std::uint64_t checkTrailer(std::string_view trailer, std::uint32_t crc) {
  if (trailer.substr(0, 8) != kEndMagic) malformed("no end marker (truncated?)");
  const std::uint64_t length = getBig(trailer.substr(8, 8));
  const auto stored = static_cast<std::uint32_t>(getBig(trailer.substr(16, 4)));
  if (stored != crc) malformed("checksum mismatch");
  return length;
}

}  // namespace

std::string encodeHeader(const MaildropHeader& header) {
  ipc::CleanupOpen open;
  open.flags = header.flags;
  const std::string openBody = ipc::encode(open);
  const std::string envBody = ipc::encode(header.envelope);
  if (envBody.size() > kMaxEnvelope)
    throw MaildropError(Kind::TooBig, "envelope too large (" + std::to_string(envBody.size()) +
                                          " bytes, at most " + std::to_string(kMaxEnvelope) + ")");
  std::string out(kMagic);
  putU32(out, kFormatVersion);
  putU32(out, static_cast<std::uint32_t>(openBody.size()));
  out += openBody;
  putU32(out, static_cast<std::uint32_t>(envBody.size()));
  out += envBody;
  return out;
}

std::string encodeTrailer(std::uint64_t contentLength, std::uint32_t crc) {
  std::string out(kEndMagic);
  putU64(out, contentLength);
  putU32(out, crc);
  return out;
}

std::string encodeFile(const MaildropHeader& header, std::string_view content) {
  std::string out;
  MaildropWriter w([&](std::string_view s) { out.append(s); }, header);
  w.write(content);
  w.finish();
  return out;
}

// --- MaildropWriter -----------------------------------------------------------

MaildropWriter::MaildropWriter(Sink sink, const MaildropHeader& header) : sink_(std::move(sink)) {
  const std::string head = encodeHeader(header);
  crc_ = util::crc32c(head, crc_);
  sink_(head);
}

void MaildropWriter::write(std::string_view content) {
  if (content.empty()) return;
  crc_ = util::crc32c(content, crc_);
  contentLength_ += content.size();
  sink_(content);
}

void MaildropWriter::finish() {
  if (finished_) return;
  finished_ = true;
  sink_(encodeTrailer(contentLength_, crc_));
}

// --- MaildropParser -----------------------------------------------------------

void MaildropParser::feed(std::string_view bytes) {
  if (finished_) malformed("data after the end");
  pending_.append(bytes);
  if (pending_.size() <= kTrailerSize) return;
  const std::size_t n = pending_.size() - kTrailerSize;
  consume(std::string_view(pending_).substr(0, n));
  pending_.erase(0, n);
}

void MaildropParser::consume(std::string_view data) {
  crc_ = util::crc32c(data, crc_);
  while (!data.empty()) {
    if (state_ == State::Content) {
      consumed_ += data.size();
      contentLength_ += data.size();
      if (contentLength_ > maxContent_)
        throw MaildropError(Kind::TooBig, "message file too big (more than " +
                                              std::to_string(maxContent_) + " bytes)");
      return;
    }
    const std::size_t take = std::min(need_ - field_.size(), data.size());
    field_.append(data.substr(0, take));
    data.remove_prefix(take);
    consumed_ += take;
    if (field_.size() == need_) completeField();
  }
}

void MaildropParser::completeField() {
  switch (state_) {
    case State::Fixed:
      checkFixed(field_);
      need_ = static_cast<std::size_t>(getBig(std::string_view(field_).substr(12, 4)));
      state_ = State::Open;
      break;
    case State::Open:
      header_.flags = decodeFlags(field_);
      need_ = 4;
      state_ = State::EnvelopeLength;
      break;
    case State::EnvelopeLength:
      need_ = checkEnvelopeLength(field_);
      state_ = State::Envelope;
      break;
    case State::Envelope:
      header_.envelope = decodeEnvelope(field_);
      contentOffset_ = consumed_;
      state_ = State::Content;
      break;
    case State::Content:
      break;
  }
  field_.clear();
  field_.shrink_to_fit();
}

void MaildropParser::finish() {
  if (finished_) return;
  finished_ = true;
  if (state_ != State::Content || pending_.size() != kTrailerSize)
    malformed("ends before the envelope is complete (truncated)");
  const std::uint64_t length = checkTrailer(pending_, crc_);
  if (length != contentLength_)
    malformed("end marker says " + std::to_string(length) + " content bytes, but " +
              std::to_string(contentLength_) + " came");
}

// --- MaildropReader -----------------------------------------------------------

namespace {

void preadExact(int fd, char* buf, std::size_t n, std::uint64_t offset) {
  std::size_t done = 0;
  while (done < n) {
    const ssize_t r = ::pread(fd, buf + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw MaildropError(Kind::Io, std::string("read: ") + std::strerror(errno));
    if (r == 0) throw MaildropError(Kind::Io, "read: the file became shorter");
    done += static_cast<std::size_t>(r);
  }
}

std::string preadString(int fd, std::size_t n, std::uint64_t offset) {
  std::string s(n, '\0');
  preadExact(fd, s.data(), n, offset);
  return s;
}

}  // namespace

MaildropReader::MaildropReader(int fd, std::uint64_t maxContent) : fd_(fd) {
  struct stat st;
  if (::fstat(fd, &st) != 0) throw MaildropError(Kind::Io, std::string("fstat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) malformed("not a regular file");
  fileSize_ = static_cast<std::uint64_t>(st.st_size);
  if (fileSize_ < kFixedHeaderSize + 4 + kTrailerSize) malformed("too short (truncated?)");

  const std::string fixed = preadString(fd, kFixedHeaderSize, 0);
  checkFixed(fixed);
  const auto openLength = static_cast<std::size_t>(getBig(std::string_view(fixed).substr(12, 4)));
  std::uint64_t pos = kFixedHeaderSize;
  if (pos + openLength + 4 + kTrailerSize > fileSize_) malformed("too short (truncated?)");
  header_.flags = decodeFlags(preadString(fd, openLength, pos));
  pos += openLength;
  const std::size_t envLength = checkEnvelopeLength(preadString(fd, 4, pos));
  pos += 4;
  if (pos + envLength + kTrailerSize > fileSize_) malformed("too short for its envelope (truncated?)");
  const std::string envBody = preadString(fd, envLength, pos);
  pos += envLength;
  contentOffset_ = pos;

  const std::string trailer = preadString(fd, kTrailerSize, fileSize_ - kTrailerSize);
  if (std::string_view(trailer).substr(0, 8) != kEndMagic) malformed("no end marker (truncated?)");
  contentLength_ = getBig(std::string_view(trailer).substr(8, 8));
  if (contentLength_ > maxContent)
    throw MaildropError(Kind::TooBig, "message file too big (" + std::to_string(contentLength_) +
                                          " bytes)");
  if (contentOffset_ + contentLength_ + kTrailerSize != fileSize_)
    malformed("end marker says " + std::to_string(contentLength_) + " content bytes, but the file has " +
              std::to_string(fileSize_ - kTrailerSize - contentOffset_));

  // The checksum over everything before the end marker.
  std::uint32_t crc = 0;
  std::string buf(64 * 1024, '\0');
  for (std::uint64_t off = 0; off < fileSize_ - kTrailerSize;) {
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), fileSize_ - kTrailerSize - off));
    preadExact(fd, buf.data(), n, off);
    crc = util::crc32c(buf.data(), n, crc);
    off += n;
  }
  checkTrailer(trailer, crc);
  header_.envelope = decodeEnvelope(envBody);
}

std::size_t MaildropReader::read(char* buffer, std::size_t size) {
  const std::uint64_t left = contentLength_ - position_;
  const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(left, size));
  if (n == 0) return 0;
  preadExact(fd_, buffer, n, contentOffset_ + position_);
  position_ += n;
  return n;
}

std::string MaildropReader::readAll() {
  std::string out;
  char buf[64 * 1024];
  while (std::size_t n = read(buf, sizeof buf)) out.append(buf, n);
  return out;
}

}  // namespace posthorn::maildrop
