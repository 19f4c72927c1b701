// cleanup_dkim_test - DKIM signing in cleanup (cleanup/cleanup_dkim): the
// header held until its end, the keys chosen by the From domain from a
// real dkim_signing_maps table with real keys, the rest streamed, and the
// signatures checked by libopendkim's verifier against the published keys
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "cleanup/cleanup_dkim.h"
#include "lib/log/log.h"
#include "lib/mailauth/dkim_key_cache.h"
#include "lib/mailauth/dkim_sign.h"
#include "lib/mailauth/dkim_signing_table.h"
#include "lib/mailauth/libopendkim.h"
#include "test/unit/dkim_test_keys.h"
#include "test/unit/test_util.h"

namespace posthorn::cleanup {
namespace {

using posthorn::testing::DkimKeyKind;
using posthorn::testing::dkimKeyPem;
using posthorn::testing::dkimKeyRecord;
using posthorn::testing::TempDir;
using posthorn::testing::writeDkimKey;
using posthorn::testing::writeFile;

// "selector._domainkey.domain" -> its TXT record, for the verifier.
std::map<std::string, std::string>& published() {
  static std::map<std::string, std::string> records;
  return records;
}

DKIM_CBSTAT lookupKey(DKIM*, DKIM_SIGINFO* sig, unsigned char* buf, size_t buflen) {
  const char* selector = reinterpret_cast<const char*>(dkim_sig_getselector(sig));
  const char* domain = reinterpret_cast<const char*>(dkim_sig_getdomain(sig));
  if (selector == nullptr || domain == nullptr) return DKIM_CBSTAT_NOTFOUND;
  const auto it = published().find(std::string(selector) + "._domainkey." + domain);
  if (it == published().end() || it->second.size() >= buflen) return DKIM_CBSTAT_NOTFOUND;
  std::memcpy(buf, it->second.c_str(), it->second.size() + 1);
  return DKIM_CBSTAT_CONTINUE;
}

// One signature as libopendkim's verifier judges it.
struct Verdict {
  std::string domain;
  std::string selector;
  bool pass = false;
  std::string why;
};

// Verifies every DKIM-Signature field of `message` (LF line ends), keys
// from published().
std::vector<Verdict> verify(const std::string& message) {
  DKIM_LIB* lib = dkim_init(nullptr, nullptr);
  EXPECT_NE(lib, nullptr);
  if (lib == nullptr) return {};
  unsigned int flags = DKIM_LIBFLAGS_FIXCRLF;
  dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
  dkim_set_key_lookup(lib, lookupKey);
  DKIM_STAT status = DKIM_STAT_OK;
  DKIM* dkim = dkim_verify(lib, reinterpret_cast<const unsigned char*>("verify"), nullptr, &status);
  std::vector<Verdict> out;
  if (dkim != nullptr) {
    status = dkim_chunk(dkim, reinterpret_cast<unsigned char*>(const_cast<char*>(message.data())), message.size());
    if (status == DKIM_STAT_OK) status = dkim_chunk(dkim, nullptr, 0);
    if (status == DKIM_STAT_OK) dkim_eom(dkim, nullptr);
    DKIM_SIGINFO** sigs = nullptr;
    int count = 0;
    if (dkim_getsiglist(dkim, &sigs, &count) == DKIM_STAT_OK) {
      for (int i = 0; i < count; ++i) {
        if ((dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_PROCESSED) == 0) dkim_sig_process(dkim, sigs[i]);
        Verdict v;
        v.domain = reinterpret_cast<const char*>(dkim_sig_getdomain(sigs[i]));
        v.selector = reinterpret_cast<const char*>(dkim_sig_getselector(sigs[i]));
        v.pass = DKIM_SIG_CHECK(sigs[i]);
        if (!v.pass) {
          const char* e = dkim_sig_geterrorstr(dkim_sig_geterror(sigs[i]));
          v.why = dkim_sig_getbh(sigs[i]) == DKIM_SIGBH_MISMATCH ? "body hash mismatch" : (e ? e : "bad signature");
        }
        out.push_back(v);
      }
    }
    dkim_free(dkim);
  }
  dkim_close(lib);
  return out;
}

// The tags of one DKIM-Signature field, unfolded, white space removed.
std::map<std::string, std::string> tags(const std::string& field) {
  std::string value = field.substr(field.find(':') + 1);
  value.erase(std::remove_if(value.begin(), value.end(), [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }),
              value.end());
  std::map<std::string, std::string> out;
  std::stringstream ss(value);
  std::string tag;
  while (std::getline(ss, tag, ';')) {
    const auto eq = tag.find('=');
    if (eq != std::string::npos) out[tag.substr(0, eq)] = tag.substr(eq + 1);
  }
  return out;
}

// The DKIM-Signature fields of finish()'s result, one string each.
std::vector<std::string> fields(const std::string& signedHeader) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < signedHeader.size()) {
    std::size_t end = start;
    do {
      end = signedHeader.find('\n', end);
      if (end == std::string::npos) end = signedHeader.size();
      else ++end;
    } while (end < signedHeader.size() && (signedHeader[end] == ' ' || signedHeader[end] == '\t'));
    out.push_back(signedHeader.substr(start, end - start));
    start = end;
  }
  return out;
}

