// queue_record - record framing, big-endian fields, header and slot codecs
#include "lib/queue/queue_record.h"

#include <cstdio>
#include <cstring>

#include "lib/util/crc32c.h"

namespace posthorn::queue {

std::size_t crcSkip(char type) { return type == rec::kRecipient ? kSlotsSize : 0; }

bool isOptionalType(char type) { return type >= 'a' && type <= 'z'; }

std::string typeName(char type) {
  const auto u = static_cast<unsigned char>(type);
  char buf[8];
  if (u > 0x20 && u < 0x7F)
    std::snprintf(buf, sizeof buf, "'%c'", type);
  else
    std::snprintf(buf, sizeof buf, "0x%02X", u);
  return buf;
}

void putU8(std::string& out, std::uint8_t v) { out.push_back(static_cast<char>(v)); }

void putU16(std::string& out, std::uint16_t v) {
  putU8(out, static_cast<std::uint8_t>(v >> 8));
  putU8(out, static_cast<std::uint8_t>(v));
}

void putU32(std::string& out, std::uint32_t v) {
  putU16(out, static_cast<std::uint16_t>(v >> 16));
  putU16(out, static_cast<std::uint16_t>(v));
}

void putU64(std::string& out, std::uint64_t v) {
  putU32(out, static_cast<std::uint32_t>(v >> 32));
  putU32(out, static_cast<std::uint32_t>(v));
}

void putI64(std::string& out, std::int64_t v) { putU64(out, static_cast<std::uint64_t>(v)); }

void putString(std::string& out, std::string_view s) {
  if (s.size() > kMaxRecordData) throw FieldError("string longer than 4 GiB");
  putU32(out, static_cast<std::uint32_t>(s.size()));
  out.append(s);
}

std::uint32_t getU32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return (std::uint32_t{u[0]} << 24) | (std::uint32_t{u[1]} << 16) | (std::uint32_t{u[2]} << 8) |
         std::uint32_t{u[3]};
}

std::uint64_t getU64(const char* p) {
  return (std::uint64_t{getU32(p)} << 32) | std::uint64_t{getU32(p + 4)};
}

std::uint32_t finishRecordCrc(std::uint32_t dataCrc, char type, std::uint32_t length) {
  std::string header;
  putU8(header, static_cast<std::uint8_t>(type));
  putU32(header, length);
  return util::crc32c(header, dataCrc);
}

std::uint32_t recordCrc(char type, std::string_view data) {
  const std::size_t skip = crcSkip(type);
  const std::string_view covered = data.size() >= skip ? data.substr(skip) : std::string_view();
  return finishRecordCrc(util::crc32c(covered), type, static_cast<std::uint32_t>(data.size()));
}

void appendRecord(std::string& out, char type, std::string_view data) {
  if (data.size() > kMaxRecordData) throw FieldError(typeName(type) + " record longer than 4 GiB");
  putU8(out, static_cast<std::uint8_t>(type));
  putU32(out, static_cast<std::uint32_t>(data.size()));
  out.append(data);
  putU32(out, recordCrc(type, data));
}

// --- FieldReader ----------------------------------------------------------

void FieldReader::need(std::size_t n) const {
  if (remaining() < n)
    throw FieldError("field needs " + std::to_string(n) + " bytes, record has " +
                     std::to_string(remaining()) + " left");
}

std::uint8_t FieldReader::u8() {
  need(1);
  return static_cast<std::uint8_t>(data_[pos_++]);
}

std::uint16_t FieldReader::u16() {
  need(2);
  const auto* u = reinterpret_cast<const unsigned char*>(data_.data() + pos_);
  pos_ += 2;
  return static_cast<std::uint16_t>((u[0] << 8) | u[1]);
}

std::uint32_t FieldReader::u32() {
  need(4);
  const std::uint32_t v = getU32(data_.data() + pos_);
  pos_ += 4;
  return v;
}

