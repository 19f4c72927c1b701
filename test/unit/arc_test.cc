// arc_test - ARC (RFC 8617) sealing and chain validation in lib/mailauth:
// relaxed canonical forms, a set we add verifies, two hops chain, and every
// change after sealing (body, a signed field, a seal, the numbering) fails
// the chain. dkimpy checks our sets independently: test/integration/arc_forward.py.
#include <gtest/gtest.h>

#include <string>

#include "lib/mailauth/arc_seal.h"
#include "lib/mailauth/arc_set.h"
#include "lib/mailauth/arc_verify.h"
#include "lib/mailauth/auth_results.h"
#include "lib/mailauth/relaxed_canon.h"
#include "lib/mime/header_fields.h"
#include "test/unit/dkim_test_keys.h"

namespace {

using namespace posthorn::mailauth;
using posthorn::testing::DkimKeyKind;
using posthorn::testing::dkimKeyPem;
using posthorn::testing::dkimKeyRecord;

std::string bodyHash(std::string_view body) {
  RelaxedBodyHash h;
  h.feed(body);
  return h.finish();
}

// m with the first `from` replaced by `to`.
std::string replaced(std::string m, std::string_view from, std::string_view to) {
  const std::size_t at = m.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) m.replace(at, from.size(), to);
  return m;
}

std::string sha256Base64(std::string_view text) {
  unsigned char md[32];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
  return base64Encode(std::string_view(reinterpret_cast<char*>(md), len));
}

TEST(RelaxedCanon, HeaderField) {
  EXPECT_EQ(relaxedHeaderField("SubJect", " Hello \n\t  world  \n"), "subject:Hello world\r\n");
  EXPECT_EQ(relaxedHeaderField("X", ""), "x:\r\n");
}

TEST(RelaxedCanon, SignatureValueRemovedOnlyFromB) {
  EXPECT_EQ(withoutSignatureValue(" i=1; bh=abc; b=xy\n\t z; d=x"), " i=1; bh=abc; b=; d=x");
  EXPECT_EQ(withoutSignatureValue(" i=1; b = xyz"), " i=1; b =");
}

TEST(RelaxedCanon, BodyForms) {
  EXPECT_EQ(bodyHash(""), sha256Base64(""));
  EXPECT_EQ(bodyHash("\n\n\n"), sha256Base64(""));
  EXPECT_EQ(bodyHash("a  b \t\nc\n\n\n"), sha256Base64("a b\r\nc\r\n"));
  EXPECT_EQ(bodyHash("a\r\n\r\n b"), sha256Base64("a\r\n\r\n b\r\n"));  // leading space stays one
  EXPECT_EQ(bodyHash("x\ry\n"), sha256Base64("x\ry\r\n"));                // a bare CR is a character
  // Pieces of any size give the same hash.
  const std::string body = "line one  \n\n  two\t\tthree\r\n\r\n\r\n";
  RelaxedBodyHash pieces;
  for (char c : body) pieces.feed(std::string_view(&c, 1));
  EXPECT_EQ(pieces.finish(), bodyHash(body));
}

TEST(AuthResultsMethod, FindsTheMethodOutsideComments) {
  const std::string v = " mx.example.org;\r\n\tspf=pass (dmarc=fail) smtp.mailfrom=a@b;\r\n\tdkim=none;\r\n\tdmarc=PASS header.from=b";
  EXPECT_EQ(methodResult(v, "dmarc"), "pass");
  EXPECT_EQ(methodResult(v, "spf"), "pass");
  EXPECT_EQ(methodResult(v, "arc"), "");
  EXPECT_EQ(methodResult(" i=1; mx.example.org; arc=fail", "arc"), "fail");
}

class ArcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto key = std::make_shared<DkimKey>();
    key->domain = "forward.example";
    key->selector = "arc";
    key->algorithm = "rsa-sha256";
    key->bits = 2048;
    key->pem = dkimKeyPem(DkimKeyKind::Rsa2048);
    key->file = "test key";
    key_ = key;
  }

  ArcVerifier verifier(int* lookups = nullptr) {
    return ArcVerifier([this, lookups](const std::string& d, const std::string& s) {
      if (lookups) ++*lookups;
      if (d == "forward.example" && s == "arc") return parseDkimPublicKey(dkimKeyRecord(key_->pem));
      DkimPublicKey none;
      none.error = "no key at " + s + "._domainkey." + d;
      return none;
    });
  }

  // Seals header+body as authserv-id `id` would, returns the message with the new set on top.
  std::string sealed(const std::string& message, const std::string& id = "mx.forward.example") {
    const std::size_t end = posthorn::mime::headerEnd(message);
    ArcSealer sealer(key_);
    ArcSealResult r = sealer.seal({std::string_view(message).substr(0, end), bodyHash(message.substr(end)), id, 1765130000});
    EXPECT_TRUE(r.error.empty()) << r.error;
    return r.fields + message;
  }

  ArcOutcome verify(const std::string& message) {
    const std::size_t end = posthorn::mime::headerEnd(message);
    return verifier().verify(std::string_view(message).substr(0, end), bodyHash(message.substr(end)));
  }

  std::shared_ptr<const DkimKey> key_;
  const std::string message_ =
      "Authentication-Results: mx.forward.example;\n\tspf=pass smtp.mailfrom=a@origin.example;\n\tdmarc=pass header.from=origin.example\n"
      "From: Alice <a@origin.example>\nTo: list@forward.example\nSubject: ARC  test\nDate: Mon, 7 Dec 2026 10:00:00 +0000\n"
      "Message-ID: <1@origin.example>\n\nHello\n\n";
};