// How often h= names `name` (lower case; names compare without case).
int count(const std::string& list, const std::string& name) {
  int n = 0;
  std::stringstream ss(list);
  std::string item;
  while (std::getline(ss, item, ':')) {
    std::transform(item.begin(), item.end(), item.begin(), [](unsigned char c) { return std::tolower(c); });
    if (item == name) ++n;
  }
  return n;
}

std::string logPath() {
  static const std::string path = [] {
    char tmpl[] = "/tmp/cleanup_dkim_test.XXXXXX";
    const int fd = ::mkstemp(tmpl);
    if (fd >= 0) ::close(fd);
    return std::string(tmpl);
  }();
  return path;
}

std::string logText() {
  std::ifstream f(logPath(), std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

const std::string kMessage =
    "From: Alice Example <alice@Example.ORG>\n"
    "To: bob@example.net\n"
    "Subject: DKIM in pieces\n"
    "Date: Mon, 7 Dec 2026 10:00:00 +0100\n"
    "Message-ID: <20261207.1@example.org>\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n"
    "Hello Bob,\n"
    "From: eve@evil.example\n"
    "\n"
    "a line with trailing space   \n"
    ".\n"
    "\n"
    "\n";

class DkimStageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    log::Options lo;
    lo.program = "cleanup";
    lo.maillogFile = logPath();
    lo.hostname = "testhost";
    log::init(lo);
  }
  static void TearDownTestSuite() { ::unlink(logPath().c_str()); }

  void SetUp() override {
    writeDkimKey(dir.path(), "example.org", "rsa", dkimKeyPem(DkimKeyKind::Rsa2048));
    writeDkimKey(dir.path(), "example.org", "ed", dkimKeyPem(DkimKeyKind::Ed25519));
    published()["rsa._domainkey.example.org"] = dkimKeyRecord(dkimKeyPem(DkimKeyKind::Rsa2048));
    published()["ed._domainkey.example.org"] = dkimKeyRecord(dkimKeyPem(DkimKeyKind::Ed25519));
    writeFile(dir / "dkim_signing",
              "example.org   rsa, ed\n"
              ".example.org  example.org/rsa\n");
    table = mailauth::DkimSigningTable::load(dir / "dkim_signing", dir.path());
  }

  static mailauth::DkimSigner& signer() {
    static mailauth::DkimSigner s;  // one per process, as in cleanup
    return s;
  }

  // finish()'s fields for `message` fed in pieces of `piece` bytes (0: whole).
  std::string sign(const std::string& message, std::size_t piece = 0, const std::string& id = "QID") {
    DkimStage stage(table, signer(), id);
    if (piece == 0) {
      stage.feed(message);
    } else {
      for (std::size_t i = 0; i < message.size(); i += piece) stage.feed(std::string_view(message).substr(i, piece));
    }
    return stage.finish();
  }

  TempDir dir{"cleanupdkim"};
  mailauth::DkimSigningTable table;
};

