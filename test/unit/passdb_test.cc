// passdb_test - authd's passdb side: base64, password schemes, SCRAM, throttle, conversations
#include <crypt.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "auth/auth_throttle.h"
#include "auth/authd_settings.h"
#include "auth/passdb.h"
#include "auth/password_check.h"
#include "auth/sasl_conversation.h"
#include "lib/auth/scram.h"
#include "lib/proto/passdb_client.h"

using namespace posthorn;
using namespace posthorn::auth;
using namespace std::chrono_literals;
using namespace std::string_literals;

namespace {

std::string cryptHash(const char* prefix, const std::string& password) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn(prefix, 0, nullptr, 0, salt, sizeof salt) == nullptr) return "";
  crypt_data data{};
  const char* out = crypt_rn(password.c_str(), salt, &data, sizeof data);
  return out ? out : "";
}

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    char name[] = "/tmp/passdb_test.XXXXXX";
    const int fd = mkstemp(name);
    path_ = name;
    ::close(fd);
    write(text);
  }
  ~TempFile() { ::unlink(path_.c_str()); }
  void write(const std::string& text) {
    std::ofstream(path_) << text;
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

TEST(Base64, RoundTripsAndRejectsGarbage) {
  for (std::string s : {std::string(""), std::string("a"), std::string("ab"), std::string("abc"),
                        std::string("abcd"), "\0\xff\x10"s}) {
    EXPECT_EQ(passdb::decodeBase64(passdb::encodeBase64(s)), s);
  }
  EXPECT_EQ(passdb::encodeBase64("\0alice\0secret"s), "AGFsaWNlAHNlY3JldA==");
  EXPECT_FALSE(passdb::decodeBase64("abc"));
  EXPECT_FALSE(passdb::decodeBase64("ab=c"));
  EXPECT_FALSE(passdb::decodeBase64("a===")) ;
  EXPECT_FALSE(passdb::decodeBase64("ab cd"));
  EXPECT_FALSE(passdb::decodeBase64("*"));
}

TEST(PasswordCheck, CryptSchemes) {
  for (const char* prefix : {"$y$", "$6$", "$2b$"}) {
    const std::string hash = cryptHash(prefix, "s3cret");
    ASSERT_FALSE(hash.empty()) << prefix;
    EXPECT_EQ(checkPassword("{CRYPT}" + hash, "s3cret", false), PasswordResult::Match) << prefix;
    EXPECT_EQ(checkPassword(hash, "s3cret", false), PasswordResult::Match) << prefix;
    EXPECT_EQ(checkPassword("{CRYPT}" + hash, "s3cret ", false), PasswordResult::Mismatch);
    EXPECT_EQ(checkPassword("{CRYPT}" + hash, "", false), PasswordResult::Mismatch);
  }
  const std::string sha = cryptHash("$6$", "pw");
  EXPECT_EQ(checkPassword("{SHA512-CRYPT}" + sha, "pw", false), PasswordResult::Match);
  const std::string blf = cryptHash("$2b$", "pw");
  EXPECT_EQ(checkPassword("{BLF-CRYPT}" + blf, "pw", false), PasswordResult::Match);
}

TEST(PasswordCheck, PlainOnlyWhenAllowedAndLockedAccounts) {
  std::string why;
  EXPECT_EQ(checkPassword("{PLAIN}secret", "secret", false, &why), PasswordResult::PlainRefused);
  EXPECT_NE(why.find("auth_allow_plaintext_passwords"), std::string::npos);
  EXPECT_EQ(checkPassword("{PLAIN}secret", "secret", true), PasswordResult::Match);
  EXPECT_EQ(checkPassword("{plain}secret", "Secret", true), PasswordResult::Mismatch);
  EXPECT_EQ(checkPassword("{PLAIN}", "", true), PasswordResult::Mismatch);
  EXPECT_EQ(checkPassword("", "", false), PasswordResult::Mismatch);
  EXPECT_EQ(checkPassword("*", "", false), PasswordResult::Mismatch);
  EXPECT_EQ(checkPassword("!$6$xyz", "x", false), PasswordResult::Mismatch);
  EXPECT_EQ(checkPassword("{MD4}abc", "x", true), PasswordResult::Unsupported);
  EXPECT_EQ(checkPassword("{CRYPT", "x", true), PasswordResult::Unsupported);
}

// RFC 7677 section 3, the SCRAM-SHA-256 example exchange.
TEST(Scram, Rfc7677Example) {
  const std::string salt = *passdb::decodeBase64("W22ZaJ0SNY7soEsUEjb6gQ==");
  const ScramVerifier v = makeScramVerifier("pencil", salt, 4096);
  EXPECT_TRUE(scramCheckPassword(v, "pencil"));
  EXPECT_FALSE(scramCheckPassword(v, "pencil2"));
  auto parsed = parseScramVerifier(formatScramVerifier(v));
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->storedKey, v.storedKey);
  EXPECT_EQ(checkPassword("{SCRAM-SHA-256}" + formatScramVerifier(v), "pencil", false),
            PasswordResult::Match);

  ScramServer server("fake");
  ASSERT_TRUE(server.clientFirst("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
  EXPECT_EQ(server.user(), "user");
  EXPECT_EQ(server.serverFirst(v, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"),
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,"
            "i=4096");
  auto final = server.clientFinal(
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
      "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=");
  ASSERT_TRUE(final) << server.error();
  EXPECT_EQ(*final, "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=");
}

TEST(Scram, WrongProofNoVerifierAndMalformed) {
  const ScramVerifier v =
      makeScramVerifier("other", *passdb::decodeBase64("W22ZaJ0SNY7soEsUEjb6gQ=="), 4096);
  ScramServer server("fake");
  ASSERT_TRUE(server.clientFirst("n,,n=user,r=rOprNGfwEbeRWgbNEkqO"));
  server.serverFirst(v, "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
  EXPECT_FALSE(server.clientFinal(
      "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
      "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="));
  EXPECT_EQ(server.error(), "password mismatch");

  ScramServer none("fake");
  ASSERT_TRUE(none.clientFirst("n,,n=nobody,r=abc"));
  const std::string first = none.serverFirst(std::nullopt);
  EXPECT_EQ(first.rfind("r=abc", 0), 0u);
  EXPECT_NE(first.find(",s="), std::string::npos);
  ScramServer again("fake");
  ASSERT_TRUE(again.clientFirst("n,,n=nobody,r=abc"));
  // The made-up salt is stable per user.
  EXPECT_EQ(first.substr(first.find(",s=")), again.serverFirst(std::nullopt).substr(first.find(",s=")));

  ScramServer bad("fake");
  EXPECT_FALSE(bad.clientFirst("p=tls-unique,,n=user,r=abc"));
  EXPECT_FALSE(bad.clientFirst("n,,r=abc"));
  EXPECT_FALSE(bad.clientFirst("n,,n=us=er,r=abc"));
  EXPECT_FALSE(bad.clientFirst("garbage"));
  EXPECT_FALSE(parseScramVerifier("4096,abc"));
  EXPECT_FALSE(parseScramVerifier("x,AAAA,AAAA,AAAA"));
}

TEST(Throttle, GrowingDelaysLockoutAndForgetting) {
  ThrottleSettings s;
  s.baseDelay = 100ms;
  s.maxDelay = 350ms;
  s.clientLockoutThreshold = 3;
  s.accountLockoutThreshold = 5;
  s.lockoutTime = 60s;
  AuthThrottle t(s);
  auto now = AuthThrottle::Clock::now();
  EXPECT_EQ(t.delay("192.0.2.1", "alice", false, now), 0ms);
  EXPECT_EQ(t.delay("192.0.2.1", "alice", true, now), 100ms);
  EXPECT_EQ(t.failure("192.0.2.1", "alice", now), 1);
  EXPECT_EQ(t.delay("192.0.2.1", "bob", false, now), 100ms);
  EXPECT_EQ(t.delay("192.0.2.9", "alice", false, now), 100ms);  // the account's count
  EXPECT_EQ(t.delay("192.0.2.9", "bob", false, now), 0ms);
  t.failure("192.0.2.1", "alice", now);
  EXPECT_EQ(t.delay("192.0.2.1", "", false, now), 200ms);
  EXPECT_FALSE(t.locked("192.0.2.1", "", now));
  t.failure("192.0.2.1", "carol", now);
  EXPECT_EQ(t.delay("192.0.2.1", "", true, now), 350ms);
  std::string why;
  EXPECT_TRUE(t.locked("192.0.2.1", "", now, &why));
  EXPECT_EQ(why, "client locked out");
  EXPECT_FALSE(t.locked("192.0.2.2", "alice", now));
  EXPECT_FALSE(t.locked("192.0.2.1", "", now + 61s));  // forgotten
  // Account lockout from many addresses.
  for (int i = 0; i < 5; ++i) t.failure("198.51.100." + std::to_string(i), "dave", now);
  EXPECT_TRUE(t.locked("203.0.113.1", "dave", now, &why));
  EXPECT_EQ(why, "account locked out");
  t.success("203.0.113.1", "dave");
  EXPECT_FALSE(t.locked("203.0.113.1", "dave", now));
  // Off switches.
  s.clientLockoutThreshold = 0;
  s.baseDelay = 0ms;
  AuthThrottle off(s);
  for (int i = 0; i < 20; ++i) off.failure("192.0.2.1", "", now);
  EXPECT_FALSE(off.locked("192.0.2.1", "", now));
  EXPECT_EQ(off.delay("192.0.2.1", "", true, now), 0ms);
}

TEST(Throttle, BoundedMemory) {
  AuthThrottle t(Settings(config::Config::defaults()).throttle);
  auto now = AuthThrottle::Clock::now();
  for (std::size_t i = 0; i < AuthThrottle::kMaxEntries + 100; ++i) {
    t.failure("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), "", now + 1ms * i);
  }
  EXPECT_EQ(t.failures("10.0.0.0", now + 1s), 0);  // the stalest went first
  EXPECT_EQ(t.failures("10.0.78.131", now + 1s), 1);  // the newest stays
}

class ConversationTest : public ::testing::Test {
 protected:
  ConversationTest()
      : file_("alice@example.com:{CRYPT}" + cryptHash("$6$", "wonderland") +
              ":5000:5000::/home/alice::" + std::string(kScramField) + "=" +
              formatScramVerifier(makeScramVerifier("wonderland")) + "\n" +
              "bob@example.com:{PLAIN}builder:5000:5000::/home/bob\n"),
        db_(PassdbSettings{file_.path(), false, ""}) {}

  SaslConversation::Step run(const std::string& mech, std::optional<std::string> initial,
                             std::vector<std::string> responses = {}) {
    conv_ = SaslConversation::create(mech, db_, "test", "key");
    auto step = conv_->start(initial);
    for (const auto& r : responses) {
      if (step.kind != SaslConversation::Kind::Continue) break;
      step = conv_->next(r);
    }
    return step;
  }

  TempFile file_;
  Passdb db_;
  std::unique_ptr<SaslConversation> conv_;
};

TEST_F(ConversationTest, Plain) {
  using K = SaslConversation::Kind;
  auto ok = run("PLAIN", "\0Alice@Example.com\0wonderland"s);
  EXPECT_EQ(ok.kind, K::Ok);
  EXPECT_EQ(ok.user, "alice@example.com");
  auto later = run("PLAIN", std::nullopt, {"\0alice@example.com\0wonderland"s});
  EXPECT_EQ(later.kind, K::Ok);
  auto wrong = run("PLAIN", "\0alice@example.com\0wrong"s);
  EXPECT_EQ(wrong.kind, K::Fail);
  EXPECT_EQ(conv_->login(), "alice@example.com");
  EXPECT_EQ(run("PLAIN", "\0nobody@example.com\0x"s).reason, "unknown user");
  EXPECT_EQ(run("PLAIN", "bob@example.com\0alice@example.com\0wonderland"s).kind,
            K::Fail);
  EXPECT_EQ(run("PLAIN", "alice@example.com\0alice@example.com\0wonderland"s).kind,
            K::Ok);
  EXPECT_EQ(run("PLAIN", std::string("no-nul")).kind, K::Fail);
  // {PLAIN} is refused unless allowed.
  EXPECT_EQ(run("PLAIN", "\0bob@example.com\0builder"s).kind, K::Fail);
  // An unreadable file is a temporary failure, not a wrong password.
  Passdb unreadable(PassdbSettings{"/", false, ""});
  auto conv = SaslConversation::create("PLAIN", unreadable, "test", "key");
  EXPECT_EQ(conv->start("\0alice@example.com\0wonderland"s).kind, K::TempFail);
}

TEST_F(ConversationTest, Login) {
  using K = SaslConversation::Kind;
  auto step = run("LOGIN", std::nullopt);
  EXPECT_EQ(step.kind, K::Continue);
  EXPECT_EQ(step.challenge, "Username:");
  EXPECT_EQ(run("LOGIN", std::nullopt, {"alice@example.com", "wonderland"}).kind, K::Ok);
  EXPECT_EQ(run("LOGIN", std::string("alice@example.com"), {"wonderland"}).kind, K::Ok);
  EXPECT_EQ(run("LOGIN", std::nullopt, {"alice@example.com", "nope"}).kind, K::Fail);
  EXPECT_EQ(SaslConversation::create("CRAM-MD5", db_, "test", "key"), nullptr);
}

TEST_F(ConversationTest, PlainTextAllowedByParameter) {
  Passdb plain(PassdbSettings{file_.path(), true, ""});
  auto conv = SaslConversation::create("PLAIN", plain, "test", "key");
  EXPECT_EQ(conv->start("\0bob@example.com\0builder"s).kind,
            SaslConversation::Kind::Ok);
}

TEST_F(ConversationTest, FileChangesAndMissingFile) {
  using K = SaslConversation::Kind;
  EXPECT_EQ(run("PLAIN", "\0carol@example.com\0pw"s).kind, K::Fail);
  file_.write("carol@example.com:" + cryptHash("$y$", "pw") + ":1:1::/x\n");
  EXPECT_EQ(run("PLAIN", "\0carol@example.com\0pw"s).kind, K::Ok);
  Passdb missing(PassdbSettings{"/nonexistent/passwd", false, ""});
  auto conv = SaslConversation::create("PLAIN", missing, "test", "key");
  EXPECT_EQ(conv->start("\0carol@example.com\0pw"s).kind, K::Fail);
}