TEST_F(ArcTest, NoSetsIsNone) {
  const ArcOutcome r = verify(message_);
  EXPECT_EQ(r.result, "none");
  EXPECT_EQ(r.instances, 0);
}

TEST_F(ArcTest, FirstSetVerifiesAndCarriesOurResults) {
  const std::string m = sealed(message_);
  EXPECT_NE(m.find("ARC-Seal: i=1; a=rsa-sha256; t=1765130000; cv=none;"), std::string::npos) << m;
  EXPECT_NE(m.find("ARC-Authentication-Results: i=1; mx.forward.example;\n\tspf=pass"), std::string::npos) << m;
  const ArcOutcome r = verify(m);
  EXPECT_EQ(r.result, "pass") << r.comment;
  EXPECT_EQ(r.instances, 1);
  EXPECT_EQ(r.sealer, "forward.example");
  EXPECT_EQ(methodResult(r.sealerResults, "dmarc"), "pass");
}

TEST_F(ArcTest, NoResultsOfOursNoSeal) {
  ArcSealer sealer(key_);
  const ArcSealResult r = sealer.seal({"From: a@b.example\n\n", bodyHash(""), "mx.other.example", 1});
  EXPECT_TRUE(r.fields.empty());
  EXPECT_NE(r.error.find("no Authentication-Results field of mx.other.example"), std::string::npos);
}

TEST_F(ArcTest, ChangesAfterSealingFail) {
  const std::string m = sealed(message_);
  const ArcOutcome body = verify(replaced(m, "Hello", "Hallo"));
  EXPECT_EQ(body.result, "fail");
  EXPECT_NE(body.comment.find("body has changed"), std::string::npos);
  EXPECT_EQ(verify(replaced(m, "ARC  test", "ARC test!")).result, "fail");
  const ArcOutcome r = verify(replaced(m, "i=1; mx.forward.example;\n\tspf=pass", "i=1; mx.forward.example;\n\tspf=fail"));
  EXPECT_EQ(r.result, "fail");
  EXPECT_NE(r.comment.find("ARC-Seal i=1"), std::string::npos) << r.comment;
  // Whitespace changes relaxed forms ignore do not matter.
  EXPECT_EQ(verify(replaced(m, "Hello", "Hello   ")).result, "pass");
}

TEST_F(ArcTest, SecondHopChainsAndCvPass) {
  // The second hop's smtpd verified the chain and said so in its own field.
  std::string first = sealed(message_);
  std::string arrived = "Authentication-Results: mx2.forward.example; arc=pass (i=1); dmarc=fail\n" + first;
  const std::string second = sealed(arrived, "mx2.forward.example");
  EXPECT_NE(second.find("ARC-Seal: i=2; a=rsa-sha256; t=1765130000; cv=pass;"), std::string::npos);
  const ArcOutcome r = verify(second);
  EXPECT_EQ(r.result, "pass") << r.comment;
  EXPECT_EQ(r.instances, 2);
  EXPECT_EQ(methodResult(r.sealerResults, "dmarc"), "fail");
}

TEST_F(ArcTest, SecondHopWithoutVerdictDoesNotSeal) {
  std::string arrived = "Authentication-Results: mx2.forward.example; dmarc=pass\n" + sealed(message_);
  ArcSealer sealer(key_);
  const std::size_t end = posthorn::mime::headerEnd(arrived);
  const ArcSealResult r = sealer.seal({std::string_view(arrived).substr(0, end), bodyHash(arrived.substr(end)), "mx2.forward.example", 1});
  EXPECT_TRUE(r.fields.empty());
  EXPECT_NE(r.error.find("no arc= result"), std::string::npos) << r.error;
}

TEST_F(ArcTest, BrokenStructureFails) {
  const std::string m = sealed(message_);
  EXPECT_EQ(verify(replaced(m, "ARC-Seal: i=1", "ARC-Seal: i=2")).result, "fail");
  const ArcOutcome r = verify("ARC-Seal: i=1; cv=none; a=rsa-sha256; d=x; s=y; b=abcd\n" + m);
  EXPECT_EQ(r.result, "fail");
  EXPECT_NE(r.comment.find("two ARC-Seal fields with i=1"), std::string::npos) << r.comment;
  EXPECT_EQ(verify(replaced(m, "cv=none", "cv=fail")).result, "fail");
}

TEST_F(ArcTest, UnknownKeyFails) {
  const ArcOutcome r = verify(replaced(sealed(message_), "s=arc;", "s=old;"));
  EXPECT_EQ(r.result, "fail");
  EXPECT_NE(r.comment.find("no key at old._domainkey.forward.example"), std::string::npos) << r.comment;
}

}  // namespace