TEST_F(DkimStageTest, SignsWithEveryKeyOfTheFromDomain) {
  const std::string added = sign(kMessage);
  const auto f = fields(added);
  ASSERT_EQ(f.size(), 2u) << added;
  for (const auto& field : f) {
    EXPECT_EQ(field.rfind("DKIM-Signature: ", 0), 0u) << field;
    EXPECT_EQ(field.back(), '\n');
    EXPECT_EQ(field.find('\r'), std::string::npos) << field;
  }
  const auto rsa = tags(f[0]);
  const auto ed = tags(f[1]);
  EXPECT_EQ(rsa.at("v"), "1");
  EXPECT_EQ(rsa.at("a"), "rsa-sha256");
  EXPECT_EQ(rsa.at("c"), "relaxed/relaxed");
  EXPECT_EQ(rsa.at("d"), "example.org");
  EXPECT_EQ(rsa.at("s"), "rsa");
  EXPECT_EQ(ed.at("a"), "ed25519-sha256");
  EXPECT_EQ(ed.at("d"), "example.org");
  EXPECT_EQ(ed.at("s"), "ed");
  EXPECT_EQ(rsa.count("l"), 0u);  // the whole body
  // Both hash the same body the same way.
  EXPECT_EQ(rsa.at("bh"), ed.at("bh"));
  // From, Subject, To... over-signed: named once more than they occur.
  for (const auto* t : {&rsa, &ed}) {
    const std::string& h = t->at("h");
    EXPECT_EQ(count(h, "from"), 2) << h;
    EXPECT_EQ(count(h, "subject"), 2) << h;
    EXPECT_EQ(count(h, "to"), 2) << h;
    EXPECT_EQ(count(h, "content-type"), 2) << h;
    EXPECT_EQ(count(h, "reply-to"), 1) << h;  // absent: signed as absent
    EXPECT_EQ(count(h, "list-id"), 0) << h;   // absent and not over-signed
  }
  // List-* fields are signed when present, but not over-signed.
  const std::string list = "From: alice@example.org\nList-Id: <l.example.org>\nSubject: x\n\nbody\n";
  const auto listFields = fields(sign(list));
  ASSERT_EQ(listFields.size(), 2u);
  EXPECT_EQ(count(tags(listFields[0]).at("h"), "list-id"), 1) << listFields[0];
  EXPECT_EQ(count(tags(listFields[0]).at("h"), "from"), 2) << listFields[0];
  // And they verify.
  const auto verdicts = verify(added + kMessage);
  ASSERT_EQ(verdicts.size(), 2u);
  for (const auto& v : verdicts) EXPECT_TRUE(v.pass) << v.selector << ": " << v.why;
}

TEST_F(DkimStageTest, TheVerifierSeesAChangedMessage) {
  const std::string added = sign(kMessage);
  std::string changedBody = kMessage;
  changedBody.replace(changedBody.find("Hello Bob"), 9, "Hello Eve");
  const auto bodyVerdicts = verify(added + changedBody);
  ASSERT_EQ(bodyVerdicts.size(), 2u);
  for (const auto& v : bodyVerdicts) {
    EXPECT_FALSE(v.pass) << v.selector;
    EXPECT_EQ(v.why, "body hash mismatch") << v.selector;
  }
  std::string changedSubject = kMessage;
  changedSubject.replace(changedSubject.find("DKIM in pieces"), 14, "DKIM in one");
  const auto subjectVerdicts = verify(added + changedSubject);
  ASSERT_EQ(subjectVerdicts.size(), 2u);
  for (const auto& v : subjectVerdicts) EXPECT_FALSE(v.pass) << v.selector;
  // A second From added on the way breaks the over-signed signature.
  const auto secondFrom = verify(added + "From: mallory@example.org\n" + kMessage);
  ASSERT_EQ(secondFrom.size(), 2u);
  for (const auto& v : secondFrom) EXPECT_FALSE(v.pass) << v.selector;
  // So does a Reply-To (signed as absent), but not a field nobody signs.
  const auto replyTo = verify(added + "Reply-To: mallory@example.net\n" + kMessage);
  ASSERT_EQ(replyTo.size(), 2u);
  for (const auto& v : replyTo) EXPECT_FALSE(v.pass) << v.selector;
  const auto unsignedField = verify(added + "X-Scanned: yes\n" + kMessage);
  ASSERT_EQ(unsignedField.size(), 2u);
  for (const auto& v : unsignedField) EXPECT_TRUE(v.pass) << v.selector << ": " << v.why;
}

