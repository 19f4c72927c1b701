// maildrop_file - the format of a file in maildrop/, shared by sendmail,
// postdrop(1), pickup(8) and showq(8)
//
// sendmail writes this format to postdrop's stdin; postdrop checks it as it
// streams and stores the same bytes as maildrop/ID; pickup reads the file,
// checks it again and hands it to cleanup. All integers are big-endian.
//
//   "PHMAILDR"                 8 bytes, kMagic
//   u32 format version         kFormatVersion (bumped on any change, also
//                              when CleanupOpen or CleanupEnvelope change)
//   u32 length + CleanupOpen   ipc codec body (the cleanup_flags)
//   u32 length + CleanupEnvelope   ipc codec body, at most kMaxEnvelope bytes
//   content                    the message as sendmail read it
//   "PHMDEND."                 8 bytes, kEndMagic
//   u64 content length
//   u32 CRC-32C of every byte before the end marker
//
// A file is complete only with its end marker, the right content length
// and a matching checksum, so a truncated or damaged file is refused,
// never read as a shorter message. Parsing never allocates more than the
// limits allow and throws MaildropError naming the problem.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "lib/ipc/ipc.h"
#include "lib/proto/proto_cleanup.h"

namespace posthorn::maildrop {

inline constexpr std::string_view kMagic = "PHMAILDR";
inline constexpr std::string_view kEndMagic = "PHMDEND.";
inline constexpr std::uint32_t kFormatVersion = 1;
inline constexpr std::size_t kFixedHeaderSize = 8 + 4 + 4;  // magic, version, open length
inline constexpr std::size_t kMaxOpenLength = 64;
inline constexpr std::size_t kMaxEnvelope = ipc::kMaxFrameBody;
inline constexpr std::size_t kTrailerSize = 8 + 8 + 4;
// The most content any reader accepts when not told less.
inline constexpr std::uint64_t kMaxContent = std::uint64_t{1} << 40;

class MaildropError : public std::runtime_error {
 public:
  enum class Kind { Malformed, TooBig, Io };
  MaildropError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

struct MaildropHeader {
  std::uint32_t flags = 0;  // ipc::cleanup_flags
  ipc::CleanupEnvelope envelope;
};

// The bytes before the content. Throws MaildropError(TooBig) when the
// envelope encodes to more than kMaxEnvelope bytes.
std::string encodeHeader(const MaildropHeader& header);
std::string encodeTrailer(std::uint64_t contentLength, std::uint32_t crc);
// A whole file (tests, small messages).
std::string encodeFile(const MaildropHeader& header, std::string_view content);

// Produces the format piece by piece (sendmail): the header at
// construction, content as it comes, the end marker at finish().
class MaildropWriter {
 public:
  using Sink = std::function<void(std::string_view)>;
  MaildropWriter(Sink sink, const MaildropHeader& header);
  void write(std::string_view content);
  void finish();
  std::uint64_t contentLength() const { return contentLength_; }

 private:
  Sink sink_;
  std::uint32_t crc_ = 0;
  std::uint64_t contentLength_ = 0;
  bool finished_ = false;
};

// Checks a stream as it arrives (postdrop's stdin): feed() every piece,
// finish() at the end of input. Holds back only the last kTrailerSize
// bytes. Throws MaildropError: Malformed (bad magic, version, lengths,
// envelope, end marker, checksum, or input that ends early) or TooBig (the
// content passes maxContent; thrown as soon as it does).
class MaildropParser {
 public:
  explicit MaildropParser(std::uint64_t maxContent = kMaxContent) : maxContent_(maxContent) {}
  void feed(std::string_view bytes);
  void finish();

  bool headerDone() const { return state_ == State::Content; }
  const MaildropHeader& header() const { return header_; }
  std::uint64_t contentLength() const { return contentLength_; }
  // Where the content starts in the stream (valid once headerDone()).
  std::uint64_t contentOffset() const { return contentOffset_; }

 private:
  enum class State { Fixed, Open, EnvelopeLength, Envelope, Content };
  void consume(std::string_view data);
  void completeField();

  std::uint64_t maxContent_;
  State state_ = State::Fixed;
  std::string field_;       // the header field being collected
  std::size_t need_ = kFixedHeaderSize;
  std::string pending_;     // the last bytes, maybe the trailer
  std::uint32_t crc_ = 0;
  std::uint64_t consumed_ = 0;
  std::uint64_t contentOffset_ = 0;
  std::uint64_t contentLength_ = 0;
  MaildropHeader header_;
  bool finished_ = false;
};

// Reads a maildrop file from an open descriptor (pickup, showq). The
// constructor checks everything (it reads the whole file once for the
// checksum); read() then streams the content. Throws MaildropError.
class MaildropReader {
 public:
  MaildropReader(int fd, std::uint64_t maxContent = kMaxContent);

  const MaildropHeader& header() const { return header_; }
  std::uint64_t contentLength() const { return contentLength_; }
  std::uint64_t fileSize() const { return fileSize_; }

  // Up to size content bytes; 0 at the end. Throws MaildropError(Io) when
  // the file changed under it (shorter than it was).
  std::size_t read(char* buffer, std::size_t size);
  std::string readAll();

 private:
  int fd_;
  MaildropHeader header_;
  std::uint64_t fileSize_ = 0;
  std::uint64_t contentOffset_ = 0;
  std::uint64_t contentLength_ = 0;
  std::uint64_t position_ = 0;
};

}  // namespace posthorn::maildrop
