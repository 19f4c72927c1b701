// queue_file_test - writing and reading queue files: every field round
// trips, content streams exactly and in bounded memory, the writer's temp
// file / rename / failure behaviour
#include <gtest/gtest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "lib/queue/queue_file.h"
#include "lib/queue/queue_file_reader.h"
#include "lib/queue/queue_file_writer.h"
#include "test/unit/queue_test_util.h"

namespace posthorn::queue {
namespace {

using namespace posthorn::testing;
using Kind = QueueFileError::Kind;
using namespace std::string_literals;

long vmHighWaterKb() {
  std::ifstream in("/proc/self/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

char patternByte(std::uint64_t i) { return static_cast<char>((i * 131 + (i >> 9)) & 0xFF); }

// First in this program, so the high-water mark is still low.
TEST(QueueFileTest, FiftyMegabytesStreamInBoundedMemory) {
  TempDir dir;
  constexpr std::uint64_t kSize = 50u << 20;
  const long before = vmHighWaterKb();
  std::string chunk(64 << 10, '\0');
  std::string path;
  {
    QueueFileWriter w(dir.path());
    for (std::uint64_t pos = 0; pos < kSize; pos += chunk.size()) {
      for (std::size_t i = 0; i < chunk.size(); ++i) chunk[i] = patternByte(pos + i);
      w.appendContent(chunk);
    }
    EXPECT_EQ(w.contentSize(), kSize);
    path = w.commit(sampleEnvelope(2));
  }
  QueueFileReader r(path);
  ASSERT_EQ(r.contentLength(), kSize);
  ContentReader c = r.content();
  std::uint64_t pos = 0, mismatches = 0;
  while (std::size_t n = c.read(chunk.data(), chunk.size())) {
    for (std::size_t i = 0; i < n; ++i) mismatches += chunk[i] != patternByte(pos + i);
    pos += n;
  }
  EXPECT_EQ(pos, kSize);
  EXPECT_EQ(mismatches, 0u);
  const long after = vmHighWaterKb();
  ASSERT_GT(before, 0);
  EXPECT_LT(after - before, 16 * 1024) << "writing and reading 50 MB grew the peak RSS by "
                                        << (after - before) << " kB";
}

TEST(QueueFileTest, EveryFieldRoundTrips) {
  TempDir dir;
  Envelope e = sampleEnvelope(4);
  e.recipients[1].status = {RecipientState::Todo, 3, std::chrono::sys_seconds(std::chrono::seconds(1700003600)), true};
  e.recipients[1].report = {Time(std::chrono::microseconds(1700000100000001)), "4.4.1",
                            "smtp; 451 4.4.1 no answer", "dns; mx1.example.net"};
  e.recipients[2].status.state = RecipientState::Failed;
  e.recipients[2].report = {Time(std::chrono::microseconds(1700000200000002)), "5.1.1",
                            "smtp; 550 5.1.1 unknown user", "dns; mx2.example.net"};
  e.recipients[3].status.state = RecipientState::Expanded;
  e.attributes.emplace_back("binary\x01\xff", std::string("\0\r\n", 3));

  QueueFileWriter w(dir.path());
  w.appendContent("Subject: hi\r\n\r\nbody\r\n");
  const std::string path = w.commit(e);
  EXPECT_EQ(path, dir.path() + "/" + w.id().str());

  QueueFileReader r(path);
  EXPECT_EQ(r.envelope(), e);
  EXPECT_EQ(r.readContent(), "Subject: hi\r\n\r\nbody\r\n");
  EXPECT_EQ(*r.envelope().attribute("x-spam-score"), "0.3");
  EXPECT_EQ(r.envelope().attribute("missing"), nullptr);

  QueueFile q(path);
  EXPECT_EQ(q.envelope(), e);

  // The defaults (null sender, nothing optional given) round-trip too.
  Envelope minimal;
  minimal.arrival = now();
  minimal.recipients.push_back({});
  minimal.recipients[0].address = "postmaster";
  QueueFileWriter w2(dir.path());
  QueueFileReader r2(w2.commit(minimal));
  EXPECT_EQ(r2.envelope(), minimal);
  EXPECT_EQ(r2.readContent(), "");
  EXPECT_EQ(r2.contentLength(), 0u);
}

TEST(QueueFileTest, ContentInManyChunksRoundTripsExactly) {
  TempDir dir;
  std::mt19937 rng(12345);
  // Every byte value, bare CR and LF, CRLF, NULs, 8-bit text, a 300 kB line.
  std::string content;
  for (int i = 0; i < 256; ++i) content.push_back(static_cast<char>(i));
  content += "From: a\r\nTo: b\r\n\r\n\r\r\n\n\0\0\0.\r\n..\r\n"s;
  content += "Gr\xc3\xbc\xc3\x9f" "e, \xe2\x82\xac\r\n";
  content += std::string(300000, 'x') + "\r\n";
  while (content.size() < (3u << 20)) content.push_back(static_cast<char>(rng()));

  QueueFileWriter w(dir.path());
  std::size_t pos = 0;
  int chunks = 0;
  while (pos < content.size()) {
    std::size_t n;
    switch (rng() % 4) {
      case 0: n = 0; break;
      case 1: n = 1 + rng() % 10; break;
      case 2: n = rng() % 70000; break;
      default: n = rng() % 200000; break;
    }
    n = std::min(n, content.size() - pos);
    w.appendContent(std::string_view(content).substr(pos, n));
    pos += n;
    ++chunks;
  }
  EXPECT_GT(chunks, 50);
  const std::string path = w.commit(sampleEnvelope(1));

  QueueFileReader r(path);
  EXPECT_EQ(r.contentLength(), content.size());
  for (std::size_t bufSize : {4093u, 65536u, 1u << 20}) {
    ContentReader c = r.content();
    std::string got, buf(bufSize, '\0');
    while (std::size_t n = c.read(buf.data(), buf.size())) got.append(buf.data(), n);
    EXPECT_TRUE(got == content) << "buffer size " << bufSize;
  }
  // The content is one contiguous range of the file (pread, copy_file_range).
  std::string direct(content.size(), '\0');
  ASSERT_EQ(pread(r.fd(), direct.data(), direct.size(), static_cast<off_t>(r.contentOffset())),
            static_cast<ssize_t>(direct.size()));
  EXPECT_TRUE(direct == content);

  // Byte by byte on a small one.
  QueueFileWriter w2(dir.path());
  for (std::size_t i = 0; i < 5000; ++i) w2.appendContent(content.substr(i, 1));
  QueueFileReader r2(w2.commit(sampleEnvelope(1)));
  ContentReader c2 = r2.content();
  std::string got;
  char byte;
  while (c2.read(&byte, 1) == 1) got.push_back(byte);
  EXPECT_EQ(got, content.substr(0, 5000));
  EXPECT_EQ(c2.remaining(), 0u);
}

// Header fields learned at the end of the content (Authentication-Results)
// are kept in the envelope and delivered first, in any read size; the
// size every consumer sees includes them, and a corrupt content record is
// still caught after them.
TEST(QueueFileTest, PrependedHeaderIsDeliveredBeforeTheContent) {
  TempDir dir;
  Envelope e = sampleEnvelope(2);
  e.prependedHeader = "Authentication-Results: mx.example.org;\n\tspf=pass smtp.mailfrom=a.example\n";
  const std::string content = "From: a@a.example\nSubject: hi\n\nbody\n";
  QueueFileWriter w(dir.path());
  w.appendContent(content);
  const std::string path = w.commit(e);

  QueueFileReader r(path);
  EXPECT_EQ(r.envelope().prependedHeader, e.prependedHeader);
  EXPECT_EQ(r.envelope(), e);
  EXPECT_EQ(r.contentLength(), e.prependedHeader.size() + content.size());
  EXPECT_EQ(r.readContent(), e.prependedHeader + content);
  for (std::size_t size : {1u, 7u, 4096u}) {
    ContentReader c = r.content();
    EXPECT_EQ(c.length(), e.prependedHeader.size() + content.size());
    std::string got, buf(size, '\0');
    while (std::size_t n = c.read(buf.data(), buf.size())) got.append(buf.data(), n);
    EXPECT_EQ(got, e.prependedHeader + content) << "read size " << size;
    EXPECT_EQ(c.remaining(), 0u);
  }
  // The content record itself is unchanged: the fields live in the envelope.
  std::string direct(content.size(), '\0');
  ASSERT_EQ(pread(r.fd(), direct.data(), direct.size(), static_cast<off_t>(r.contentOffset())),
            static_cast<ssize_t>(direct.size()));
  EXPECT_EQ(direct, content);

  // A damaged content byte is still reported, after the prepended part.
  {
    const int fd = ::open(path.c_str(), O_WRONLY);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(pwrite(fd, "X", 1, static_cast<off_t>(r.contentOffset() + 3)), 1);
    ::close(fd);
  }
  QueueFileReader damaged(path);
  EXPECT_THROW(damaged.readContent(), QueueFileError);

  // Without any, the file has no 'p' record at all.
  QueueFileWriter w2(dir.path());
  w2.appendContent(content);
  QueueFileReader plain(w2.commit(sampleEnvelope(1)));
  EXPECT_EQ(plain.envelope().prependedHeader, "");
  EXPECT_EQ(plain.readContent(), content);
}

TEST(QueueFileTest, TempFileIsHiddenUntilCommit) {
  TempDir dir;
  QueueFileWriter w(dir.path());
  const std::string id = w.id().str();
  ASSERT_TRUE(QueueId::isValid(id));
  w.appendContent("Subject: x\r\n\r\nx\r\n");
  const auto during = listDir(dir.path());
  ASSERT_EQ(during, std::vector<std::string>{"." + id + ".tmp"});
  EXPECT_FALSE(QueueId::isValid(during[0]));
  struct stat st;
  ASSERT_EQ(stat(w.tempPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);

  w.commit(sampleEnvelope(1));
  EXPECT_EQ(listDir(dir.path()), std::vector<std::string>{id});
  ASSERT_EQ(stat(w.finalPath().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_THROW(w.appendContent("more"), QueueFileError);
  EXPECT_THROW(w.commit(sampleEnvelope(1)), QueueFileError);
}

TEST(QueueFileTest, UncommittedWriterLeavesNothing) {
  TempDir dir;
  {
    QueueFileWriter w(dir.path());
    w.appendContent(std::string(200000, 'a'));
  }
  EXPECT_TRUE(listDir(dir.path()).empty());
  QueueFileWriter w(dir.path());
  w.appendContent("x");
  w.abort();
  EXPECT_TRUE(listDir(dir.path()).empty());
  EXPECT_THROW(w.commit(sampleEnvelope(1)), QueueFileError);
}

TEST(QueueFileTest, InvalidEnvelopeIsRefusedAndCleanedUp) {
  TempDir dir;
  Envelope none = sampleEnvelope(1);
  none.recipients.clear();
  QueueFileWriter w(dir.path());
  w.appendContent("x");
  try {
    w.commit(none);
    FAIL() << "a queue file without recipients was written";
  } catch (const QueueFileError& e) {
    EXPECT_EQ(e.kind(), Kind::Invalid);
    EXPECT_NE(std::string(e.what()).find("at least one recipient"), std::string::npos) << e.what();
  }
  Envelope badName = sampleEnvelope(1);
  badName.attributes.emplace_back("", "v");
  QueueFileWriter w2(dir.path());
  EXPECT_THROW(w2.commit(badName), QueueFileError);
  Envelope badNotify = sampleEnvelope(1);
  badNotify.recipients[0].notify = 0x40;
  QueueFileWriter w3(dir.path());
  EXPECT_THROW(w3.commit(badNotify), QueueFileError);
  EXPECT_TRUE(listDir(dir.path()).empty());
  EXPECT_THROW(QueueFileWriter(dir.path(), QueueId()), QueueFileError);
}

TEST(QueueFileTest, CommitNeverReplacesAnExistingFile) {
  TempDir dir;
  const QueueId id = QueueId::generate();
  QueueFileWriter first(dir.path(), id);
  first.appendContent("first");
  const std::string path = first.commit(sampleEnvelope(1));

  QueueFileWriter second(dir.path(), id);
  second.appendContent("second");
  try {
    second.commit(sampleEnvelope(2));
    FAIL() << "commit replaced an existing queue file";
  } catch (const QueueFileError& e) {
    EXPECT_EQ(e.kind(), Kind::Io);
    EXPECT_NE(std::string(e.what()).find("already exists"), std::string::npos) << e.what();
  }
  EXPECT_EQ(listDir(dir.path()), std::vector<std::string>{id.str()});
  QueueFileReader r(path);
  EXPECT_EQ(r.readContent(), "first");
  EXPECT_EQ(r.envelope().recipients.size(), 1u);
}

TEST(QueueFileTest, WriteFailureThrowsAndRemovesTheTempFile) {
  TempDir dir;
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    // A file size limit makes write() fail with EFBIG, like a full disk.
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = {100000, 100000};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) _exit(10);
    int code = 11;
    try {
      QueueFileWriter w(dir.path());
      for (int i = 0; i < 20; ++i) w.appendContent(std::string(50000, 'z'));
      w.commit(sampleEnvelope(1));
      code = 12;  // no error at all
    } catch (const QueueFileError& e) {
      code = e.kind() == Kind::Io && std::string(e.what()).find("File too large") != std::string::npos
                 ? 0
                 : 13;
    }
    if (code == 0 && !listDir(dir.path()).empty()) code = 14;
    _exit(code);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "10 setrlimit, 12 no error, 13 wrong error, 14 file left";
  EXPECT_TRUE(listDir(dir.path()).empty());
}

TEST(QueueFileTest, UnusableDirectoryIsAClearError) {
  TempDir dir;
  try {
    QueueFileWriter w(dir / "missing");
    FAIL();
  } catch (const QueueFileError& e) {
    EXPECT_EQ(e.kind(), Kind::Io);
    EXPECT_EQ(e.path(), dir / "missing");
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
  if (geteuid() != 0) {  // root writes anyway
    ASSERT_EQ(chmod(dir.path().c_str(), 0500), 0);
    try {
      QueueFileWriter w(dir.path());
      FAIL();
    } catch (const QueueFileError& e) {
      EXPECT_NE(std::string(e.what()).find("Permission denied"), std::string::npos) << e.what();
    }
    chmod(dir.path().c_str(), 0700);
  }
  EXPECT_THROW(QueueFileReader(dir / "nothing"), QueueFileError);
}

}  // namespace
}  // namespace posthorn::queue