TEST_F(DkimStageTest, EveryPieceSizeSignsTheSame) {
  const auto reference = fields(sign(kMessage));
  ASSERT_EQ(reference.size(), 2u);
  const auto rsa = tags(reference[0]);
  const auto ed = tags(reference[1]);
  for (std::size_t piece = 1; piece <= kMessage.size(); ++piece) {
    SCOPED_TRACE("pieces of " + std::to_string(piece));
    const std::string added = sign(kMessage, piece);
    const auto f = fields(added);
    ASSERT_EQ(f.size(), 2u) << added;
    const auto r = tags(f[0]);
    const auto e = tags(f[1]);
    EXPECT_EQ(r.at("a"), "rsa-sha256");
    EXPECT_EQ(r.at("s"), "rsa");
    EXPECT_EQ(e.at("a"), "ed25519-sha256");
    EXPECT_EQ(e.at("s"), "ed");
    EXPECT_EQ(r.at("d"), "example.org");
    EXPECT_EQ(e.at("d"), "example.org");
    EXPECT_EQ(r.at("bh"), rsa.at("bh"));
    EXPECT_EQ(e.at("bh"), ed.at("bh"));
    EXPECT_EQ(r.at("h"), rsa.at("h"));
    EXPECT_EQ(e.at("h"), ed.at("h"));
    // Same key, same canonical header, same time: the same signature
    // (RSA PKCS#1 v1.5 and ed25519 are deterministic).
    if (r.at("t") == rsa.at("t")) {
      EXPECT_EQ(r.at("b"), rsa.at("b"));
    }
    if (e.at("t") == ed.at("t")) {
      EXPECT_EQ(e.at("b"), ed.at("b"));
    }
    const auto verdicts = verify(added + kMessage);
    ASSERT_EQ(verdicts.size(), 2u);
    for (const auto& v : verdicts) EXPECT_TRUE(v.pass) << v.selector << ": " << v.why;
  }
}

TEST_F(DkimStageTest, HeaderEndSplitAnywhere) {
  // The blank line that ends the header, split across two pieces at every place.
  const std::size_t end = kMessage.find("\n\n");
  const auto reference = tags(fields(sign(kMessage))[0]);
  for (std::size_t cut = end - 3; cut <= end + 4; ++cut) {
    DkimStage stage(table, signer(), "QID");
    stage.feed(std::string_view(kMessage).substr(0, cut));
    stage.feed(std::string_view(kMessage).substr(cut));
    const std::string added = stage.finish();
    const auto f = fields(added);
    ASSERT_EQ(f.size(), 2u) << "cut at " << cut;
    EXPECT_EQ(tags(f[0]).at("bh"), reference.at("bh")) << "cut at " << cut;
    for (const auto& v : verify(added + kMessage)) EXPECT_TRUE(v.pass) << "cut at " << cut << ": " << v.why;
  }
}

TEST_F(DkimStageTest, SubdomainSignsWithTheParentsKey) {
  const std::string message = "From: news@lists.example.org\nSubject: x\n\nbody\n";
  const auto f = fields(sign(message));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(tags(f[0]).at("d"), "example.org");
  EXPECT_EQ(tags(f[0]).at("s"), "rsa");
  const auto verdicts = verify(f[0] + message);
  ASSERT_EQ(verdicts.size(), 1u);
  EXPECT_TRUE(verdicts[0].pass) << verdicts[0].why;
}

