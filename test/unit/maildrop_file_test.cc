// maildrop_file_test - the maildrop file format: round trips through the
// writer, the stream parser and the file reader; truncation at every offset,
// damage, bad magic and limits are refused with a clear error.
#include "lib/queue/maildrop_file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

namespace posthorn::maildrop {
namespace {

MaildropHeader sampleHeader() {
  MaildropHeader h;
  h.flags = ipc::cleanup_flags::kLocalSubmission | ipc::cleanup_flags::kExtractRecipients;
  h.envelope.sender = "jane";
  h.envelope.fullName = "Jane Doe";
  h.envelope.envid = "env-1";
  h.envelope.ret = queue::Ret::Headers;
  h.envelope.body = queue::BodyType::EightBitMime;
  h.envelope.protocol = "LOCAL";
  ipc::CleanupRecipient r;
  r.address = "bob@example.com";
  r.notify = queue::notify::kFailure;
  h.envelope.recipients.push_back(r);
  r.address = "carol";
  r.notify = 0;
  h.envelope.recipients.push_back(r);
  return h;
}

const std::string kContent = "To: bob@example.com\nSubject: hi\n\nbody line\n.\nlast\n";

// A temporary file holding `bytes`; the descriptor stays open.
class TempFile {
 public:
  explicit TempFile(const std::string& bytes) {
    char name[] = "/tmp/maildrop_file_test.XXXXXX";
    fd_ = ::mkstemp(name);
    EXPECT_GE(fd_, 0);
    ::unlink(name);
    EXPECT_EQ(::write(fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  ~TempFile() { ::close(fd_); }
  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

void expectSameHeader(const MaildropHeader& a, const MaildropHeader& b) {
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.envelope.sender, b.envelope.sender);
  EXPECT_EQ(a.envelope.fullName, b.envelope.fullName);
  EXPECT_EQ(a.envelope.envid, b.envelope.envid);
  EXPECT_EQ(a.envelope.ret, b.envelope.ret);
  EXPECT_EQ(a.envelope.body, b.envelope.body);
  EXPECT_EQ(a.envelope.protocol, b.envelope.protocol);
  ASSERT_EQ(a.envelope.recipients.size(), b.envelope.recipients.size());
  for (std::size_t i = 0; i < a.envelope.recipients.size(); ++i) {
    EXPECT_EQ(a.envelope.recipients[i].address, b.envelope.recipients[i].address);
    EXPECT_EQ(a.envelope.recipients[i].notify, b.envelope.recipients[i].notify);
  }
}

TEST(MaildropFile, RoundTripThroughReader) {
  const std::string file = encodeFile(sampleHeader(), kContent);
  TempFile f(file);
  MaildropReader r(f.fd());
  expectSameHeader(r.header(), sampleHeader());
  EXPECT_EQ(r.contentLength(), kContent.size());
  EXPECT_EQ(r.fileSize(), file.size());
  EXPECT_EQ(r.readAll(), kContent);
}

TEST(MaildropFile, RoundTripThroughParserInAnyPieces) {
  const std::string file = encodeFile(sampleHeader(), kContent);
  for (std::size_t piece : {1u, 2u, 7u, 19u, 20u, 21u, 64u, 100000u}) {
    MaildropParser p;
    for (std::size_t i = 0; i < file.size(); i += piece)
      p.feed(std::string_view(file).substr(i, piece));
    ASSERT_NO_THROW(p.finish()) << "piece size " << piece;
    ASSERT_TRUE(p.headerDone());
    expectSameHeader(p.header(), sampleHeader());
    EXPECT_EQ(p.contentLength(), kContent.size());
    EXPECT_EQ(file.substr(p.contentOffset(), kContent.size()), kContent);
  }
}

TEST(MaildropFile, WriterMatchesEncodeFile) {
  std::string out;
  MaildropWriter w([&](std::string_view s) { out.append(s); }, sampleHeader());
  w.write(kContent.substr(0, 5));
  w.write("");
  w.write(kContent.substr(5));
  w.finish();
  w.finish();  // a second finish writes nothing
  EXPECT_EQ(out, encodeFile(sampleHeader(), kContent));
  EXPECT_EQ(w.contentLength(), kContent.size());
}

TEST(MaildropFile, EmptyContentIsValid) {
  const std::string file = encodeFile(sampleHeader(), "");
  TempFile f(file);
  MaildropReader r(f.fd());
  EXPECT_EQ(r.readAll(), "");
  MaildropParser p;
  p.feed(file);
  EXPECT_NO_THROW(p.finish());
}

TEST(MaildropFile, TruncationAtEveryOffsetIsRefused) {
  const std::string file = encodeFile(sampleHeader(), kContent);
  for (std::size_t len = 0; len < file.size(); ++len) {
    const std::string cut = file.substr(0, len);
    TempFile f(cut);
    EXPECT_THROW(MaildropReader r(f.fd()), MaildropError) << "reader, length " << len;
    MaildropParser p;
    EXPECT_THROW(
        {
          p.feed(cut);
          p.finish();
        },
        MaildropError)
        << "parser, length " << len;
  }
}

TEST(MaildropFile, EveryFlippedByteIsRefused) {
  const std::string file = encodeFile(sampleHeader(), kContent);
  for (std::size_t i = 0; i < file.size(); ++i) {
    std::string bad = file;
    bad[i] = static_cast<char>(bad[i] ^ 0x20);
    TempFile f(bad);
    EXPECT_THROW(MaildropReader r(f.fd()), MaildropError) << "reader, byte " << i;
    MaildropParser p;
    EXPECT_THROW(
        {
          p.feed(bad);
          p.finish();
        },
        MaildropError)
        << "parser, byte " << i;
  }
}

TEST(MaildropFile, BadMagicIsNamed) {
  std::string file = encodeFile(sampleHeader(), kContent);
  file[0] = 'X';
  TempFile f(file);
  try {
    MaildropReader r(f.fd());
    FAIL() << "accepted a bad magic";
  } catch (const MaildropError& e) {
    EXPECT_EQ(e.kind(), MaildropError::Kind::Malformed);
    EXPECT_NE(std::string(e.what()).find("bad magic"), std::string::npos) << e.what();
  }
}

TEST(MaildropFile, TrailingBytesAreRefused) {
  const std::string file = encodeFile(sampleHeader(), kContent) + "x";
  TempFile f(file);
  EXPECT_THROW(MaildropReader r(f.fd()), MaildropError);
  MaildropParser p;
  EXPECT_THROW(
      {
        p.feed(file);
        p.finish();
      },
      MaildropError);
}

TEST(MaildropFile, ContentLimitIsTooBig) {
  const std::string big(1000, 'a');
  const std::string file = encodeFile(sampleHeader(), big);
  MaildropParser p(999);
  try {
    p.feed(file);
    p.finish();
    FAIL() << "accepted content over the limit";
  } catch (const MaildropError& e) {
    EXPECT_EQ(e.kind(), MaildropError::Kind::TooBig);
  }
  MaildropParser exact(1000);
  exact.feed(file);
  EXPECT_NO_THROW(exact.finish());
  TempFile f(file);
  try {
    MaildropReader r(f.fd(), 999);
    FAIL() << "reader accepted content over the limit";
  } catch (const MaildropError& e) {
    EXPECT_EQ(e.kind(), MaildropError::Kind::TooBig);
  }
}

TEST(MaildropFile, OversizedEnvelopeIsRefusedByTheWriter) {
  MaildropHeader h = sampleHeader();
  h.envelope.fullName.assign(kMaxEnvelope + 1, 'n');
  try {
    encodeHeader(h);
    FAIL() << "encoded an oversized envelope";
  } catch (const MaildropError& e) {
    EXPECT_EQ(e.kind(), MaildropError::Kind::TooBig);
  }
}

TEST(MaildropFile, HugeLengthFieldsAreRefusedBeforeAllocation) {
  // An envelope length of 0xffffffff: refused when the length is read.
  std::string file = encodeFile(sampleHeader(), kContent);
  const std::size_t openLength = static_cast<unsigned char>(file[15]);
  const std::size_t at = kFixedHeaderSize + openLength;
  for (int i = 0; i < 4; ++i) file[at + i] = '\xff';
  MaildropParser p;
  try {
    p.feed(file);
    p.finish();
    FAIL() << "accepted a huge envelope length";
  } catch (const MaildropError& e) {
    EXPECT_NE(std::string(e.what()).find("envelope length"), std::string::npos) << e.what();
  }
  TempFile f(file);
  EXPECT_THROW(MaildropReader r(f.fd()), MaildropError);
}

TEST(MaildropFile, UnknownFlagsAreRefused) {
  MaildropHeader h = sampleHeader();
  h.flags = 1u << 7;
  const std::string file = encodeFile(h, kContent);
  TempFile f(file);
  EXPECT_THROW(MaildropReader r(f.fd()), MaildropError);
}

TEST(MaildropFile, DataAfterFinishIsRefused) {
  const std::string file = encodeFile(sampleHeader(), kContent);
  MaildropParser p;
  p.feed(file);
  p.finish();
  EXPECT_THROW(p.feed("x"), MaildropError);
}

}  // namespace
}  // namespace posthorn::maildrop
