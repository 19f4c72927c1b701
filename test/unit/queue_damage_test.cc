// queue_damage_test - a damaged queue file is refused with a clear error:
// truncation at every byte, a flipped byte anywhere in the immutable part,
// torn update tails, versions and unknown records
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <optional>
#include <random>
#include <typeinfo>

#include "lib/queue/queue_file.h"
#include "lib/queue/queue_file_reader.h"
#include "lib/queue/queue_file_writer.h"
#include "test/unit/queue_test_util.h"

namespace posthorn::queue {
namespace {

using namespace posthorn::testing;
using Kind = QueueFileError::Kind;
using namespace std::string_literals;

const std::string kMessage =
    "Return-Path: <sender+tag@example.org>\r\n"
    "Received: from mail.example.org (mail.example.org [2001:db8::25])\r\n"
    "\tby mx.example.net (posthorn) with ESMTPSA id 1BvWq3ZkT0004\r\n"
    "\tfor <user0@example.net>; Tue, 14 Nov 2023 22:13:20 +0000\r\n"
    "From: Sender <sender+tag@example.org>\r\n"
    "To: user0@example.net, user1@example.net\r\n"
    "Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=\r\n"
    "Message-ID: <20231114221320.12345@example.org>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=UTF-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n";

std::string realisticContent() {
  std::string c = kMessage;
  for (int i = 0; c.size() < 2500; ++i)
    c += "Line " + std::to_string(i) + " of the body, with \xc3\xa4\xc3\xb6\xc3\xbc and a tab\there.\r\n";
  return c + ".\r\n..leading dot\r\n";
}

std::string writeSample(const TempDir& dir, std::size_t recipients = 8) {
  QueueFileWriter w(dir.path());
  const std::string content = realisticContent();
  for (std::size_t pos = 0; pos < content.size(); pos += 700) w.appendContent(content.substr(pos, 700));
  return w.commit(sampleEnvelope(recipients));
}

// What a reader sees of the recipients (status and report).
std::vector<Recipient> recipientsOf(const std::string& path) {
  return QueueFileReader(path).envelope().recipients;
}

// Opens the file and reads all of it; the error if anything is wrong.
std::optional<QueueFileError> readWhole(const std::string& path) {
  try {
    QueueFileReader r(path);
    r.verifyContent();
    return std::nullopt;
  } catch (const QueueFileError& e) {
    return e;
  }
}

TEST(QueueDamageTest, TruncationAtEveryOffsetIsReported) {
  TempDir dir;
  const std::string path = writeSample(dir);
  // Two appended updates, so the file also has a tail that may be torn.
  std::vector<std::vector<Recipient>> snapshots{recipientsOf(path)};
  {
    QueueFile q(path);
    q.defer(1, std::chrono::sys_seconds(std::chrono::seconds(1700009999)),
            {{}, "4.2.0", "smtp; 452 4.2.0 over quota", "dns; mx.example.net"});
    snapshots.push_back(recipientsOf(path));
    q.markDone(2, RecipientState::Failed, {{}, "5.1.1", "smtp; 550 5.1.1 no such user", "dns; mx.example.net"});
    snapshots.push_back(recipientsOf(path));
  }
  const std::string full = readFile(path);
  QueueFileReader whole(path);
  const std::uint64_t endOffset = whole.layout().header.endOffset;
  const std::string content = whole.readContent();
  ASSERT_GT(full.size(), 4000u);
  ASSERT_LT(endOffset, full.size());

  // Offsets at which each appended update record ends.
  std::vector<std::uint64_t> updateEnds;
  {
    std::uint64_t pos = endOffset;
    RawRecord r;
    while (parseRecord(full, pos, 0, r) == ParseStatus::Ok) updateEnds.push_back(pos += r.size);
    ASSERT_EQ(updateEnds.size(), 2u);
  }

  // Longest first, cutting one file shorter and shorter with ftruncate.
  const std::string cut = dir / "cut";
  writeFile(cut, full);
  for (std::size_t length = full.size(); length-- > 0;) {
    ASSERT_EQ(truncate(cut.c_str(), static_cast<off_t>(length)), 0);
    if (length < endOffset) {
      auto error = readWhole(cut);
      ASSERT_TRUE(error) << "a file cut to " << length << " of " << full.size() << " bytes was accepted";
      EXPECT_EQ(error->kind(), Kind::Truncated) << length << ": " << error->what();
      EXPECT_NE(std::string(error->what()).find("truncated"), std::string::npos) << error->what();
      EXPECT_EQ(error->path(), cut);
    } else {
      // The immutable part is whole: the message is complete, and an update
      // record cut short (never acknowledged) is ignored.
      QueueFileReader r(cut);
      EXPECT_EQ(r.readContent(), content);
      std::size_t complete = 0;
      while (complete < updateEnds.size() && updateEnds[complete] <= length) ++complete;
      EXPECT_EQ(r.envelope().recipients, snapshots[complete]) << "cut at " << length;
    }
  }
  overwriteFile(cut, full.substr(0, 1000));
  auto error = readWhole(cut);
  ASSERT_TRUE(error);
  EXPECT_EQ(error->detail(), "truncated: expected at least " + std::to_string(endOffset) +
                                 " bytes, file has 1000");
}

TEST(QueueDamageTest, FlippedByteInTheImmutablePartIsReported) {
  TempDir dir;
  const std::string path = writeSample(dir);
  const QueueFileReader original(path);
  const std::uint64_t endOffset = original.layout().header.endOffset;
  const auto recipients = original.envelope().recipients;
  std::vector<bool> isSlot(endOffset, false);
  for (const auto& s : original.layout().slots)
    for (std::size_t i = 0; i < kSlotsSize; ++i) isSlot[s.offset + i] = true;

  const int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  int checked = 0;
  for (std::uint64_t offset = 0; offset < endOffset; ++offset) {
    char byte;
    ASSERT_EQ(pread(fd, &byte, 1, static_cast<off_t>(offset)), 1);
    for (unsigned char mask : {0x01, 0x80, 0xFF}) {
      const char flipped = static_cast<char>(byte ^ mask);
      ASSERT_EQ(pwrite(fd, &flipped, 1, static_cast<off_t>(offset)), 1);
      auto error = readWhole(path);
      if (!isSlot[offset]) {
        ASSERT_TRUE(error) << "flip 0x" << std::hex << int(mask) << " at " << std::dec << offset
                           << " went unnoticed";
        EXPECT_TRUE(error->isDamaged()) << error->what();
        ++checked;
      } else {
        // Status slots are mutable and come in pairs: damage to one copy
        // falls back to the other, which (never updated) holds the same.
        ASSERT_FALSE(error) << offset << ": " << error->what();
        EXPECT_EQ(QueueFileReader(path).envelope().recipients, recipients);
      }
    }
    ASSERT_EQ(pwrite(fd, &byte, 1, static_cast<off_t>(offset)), 1);
  }
  close(fd);
  EXPECT_GT(checked, 3 * 3000);
  EXPECT_FALSE(readWhole(path));
}

TEST(QueueDamageTest, ErrorsNameWhatIsWrong) {
  TempDir dir;
  const std::string path = writeSample(dir, 2);
  const std::string full = readFile(path);
  const QueueFileReader r(path);
  const auto& layout = r.layout();
  const std::string bad = dir / "bad";

  auto detail = [&](std::string data) {
    writeFile(bad, data);
    auto e = readWhole(bad);
    return e ? e->detail() : std::string("(accepted)");
  };
  EXPECT_EQ(detail(""), "truncated: empty file");
  EXPECT_EQ(detail("hello, world\n"), "not a queue file: first record is 'h', not 'H'");
  EXPECT_EQ(detail("H\0\0\0\x28XXXX"s), "not a posthorn queue file (bad magic)");
  std::string s = full;
  s[20] ^= 1;
  EXPECT_EQ(detail(s), "corrupt: header record checksum mismatch");
  s = full;
  s[layout.contentOffset + 10] ^= 1;
  EXPECT_EQ(detail(s), "corrupt: content checksum mismatch");
  s = full;
  s[layout.header.envelopeOffset + 7] ^= 1;  // inside the 'T' record
  EXPECT_EQ(detail(s), "corrupt: 'T' record at offset " + std::to_string(layout.header.envelopeOffset) +
                           ": checksum mismatch");
  s = full;
  // Both copies of recipient 1's slots damaged.
  s[layout.slots[1].offset + 2] ^= 1;
  s[layout.slots[1].offset + kSlotSize + 2] ^= 1;
  EXPECT_EQ(detail(s), "corrupt: recipient 1: both status slots are damaged");
}

// Splits a file into records and puts it back together with a new header,
// so tests can build variants a future writer might produce.
struct Rebuilt {
  std::vector<std::pair<char, std::string>> records;  // after 'H', up to and including 'E'
  std::string tail;                                    // after 'E'
};

Rebuilt split(const std::string& full) {
  Rebuilt out;
  RawRecord r;
  std::size_t pos = 0;
  EXPECT_EQ(parseRecord(full, pos, 0, r), ParseStatus::Ok);
  pos += r.size;
  while (parseRecord(full, pos, 0, r) == ParseStatus::Ok) {
    out.records.emplace_back(r.type, std::string(r.data));
    pos += r.size;
    if (r.type == rec::kEnd) break;
  }
  out.tail = full.substr(pos);
  return out;
}

std::string join(const Rebuilt& parts, std::uint16_t major, std::uint16_t minor,
                 std::string headerExtra = "") {
  FileHeader h;
  h.major = major;
  h.minor = minor;
  std::string body;
  const std::uint64_t base = kRecordOverhead + kHeaderDataSize + headerExtra.size();
  for (const auto& [type, data] : parts.records) {
    if (type == rec::kContent) {
      h.contentLength = data.size();
      h.envelopeOffset = base + kRecordOverhead + data.size();
    }
    if (type == rec::kRecipient) ++h.recipientCount;
    appendRecord(body, type, data);
  }
  h.endOffset = base + body.size();
  std::string out;
  appendRecord(out, rec::kHeader, encodeHeader(h) + headerExtra);
  return out + body + parts.tail;
}

TEST(QueueDamageTest, VersionsAndUnknownRecords) {
  TempDir dir;
  const std::string path = writeSample(dir, 2);
  const Envelope expected = QueueFileReader(path).envelope();
  const Rebuilt parts = split(readFile(path));
  ASSERT_EQ(parts.records.front().first, rec::kContent);
  ASSERT_EQ(parts.records.back().first, rec::kEnd);
  const std::string variant = dir / "variant";

  // The splitter itself reproduces the file.
  writeFile(variant, join(parts, 1, kFormatMinor));
  EXPECT_EQ(readFile(variant), readFile(path));
  // A file of an older minor (1.0, before 'p') reads the same.
  writeFile(variant, join(parts, 1, 0));
  EXPECT_EQ(QueueFileReader(variant).envelope(), expected);

  // A newer major version is refused, clearly.
  writeFile(variant, join(parts, 2, 0));
  try {
    QueueFileReader r(variant);
    FAIL() << "version 2 accepted";
  } catch (const QueueFileError& e) {
    EXPECT_EQ(e.kind(), Kind::UnsupportedVersion);
    EXPECT_EQ(e.detail(), "queue file format version 2.0 is not supported (this program reads 1.x)");
  }

  // Optional (lower-case) records are skipped at any version.
  Rebuilt withOptional = parts;
  withOptional.records.insert(withOptional.records.begin() + 2, {'z', "future stuff"});
  writeFile(variant, join(withOptional, 1, 0));
  EXPECT_EQ(QueueFileReader(variant).envelope(), expected);

  // An unknown critical (upper-case) record is corruption.
  Rebuilt withCritical = parts;
  withCritical.records.insert(withCritical.records.begin() + 2, {'Q', "must understand"});
  writeFile(variant, join(withCritical, 1, 0));
  auto e = readWhole(variant);
  ASSERT_TRUE(e);
  EXPECT_NE(e->detail().find("unknown record type 'Q'"), std::string::npos) << e->detail();

  // Extra trailing fields (a longer header, more bytes in 'M') are what a
  // newer minor version may add: accepted from a newer minor, refused from
  // this reader's own.
  Rebuilt longer = parts;
  for (auto& [type, data] : longer.records)
    if (type == rec::kMailParams) data += "new field";
  writeFile(variant, join(longer, 1, kFormatMinor + 1, "more"));
  EXPECT_EQ(QueueFileReader(variant).envelope(), expected);
  writeFile(variant, join(longer, 1, kFormatMinor));
  e = readWhole(variant);
  ASSERT_TRUE(e);
  EXPECT_NE(e->detail().find("trailing bytes"), std::string::npos) << e->detail();

  // An update record naming a recipient that does not exist.
  Rebuilt strayUpdate = parts;
  std::string u;
  putI64(u, 0);
  putU32(u, 1);
  putU32(u, 99);
  putSlotImage(u, {5, 1, 0, 0, 0});
  putU8(u, 0);
  appendRecord(strayUpdate.tail, rec::kUpdate, u);
  writeFile(variant, join(strayUpdate, 1, 0));
  e = readWhole(variant);
  ASSERT_TRUE(e);
  EXPECT_NE(e->detail().find("names recipient 99 of 2"), std::string::npos) << e->detail();
}

// Records with valid checksums but mangled fields (what a buggy or hostile
// writer could produce) get a QueueFileError, never a crash or another
// exception.
TEST(QueueDamageTest, MangledFieldsWithValidChecksumsAreRefusedCleanly) {
  TempDir dir;
  const std::string path = writeSample(dir, 3);
  {
    QueueFile q(path);
    q.defer(1, std::chrono::sys_seconds(std::chrono::seconds(5)), {{}, "4.0.0", "d", "m"});
  }
  const Rebuilt parts = split(readFile(path));
  const std::string variant = dir / "variant";
  std::mt19937 rng(2024);
  int refused = 0;
  for (int i = 0; i < 3000; ++i) {
    Rebuilt m = parts;
    const bool inTail = !m.tail.empty() && rng() % 4 == 0;
    std::string tailData;
    std::string* data;
    if (inTail) {
      RawRecord r;
      EXPECT_EQ(parseRecord(m.tail, 0, 0, r), ParseStatus::Ok);
      tailData = std::string(r.data);
      data = &tailData;
    } else {
      data = &m.records[1 + rng() % (m.records.size() - 1)].second;  // not 'X'
    }
    switch (rng() % 4) {
      case 0:  // overwrite a few bytes
        for (int k = 0; k < 3 && !data->empty(); ++k) (*data)[rng() % data->size()] = static_cast<char>(rng());
        break;
      case 1:  // cut
        data->resize(data->empty() ? 0 : rng() % data->size());
        break;
      case 2:  // a length field gone huge
        if (data->size() >= 4) (*data)[rng() % (data->size() - 3)] = '\xff';
        break;
      default:  // extra bytes
        data->append(std::string(1 + rng() % 8, static_cast<char>(rng())));
        break;
    }
    if (inTail) {
      m.tail.clear();
      appendRecord(m.tail, rec::kUpdate, tailData);
    }
    overwriteFile(variant, join(m, 1, static_cast<std::uint16_t>(rng() % 2)));
    try {
      QueueFileReader r(variant);
      r.verifyContent();
    } catch (const QueueFileError& e) {
      ++refused;
      EXPECT_TRUE(e.isDamaged()) << e.what();
    } catch (const std::exception& e) {
      FAIL() << "iteration " << i << ": " << typeid(e).name() << ": " << e.what();
    }
  }
  EXPECT_GT(refused, 1000);
}

TEST(QueueDamageTest, TornTailIsIgnoredAndCutBeforeTheNextAppend) {
  TempDir dir;
  const std::string path = writeSample(dir, 3);
  const auto retry = std::chrono::sys_seconds(std::chrono::seconds(1700001000));
  {
    QueueFile q(path);
    q.defer(0, retry, {{}, "4.0.0", "first", "dns; a"});
  }
  const auto before = recipientsOf(path);
  const std::string good = readFile(path);
  // What the next update would append...
  {
    QueueFile q(path);
    q.defer(1, retry, {{}, "4.0.0", "second", "dns; b"});
  }
  const std::string next = readFile(path).substr(good.size());
  ASSERT_GT(next.size(), 20u);
  // ...half written, then the power failed.
  for (std::size_t keep : {std::size_t{1}, next.size() / 2, next.size() - 1}) {
    writeFile(path, good + next.substr(0, keep));
    EXPECT_EQ(recipientsOf(path), before) << keep;
  }
  // Garbage of the same length as a whole record (zero-filled blocks after a crash).
  writeFile(path, good + std::string(next.size(), '\0'));
  EXPECT_EQ(recipientsOf(path), before);
  {
    QueueFile q(path);
    q.defer(2, retry, {{}, "4.0.0", "third", "dns; c"});
    EXPECT_EQ(q.layout().updatesEnd, q.layout().fileSize);
  }
  const QueueFileReader r(path);
  EXPECT_EQ(r.layout().updatesEnd, r.layout().fileSize);
  EXPECT_EQ(r.envelope().recipients[0].report.diagnostic, "first");
  EXPECT_EQ(r.envelope().recipients[1].report.diagnostic, "");
  EXPECT_EQ(r.envelope().recipients[1].status.attempts, 0u);
  EXPECT_EQ(r.envelope().recipients[2].report.diagnostic, "third");
  EXPECT_EQ(r.envelope().recipients[2].status.attempts, 1u);
}

}  // namespace
}  // namespace posthorn::queue