TEST_F(DkimStageTest, MessageThatIsOnlyAHeaderIsSigned) {
  const std::string message = "From: alice@example.org\nSubject: no body\n";
  for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
    const std::string added = sign(message, piece);
    const auto f = fields(added);
    ASSERT_EQ(f.size(), 2u) << "piece " << piece;
    const auto verdicts = verify(added + message);
    ASSERT_EQ(verdicts.size(), 2u);
    for (const auto& v : verdicts) EXPECT_TRUE(v.pass) << v.selector << ": " << v.why;
    // The empty body's hash (relaxed: empty).
    EXPECT_EQ(tags(f[0]).at("bh"), tags(fields(sign(message + "\n"))[0]).at("bh"));
  }
  // Even without the last line's end.
  const std::string unended = "From: alice@example.org\nSubject: no end";
  const std::string added = sign(unended, 5);
  ASSERT_EQ(fields(added).size(), 2u);
  const auto verdicts = verify(added + unended);
  ASSERT_EQ(verdicts.size(), 2u);
  for (const auto& v : verdicts) EXPECT_TRUE(v.pass) << v.selector << ": " << v.why;
}

TEST_F(DkimStageTest, NoSingleFromDomainNoSignature) {
  EXPECT_EQ(sign("To: bob@example.net\nSubject: no from\n\nbody\n", 0, "NOFROM1"), "");
  EXPECT_EQ(sign("To: bob@example.net\nSubject: no from\n"), "");
  EXPECT_EQ(sign("\nFrom: alice@example.org\n"), "");  // no header at all: that From is body
  EXPECT_EQ(sign("From: alice@example.org\nFrom: alice@example.org\n\nbody\n"), "");
  EXPECT_EQ(sign("From: alice@example.org, eve@example.net\n\nbody\n"), "");
  EXPECT_EQ(sign(""), "");
  EXPECT_NE(logText().find("NOFROM1: not DKIM-signed: no From field"), std::string::npos) << logText();
}

TEST_F(DkimStageTest, FromDomainWithoutKeysNoSignature) {
  EXPECT_EQ(sign("From: carol@example.com\nSubject: x\n\nbody\n", 0, "NOKEY1"), "");
  EXPECT_EQ(sign("From: carol@example.com\nSubject: x\n\nbody\n", 3), "");
  EXPECT_EQ(sign("From: carol@org\nSubject: x\n\nbody\n"), "");
  EXPECT_EQ(sign("From: carol@notexample.org\n\nbody\n"), "");
  EXPECT_NE(logText().find("NOKEY1: not DKIM-signed: no key in dkim_signing_maps for example.com"),
            std::string::npos)
      << logText();
  // An empty table signs nothing.
  const mailauth::DkimSigningTable none;
  DkimStage stage(none, signer(), "QID");
  stage.feed(kMessage);
  EXPECT_EQ(stage.finish(), "");
}

