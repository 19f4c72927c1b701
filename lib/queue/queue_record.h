// queue_record - the bytes of a queue file: record framing, fields, header
//
// A record is   type (1 byte) | length (u32) | data (length bytes) | crc (u32)
// with integers big-endian and crc = CRC-32C over data[skip:] followed by
// the 5 header bytes (so a writer can stream data before it knows the
// length). skip is 0 except for recipient records, whose first 48 bytes are
// the mutable status slots (each slot copy has its own CRC).
// doc/queue-file.md is the full description; this header is its code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace posthorn::queue {

inline constexpr char kMagic[4] = {'P', 'H', 'Q', 'F'};
inline constexpr std::uint16_t kFormatMajor = 1;  // a reader refuses any other major
inline constexpr std::uint16_t kFormatMinor = 1;  // newer minors only add (1.1: 'p')

// Record types. Upper case: a reader must understand it (an unknown one is
// corruption). Lower case: optional, a reader skips the ones it does not know.
namespace rec {
inline constexpr char kHeader = 'H';     // first, fixed place: sizes and version
inline constexpr char kContent = 'X';    // second: the message, raw bytes
inline constexpr char kTime = 'T';       // arrival time
inline constexpr char kSender = 'S';     // envelope sender
inline constexpr char kMailParams = 'M';  // RET, BODY, SMTPUTF8, ENVID, AUTH
inline constexpr char kClient = 'C';     // client address, name, helo, TLS, SASL
inline constexpr char kAttribute = 'N';  // named attribute (name, value)
inline constexpr char kRecipient = 'R';  // one recipient, with its status slots
inline constexpr char kEnd = 'E';        // last of the immutable part
inline constexpr char kPrepend = 'p';    // 1.1: header fields delivered before the content
inline constexpr char kUpdate = 'U';     // appended status updates, after 'E'
}  // namespace rec

inline constexpr std::size_t kRecordHeaderSize = 5;  // type + length
inline constexpr std::size_t kRecordCrcSize = 4;
inline constexpr std::size_t kRecordOverhead = kRecordHeaderSize + kRecordCrcSize;
inline constexpr std::uint64_t kMaxRecordData = 0xFFFFFFFFu;

inline constexpr std::size_t kHeaderDataSize = 40;
inline constexpr std::size_t kHeaderRecordSize = kRecordOverhead + kHeaderDataSize;  // 49
inline constexpr std::size_t kContentOffset = kHeaderRecordSize + kRecordHeaderSize;  // 54

inline constexpr std::size_t kSlotImageSize = 20;  // seq, state, flags, attempts, retry
inline constexpr std::size_t kSlotSize = kSlotImageSize + 4;  // + crc
inline constexpr std::size_t kSlotsSize = 2 * kSlotSize;      // two copies

// Bytes at the start of a record's data that its CRC does not cover.
std::size_t crcSkip(char type);
bool isOptionalType(char type);  // lower case
std::string typeName(char type);  // "'R'" or "0x07"

// --- writing --------------------------------------------------------------

void putU8(std::string& out, std::uint8_t v);
void putU16(std::string& out, std::uint16_t v);
void putU32(std::string& out, std::uint32_t v);
void putU64(std::string& out, std::uint64_t v);
void putI64(std::string& out, std::int64_t v);
void putString(std::string& out, std::string_view s);  // u32 length + bytes

std::uint32_t recordCrc(char type, std::string_view data);
// Finishes a CRC whose data part was computed incrementally (crc32c chain).
std::uint32_t finishRecordCrc(std::uint32_t dataCrc, char type, std::uint32_t length);
// Appends one whole record (header, data, crc) to `out`.
void appendRecord(std::string& out, char type, std::string_view data);

// --- reading --------------------------------------------------------------

// A decoding error inside one record; the reader adds the path and offset.
class FieldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Bounds-checked cursor over a record's data.
class FieldReader {
 public:
  explicit FieldReader(std::string_view data) : data_(data) {}
  std::uint8_t u8();
  std::uint16_t u16();
  std::uint32_t u32();
  std::uint64_t u64();
  std::int64_t i64();
  std::string string();
  std::string_view bytes(std::size_t n);
  bool atEnd() const { return pos_ == data_.size(); }
  std::size_t remaining() const { return data_.size() - pos_; }
  // Throws unless every byte was consumed (allowed: trailing fields that a
  // newer minor version added, when `tolerateTrailing`).
  void finish(bool tolerateTrailing) const;

 private:
  void need(std::size_t n) const;
  std::string_view data_;
  std::size_t pos_ = 0;
};

std::uint32_t getU32(const char* p);
std::uint64_t getU64(const char* p);

struct RawRecord {
  char type = 0;
  std::string_view data;
  std::uint64_t offset = 0;  // of the type byte, in the file
  std::size_t size = 0;      // whole record, overhead included
};

enum class ParseStatus { Ok, Incomplete, BadChecksum };

// Parses the record that starts at buffer[pos]; `base` is buffer's file offset.
ParseStatus parseRecord(std::string_view buffer, std::size_t pos, std::uint64_t base,
                        RawRecord& out);

// --- the 'H' record -------------------------------------------------------

struct FileHeader {
  std::uint16_t major = kFormatMajor;
  std::uint16_t minor = kFormatMinor;
  std::uint32_t flags = 0;
  std::uint32_t recipientCount = 0;
  std::uint64_t contentLength = 0;
  std::uint64_t envelopeOffset = 0;  // first envelope record (after 'X')
  std::uint64_t endOffset = 0;       // just past 'E': length of the immutable part
};

std::string encodeHeader(const FileHeader& header);  // the data part, 40 bytes
// Throws FieldError for a short record or bad magic; any version is returned.
FileHeader decodeHeader(std::string_view data);

// --- recipient status slots -----------------------------------------------

// The 20-byte image: seq u32, state u8, flags u8, reserved u16, attempts u32,
// nextRetry i64 (unix seconds). In a slot it is followed by its CRC-32C.
struct SlotImage {
  std::uint32_t seq = 0;
  std::uint8_t state = 0;
  std::uint8_t flags = 0;
  std::uint32_t attempts = 0;
  std::int64_t nextRetry = 0;
  bool operator==(const SlotImage&) const = default;
};
inline constexpr std::uint8_t kSlotFlagDelayWarned = 0x01;

void putSlotImage(std::string& out, const SlotImage& image);  // 20 bytes
SlotImage getSlotImage(FieldReader& in);
std::string encodeSlot(const SlotImage& image);                // 24 bytes
std::optional<SlotImage> decodeSlot(std::string_view slot);    // nullopt: bad CRC

}  // namespace posthorn::queue
