// queue_record_test - CRC-32C, record framing, field decoding, header and
// status slot codecs
#include "lib/queue/queue_record.h"

#include <gtest/gtest.h>

#include <random>

#include "lib/util/crc32c.h"

namespace posthorn::queue {
namespace {
using util::crc32c;
using util::crc32cPortable;

TEST(Crc32cTest, KnownVectors) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32cPortable("123456789", 9), 0xE3069283u);
  // RFC 3720 B.4
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string(32, '\xFF')), 0x62A8AB43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(crc32c(descending), 0x113FDB5Cu);
  EXPECT_EQ(crc32c(""), 0u);
}

TEST(Crc32cTest, HardwareMatchesPortableAndChains) {
  std::mt19937 rng(7);
  std::string data(70000, '\0');
  for (char& c : data) c = static_cast<char>(rng());
  for (std::size_t start : {0, 1, 3, 7}) {
    for (std::size_t len : {0, 1, 7, 8, 9, 63, 64, 65, 4095, 65536}) {
      const std::string_view piece = std::string_view(data).substr(start, len);
      const std::uint32_t whole = crc32c(piece);
      ASSERT_EQ(whole, crc32cPortable(piece.data(), piece.size())) << start << "+" << len;
      for (std::size_t cut : {std::size_t{0}, len / 3, len}) {
        ASSERT_EQ(crc32c(piece.substr(cut), crc32c(piece.substr(0, cut))), whole);
      }
    }
  }
}

TEST(QueueRecordTest, FramingRoundTripAndChecks) {
  std::string buf;
  appendRecord(buf, 'S', "sender@example.org");
  appendRecord(buf, 'E', "");
  ASSERT_EQ(buf.size(), 2 * kRecordOverhead + 18);
  RawRecord r;
  ASSERT_EQ(parseRecord(buf, 0, 100, r), ParseStatus::Ok);
  EXPECT_EQ(r.type, 'S');
  EXPECT_EQ(r.data, "sender@example.org");
  EXPECT_EQ(r.offset, 100u);
  ASSERT_EQ(parseRecord(buf, r.size, 100, r), ParseStatus::Ok);
  EXPECT_EQ(r.type, 'E');
  EXPECT_TRUE(r.data.empty());

  for (std::size_t cut = 0; cut < kRecordOverhead + 18; ++cut)
    EXPECT_EQ(parseRecord(std::string_view(buf).substr(0, cut), 0, 0, r), ParseStatus::Incomplete);
  for (std::size_t i = 0; i < kRecordOverhead + 18; ++i) {
    std::string bad = buf;
    bad[i] ^= 0x20;
    EXPECT_NE(parseRecord(bad, 0, 0, r), ParseStatus::Ok) << "flip at " << i;
  }
}

TEST(QueueRecordTest, RecipientCrcSkipsTheSlots) {
  std::string data = encodeSlot({1, 0, 0, 0, 0}) + encodeSlot({0, 0, 0, 0, 0}) + "rest";
  std::string buf;
  appendRecord(buf, 'R', data);
  buf[kRecordHeaderSize + 3] ^= 0x55;  // inside slot 0: not covered
  RawRecord r;
  EXPECT_EQ(parseRecord(buf, 0, 0, r), ParseStatus::Ok);
  buf[kRecordHeaderSize + kSlotsSize] ^= 0x55;  // "rest": covered
  EXPECT_EQ(parseRecord(buf, 0, 0, r), ParseStatus::BadChecksum);
  std::string tooShort;
  appendRecord(tooShort, 'R', "short");
  EXPECT_EQ(parseRecord(tooShort, 0, 0, r), ParseStatus::BadChecksum);
}

TEST(QueueRecordTest, FieldReaderBounds) {
  std::string data;
  putU8(data, 0xAB);
  putU16(data, 0xBEEF);
  putU32(data, 0xDEADBEEF);
  putU64(data, 0x0123456789ABCDEFull);
  putI64(data, -5);
  putString(data, std::string("a\0b", 3));
  FieldReader in(data);
  EXPECT_EQ(in.u8(), 0xAB);
  EXPECT_EQ(in.u16(), 0xBEEF);
  EXPECT_EQ(in.u32(), 0xDEADBEEFu);
  EXPECT_EQ(in.u64(), 0x0123456789ABCDEFull);
  EXPECT_EQ(in.i64(), -5);
  EXPECT_EQ(in.string(), std::string("a\0b", 3));
  EXPECT_TRUE(in.atEnd());
  EXPECT_THROW(in.u8(), FieldError);

  std::string overrun;
  putU32(overrun, 1000);
  overrun += "abc";
  FieldReader o(overrun);
  EXPECT_THROW(o.string(), FieldError);

  FieldReader trailing("xy");
  trailing.u8();
  EXPECT_THROW(trailing.finish(false), FieldError);
  EXPECT_NO_THROW(trailing.finish(true));
}

TEST(QueueRecordTest, HeaderCodec) {
  FileHeader h;
  h.recipientCount = 7;
  h.contentLength = 123456789;
  h.envelopeOffset = 123456847;
  h.endOffset = 123999999;
  const std::string data = encodeHeader(h);
  ASSERT_EQ(data.size(), kHeaderDataSize);
  EXPECT_EQ(data.substr(0, 4), "PHQF");
  const FileHeader back = decodeHeader(data);
  EXPECT_EQ(back.major, kFormatMajor);
  EXPECT_EQ(back.minor, kFormatMinor);
  EXPECT_EQ(back.recipientCount, 7u);
  EXPECT_EQ(back.contentLength, 123456789u);
  EXPECT_EQ(back.envelopeOffset, 123456847u);
  EXPECT_EQ(back.endOffset, 123999999u);
  std::string bad = data;
  bad[0] = 'X';
  EXPECT_THROW(decodeHeader(bad), FieldError);
  EXPECT_THROW(decodeHeader(data.substr(0, 20)), FieldError);
}

TEST(QueueRecordTest, SlotCodecDetectsAnyDamage) {
  const SlotImage image{42, 4, kSlotFlagDelayWarned, 17, 1700000000};
  const std::string slot = encodeSlot(image);
  ASSERT_EQ(slot.size(), kSlotSize);
  auto back = decodeSlot(slot);
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, image);
  for (std::size_t i = 0; i < slot.size(); ++i)
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = slot;
      bad[i] ^= static_cast<char>(1 << bit);
      EXPECT_FALSE(decodeSlot(bad)) << i << "/" << bit;
    }
  EXPECT_FALSE(decodeSlot(std::string(kSlotSize, '\0')));  // a zero-filled block is not valid
}

}  // namespace
}  // namespace posthorn::queue