TEST_F(DkimStageTest, SignedMessagesAreLogged) {
  sign(kMessage, 0, "LOGGED1");
  const std::string log = logText();
  EXPECT_NE(log.find("LOGGED1: DKIM-Signature field added (s=rsa, d=example.org, a=rsa-sha256)"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("LOGGED1: DKIM-Signature field added (s=ed, d=example.org, a=ed25519-sha256)"),
            std::string::npos)
      << log;
}

// A header of exactly `size` bytes, its blank line included, From first.
std::string headerOf(std::size_t size) {
  std::string h = "From: alice@example.org\n";
  const std::string filler = "X-Filler: " + std::string(100, 'x') + "\n";
  while (h.size() + filler.size() + 200 < size) h += filler;
  h += "X-Last: " + std::string(size - h.size() - 10, 'y') + "\n\n";
  EXPECT_EQ(h.size(), size);
  return h;
}

// Fed in pieces of `piece` bytes (0: whole), then a last piece of body.
std::string signInPieces(const mailauth::DkimSigningTable& table, const std::string& message, std::size_t piece,
                         const std::string& id, mailauth::DkimSigner& signer) {
  DkimStage stage(table, signer, id);
  const std::size_t step = piece == 0 ? message.size() : piece;
  for (std::size_t i = 0; i < message.size(); i += step) stage.feed(std::string_view(message).substr(i, step));
  stage.feed("the last line\n");
  return stage.finish();
}

// The limit is on the header, however the content is cut: up to
// kMaxHeldHeader bytes (with the blank line) it is signed, one more and it
// is not.
TEST_F(DkimStageTest, HeaderUpToTheLimitIsSignedOneByteMoreIsNot) {
  const std::string atLimit = headerOf(DkimStage::kMaxHeldHeader) + "body\n";
  const std::string overLimit = headerOf(DkimStage::kMaxHeldHeader + 1) + "body\n";
  for (std::size_t piece : {std::size_t{0}, std::size_t{1}, std::size_t{4096}, std::size_t{65536},
                            std::size_t{333333}}) {
    SCOPED_TRACE("pieces of " + std::to_string(piece));
    const std::string added = signInPieces(table, atLimit, piece, "ATLIMIT", signer());
    ASSERT_EQ(fields(added).size(), 2u);
    if (piece == 4096) {
      const auto verdicts = verify(added + atLimit + "the last line\n");
      ASSERT_EQ(verdicts.size(), 2u);
      for (const auto& v : verdicts) EXPECT_TRUE(v.pass) << v.selector << ": " << v.why;
    }
    EXPECT_EQ(signInPieces(table, overLimit, piece, "OVER" + std::to_string(piece), signer()), "");
  }
  EXPECT_NE(logText().find("OVER4096: not DKIM-signed: header longer than " +
                           std::to_string(DkimStage::kMaxHeldHeader) + " bytes"),
            std::string::npos);
}

TEST_F(DkimStageTest, HugeHeaderIsGivenUpOn) {
  // Twice the limit, with a body, in pieces: nothing signed, nothing kept.
  const std::string message = headerOf(2 * DkimStage::kMaxHeldHeader) + "body\n";
  for (std::size_t piece : {std::size_t{0}, std::size_t{4096}, std::size_t{1} << 20}) {
    EXPECT_EQ(signInPieces(table, message, piece, "HUGE", signer()), "") << "pieces of " << piece;
  }
  // All header, no blank line, and too long: not signed either.
  const std::string header = headerOf(2 * DkimStage::kMaxHeldHeader);
  DkimStage stage(table, signer(), "HUGEALL");
  for (std::size_t i = 0; i + 1 < header.size(); i += 8192)
    stage.feed(std::string_view(header).substr(i, std::min<std::size_t>(8192, header.size() - 1 - i)));
  EXPECT_EQ(stage.finish(), "");
}

// libopendkim's key decoding is answered from the decoded keys
// (lib/mailauth/dkim_key_cache.h): every signature of every message is one
// hit, the signatures still verify, and other PEM reads go on to libcrypto.
TEST_F(DkimStageTest, KeysAreDecodedOncePerProcess) {
  const unsigned long before = mailauth::dkimKeyCacheHits();
  for (int i = 0; i < 3; ++i) {
    const std::string added = sign(kMessage);
    const auto verdicts = verify(added + kMessage);
    ASSERT_EQ(verdicts.size(), 2u) << added;
    for (const auto& v : verdicts) EXPECT_TRUE(v.pass) << v.selector << ": " << v.why;
  }
  EXPECT_EQ(mailauth::dkimKeyCacheHits() - before, 6u) << "3 messages x 2 keys, none decoded again";

  // A key nobody registered, read through the same function: libcrypto's.
  const std::string other = dkimKeyPem(DkimKeyKind::Rsa512);
  BIO* bio = BIO_new_mem_buf(other.data(), static_cast<int>(other.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(EVP_PKEY_get_bits(key), 512);
  EVP_PKEY_free(key);
  EXPECT_EQ(mailauth::dkimKeyCacheHits() - before, 6u) << "an unregistered key is not a hit";
}

}  // namespace
}  // namespace posthorn::cleanup