std::uint64_t FieldReader::u64() {
  need(8);
  const std::uint64_t v = getU64(data_.data() + pos_);
  pos_ += 8;
  return v;
}

std::int64_t FieldReader::i64() { return static_cast<std::int64_t>(u64()); }

std::string_view FieldReader::bytes(std::size_t n) {
  need(n);
  const std::string_view v = data_.substr(pos_, n);
  pos_ += n;
  return v;
}

std::string FieldReader::string() {
  const std::uint32_t n = u32();
  if (remaining() < n)
    throw FieldError("string of " + std::to_string(n) + " bytes overruns the record (" +
                     std::to_string(remaining()) + " left)");
  return std::string(bytes(n));
}

void FieldReader::finish(bool tolerateTrailing) const {
  if (!atEnd() && !tolerateTrailing)
    throw FieldError(std::to_string(remaining()) + " unexpected trailing bytes");
}

// --- records --------------------------------------------------------------

ParseStatus parseRecord(std::string_view buffer, std::size_t pos, std::uint64_t base,
                        RawRecord& out) {
  if (pos > buffer.size() || buffer.size() - pos < kRecordOverhead) return ParseStatus::Incomplete;
  const char type = buffer[pos];
  const std::uint64_t length = getU32(buffer.data() + pos + 1);
  if (buffer.size() - pos - kRecordOverhead < length) return ParseStatus::Incomplete;
  const std::string_view data = buffer.substr(pos + kRecordHeaderSize, length);
  if (data.size() < crcSkip(type)) return ParseStatus::BadChecksum;
  const std::uint32_t stored = getU32(buffer.data() + pos + kRecordHeaderSize + length);
  if (stored != recordCrc(type, data)) return ParseStatus::BadChecksum;
  out.type = type;
  out.data = data;
  out.offset = base + pos;
  out.size = kRecordOverhead + length;
  return ParseStatus::Ok;
}

// --- header ---------------------------------------------------------------

std::string encodeHeader(const FileHeader& h) {
  std::string out(kMagic, sizeof kMagic);
  putU16(out, h.major);
  putU16(out, h.minor);
  putU32(out, h.flags);
  putU32(out, h.recipientCount);
  putU64(out, h.contentLength);
  putU64(out, h.envelopeOffset);
  putU64(out, h.endOffset);
  return out;
}

FileHeader decodeHeader(std::string_view data) {
  FieldReader in(data);
  if (data.size() < sizeof kMagic || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0)
    throw FieldError("not a posthorn queue file (bad magic)");
  in.bytes(sizeof kMagic);
  FileHeader h;
  h.major = in.u16();
  h.minor = in.u16();
  h.flags = in.u32();
  h.recipientCount = in.u32();
  h.contentLength = in.u64();
  h.envelopeOffset = in.u64();
  h.endOffset = in.u64();
  return h;
}

// --- slots ----------------------------------------------------------------

void putSlotImage(std::string& out, const SlotImage& s) {
  putU32(out, s.seq);
  putU8(out, s.state);
  putU8(out, s.flags);
  putU16(out, 0);
  putU32(out, s.attempts);
  putI64(out, s.nextRetry);
}

SlotImage getSlotImage(FieldReader& in) {
  SlotImage s;
  s.seq = in.u32();
  s.state = in.u8();
  s.flags = in.u8();
  in.u16();  // reserved
  s.attempts = in.u32();
  s.nextRetry = in.i64();
  return s;
}

std::string encodeSlot(const SlotImage& image) {
  std::string out;
  putSlotImage(out, image);
  putU32(out, util::crc32c(out));
  return out;
}

std::optional<SlotImage> decodeSlot(std::string_view slot) {
  if (slot.size() != kSlotSize) return std::nullopt;
  if (util::crc32c(slot.substr(0, kSlotImageSize)) != getU32(slot.data() + kSlotImageSize))
    return std::nullopt;
  FieldReader in(slot.substr(0, kSlotImageSize));
  return getSlotImage(in);
}

}  // namespace posthorn::queue
