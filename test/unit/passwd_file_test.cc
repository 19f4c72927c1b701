// passwd_file_test - authd's user database: the passwd-file parser, quota
// rules, the passwd-file, virtual-map and system sources, the lookup chain
// and its settings.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <string>

#include "auth/authd_settings.h"
#include "lib/auth/passwd_file.h"
#include "auth/passwd_file_userdb.h"
#include "lib/auth/quota_rule.h"
#include "auth/system_userdb.h"
#include "auth/userdb.h"
#include "auth/virtual_maps_userdb.h"
#include "lib/config/config.h"
#include "lib/ipc/ipc.h"
#include "lib/map/map_builder.h"
#include "lib/proto/proto_userdb.h"
#include "test/unit/map_test_util.h"

namespace posthorn::auth {
namespace {

using map::testing::ScratchDir;
using map::testing::writeFile;

constexpr const char* kHash = "{CRYPT}$y$j9T$abcdefghijklmnopqrstu.$0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcde";

// Writes text to path through a rename, as `posthorn passwd` does (a new inode).
void replaceFile(const std::string& path, const std::string& text) {
  writeFile(path + ".new", text);
  ASSERT_EQ(::rename((path + ".new").c_str(), path.c_str()), 0);
}

UserAddress address(const std::string& full, bool localDomain = false) {
  UserAddress a;
  a.full = full;
  const auto at = full.rfind('@');
  a.local = at == std::string::npos ? full : full.substr(0, at);
  a.domain = at == std::string::npos ? "" : full.substr(at + 1);
  a.localDomain = localDomain;
  return a;
}

// --- the line format ----------------------------------------------------------

TEST(PasswdLine, AllFieldsAndExtraFieldsWithColons) {
  const auto e = parsePasswdLine(
      std::string("Alice@Example.com:") + kHash +
      ":5000:5001:Alice A:/var/vmail/alice:/bin/false:userdb_mail=maildir:~/Maildir "
      "userdb_quota_rule=*:storage=1G  nopassword");
  EXPECT_EQ(e.user, "Alice@Example.com");
  EXPECT_EQ(e.password, kHash);
  EXPECT_EQ(e.uid, "5000");
  EXPECT_EQ(e.gid, "5001");
  EXPECT_EQ(e.gecos, "Alice A");
  EXPECT_EQ(e.home, "/var/vmail/alice");
  EXPECT_EQ(e.shell, "/bin/false");
  ASSERT_EQ(e.extraFields.size(), 3u);
  EXPECT_EQ(e.extraFields[0].first, "userdb_mail");
  EXPECT_EQ(e.extraFields[0].second, "maildir:~/Maildir");
  EXPECT_EQ(e.extraFields[1].second, "*:storage=1G");
  EXPECT_EQ(e.extraFields[2].first, "nopassword");
  EXPECT_EQ(e.extraFields[2].second, "");
  ASSERT_NE(e.userdbField("quota_rule"), nullptr);
  EXPECT_EQ(*e.userdbField("quota_rule"), "*:storage=1G");
  EXPECT_EQ(e.userdbField("nopassword"), nullptr) << "fields without userdb_ are passdb's";
}

TEST(PasswdLine, TrailingFieldsMayBeLeftOut) {
  auto e = parsePasswdLine("bob:{PLAIN}x");
  EXPECT_EQ(e.user, "bob");
  EXPECT_EQ(e.password, "{PLAIN}x");
  EXPECT_EQ(e.uid, "");
  EXPECT_EQ(e.home, "");
  EXPECT_TRUE(e.extraFields.empty());
  e = parsePasswdLine("carol@x.org:pw:1:2::/home/carol\r");
  EXPECT_EQ(e.home, "/home/carol") << "a trailing CR is dropped";
  e = parsePasswdLine("dave@x.org:pw:vmail:mail::/h::");
  EXPECT_EQ(e.uid, "vmail");
  EXPECT_EQ(e.gid, "mail");
  EXPECT_TRUE(e.extraFields.empty());
}

TEST(PasswdLine, Errors) {
  auto message = [](const std::string& line) {
    try {
      parsePasswdLine(line);
    } catch (const PasswdLineError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message(":pw:1:1::/h").find("user name is empty"), std::string::npos);
  EXPECT_NE(message("a@x:pw:12x:1::/h").find("uid \"12x\""), std::string::npos);
  EXPECT_NE(message("a@x:pw:1:99999999999::/h").find("gid"), std::string::npos);
  EXPECT_NE(message("a@x:pw:1:1::home/a").find("not an absolute path"), std::string::npos);
  EXPECT_NE(message("a@x:pw:1:1::/h::=x").find("has no name"), std::string::npos);
  EXPECT_NE(message("a b@x:pw").find("white space"), std::string::npos);
  EXPECT_NE(message("a@x:p\x01w").find("control character"), std::string::npos);
  EXPECT_NE(message("@x:pw").find("empty local part"), std::string::npos);
}

TEST(PasswdLine, FormatRoundTripsAndDropsEmptyTrailingFields) {
  PasswdEntry e;
  e.user = "alice@example.com";
  e.password = kHash;
  e.uid = "5000";
  e.gid = "5000";
  e.home = "/var/vmail/alice";
  EXPECT_EQ(formatPasswdLine(e), std::string("alice@example.com:") + kHash +
                                     ":5000:5000::/var/vmail/alice");
  const std::string rule = "*:storage=1G";
  e.setExtra("userdb_quota_rule", &rule);
  const std::string line = formatPasswdLine(e);
  EXPECT_EQ(line, std::string("alice@example.com:") + kHash +
                      ":5000:5000::/var/vmail/alice::userdb_quota_rule=*:storage=1G");
  const auto back = parsePasswdLine(line);
  EXPECT_EQ(back.home, e.home);
  EXPECT_EQ(*back.userdbField("quota_rule"), rule);
  e.setExtra("userdb_quota_rule", nullptr);
  EXPECT_TRUE(e.extraFields.empty());
  e.home = "/a:b";
  EXPECT_THROW(formatPasswdLine(e), PasswdLineError);
}

TEST(PasswdLine, KeysFoldCase) {
  EXPECT_EQ(passwdLineKey("  Alice@EXAMPLE.com:x:1"), "alice@example.com");
  EXPECT_EQ(passwdLineKey("# alice@example.com:x"), "");
  EXPECT_EQ(passwdLineKey("   "), "");
  EXPECT_TRUE(isPasswdCommentOrBlank("\t# comment"));
  EXPECT_FALSE(isPasswdCommentOrBlank("a:b"));
}

TEST(PasswdFileParse, ErrorsNameFileAndLine) {
  const std::string text =
      "# users\n"
      "\n"
      "alice@example.com:pw:5000:5000::/v/alice\r\n"
      "bob@example.com:pw:50x0:5000::/v/bob\n"
      "ALICE@example.com:pw:6000:6000::/v/other\n"
      "  # indented comment\n"
      "carol@example.com:pw:5000:5000::/v/carol";
  const PasswdFile f = parsePasswdFile(text, "/etc/mail/passwd");
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[0].user, "alice@example.com");
  EXPECT_EQ(f.entries[0].line, 3);
  EXPECT_EQ(f.entries[1].user, "carol@example.com");
  EXPECT_EQ(f.entries[1].line, 7) << "a last line without newline counts";
  ASSERT_EQ(f.errors.size(), 2u);
  EXPECT_EQ(f.errors[0].rfind("/etc/mail/passwd:4: uid \"50x0\"", 0), 0u) << f.errors[0];
  EXPECT_EQ(f.errors[1].rfind("/etc/mail/passwd:5: duplicate user \"alice@example.com\" "
                              "(first at line 3)", 0), 0u)
      << f.errors[1];
  ASSERT_EQ(f.brokenUsers.size(), 1u);
  EXPECT_EQ(f.brokenUsers[0].first, "bob@example.com");
  EXPECT_EQ(f.brokenUsers[0].second, f.errors[0]);
}

// --- quota rules --------------------------------------------------------------

TEST(QuotaRule, SizesAndUnits) {
  constexpr std::uint64_t G = 1ull << 30, M = 1ull << 20;
  auto bytes = [](const std::string& rule) { return parseQuotaRule(rule, 100 * M)->bytes; };
  EXPECT_EQ(bytes("*:storage=1G"), G);
  EXPECT_EQ(bytes("*:storage=1GB"), G);
  EXPECT_EQ(bytes("*:storage=1g"), G);
  EXPECT_EQ(bytes("*:storage=512M"), 512 * M);
  EXPECT_EQ(bytes("*:storage=10k"), 10240u);
  EXPECT_EQ(bytes("*:storage=1024"), M) << "a bare storage= number is kilobytes";
  EXPECT_EQ(bytes("*:storage=100b"), 100u);
  EXPECT_EQ(bytes("*:storage=2T"), 2ull << 40);
  EXPECT_EQ(bytes("*:bytes=1000"), 1000u) << "a bare bytes= number is bytes";
  EXPECT_EQ(bytes("*:storage=0"), 0u) << "0 = unlimited";
  EXPECT_EQ(bytes("*:storage=50%"), 50 * M);
  EXPECT_EQ(bytes("*:storage=+10M"), 110 * M);
  EXPECT_EQ(bytes("*:storage=-10M"), 90 * M);
  EXPECT_EQ(bytes("*:storage=-1G"), 0u) << "clamped at zero";
  const auto both = parseQuotaRule("*:storage=1G:messages=1000", 0);
  ASSERT_TRUE(both);
  EXPECT_EQ(both->bytes, G);
  EXPECT_EQ(both->messages, 1000u);
  const auto onlyMessages = parseQuotaRule("*:messages=10", 0);
  EXPECT_FALSE(onlyMessages->bytes);
  EXPECT_EQ(onlyMessages->messages, 10u);
  EXPECT_FALSE(parseQuotaRule("Trash:storage=+100M", 0)) << "a folder's rule is ignored";
  EXPECT_TRUE(parseQuotaRule("*:ignore", 0));
}

TEST(QuotaRule, Errors) {
  auto message = [](const std::string& rule) {
    try {
      parseQuotaRule(rule, 1000);
    } catch (const QuotaRuleError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NE(message("storage=1G").find("no mailbox part"), std::string::npos);
  EXPECT_NE(message("*:storage=1X").find("unknown size unit \"X\""), std::string::npos);
  EXPECT_NE(message("*:storage=").find("needs a size"), std::string::npos);
  EXPECT_NE(message("*:storage=G").find("expected a number"), std::string::npos);
  EXPECT_NE(message("*:color=blue").find("unknown quota limit"), std::string::npos);
  EXPECT_NE(message("*:messages=ten").find("expected a number"), std::string::npos);
  EXPECT_NE(message("*:storage=99999999999999999999").find("too large"), std::string::npos);
  EXPECT_NE(message("*:storage=99999999T").find("too large"), std::string::npos);
  EXPECT_NE(message("*:").find("sets no limit"), std::string::npos);
}

// --- the passwd-file source ---------------------------------------------------

class PasswdFileSource : public ::testing::Test {
 protected:
  void write(const std::string& text) { replaceFile(path_, text); }
  ScratchDir dir_;
  std::string path_ = dir_.file("passwd");
};

TEST_F(PasswdFileSource, DescribesAUser) {
  write(std::string("# test users\n"
                    "alice@example.com:") +
        kHash +
        ":5000:5001::/var/vmail/example.com/alice::userdb_mail=maildir:~/Maildir "
        "userdb_quota_rule=*:storage=1G userdb_quota_rule2=*:messages=500 "
        "userdb_quota_rule3=Trash:storage=+10M\n"
        "bob@example.com:x:5002:5002::/var/vmail/%d/%n\n"
        "carol@example.com:x:5003:5003::/h/carol::userdb_home=/var/vmail/%d/%n "
        "userdb_mail=mbox:~/mail:INBOX=/var/mail/%u\n");
  PasswdFileUserdb db(path_, 100 << 20);
  const auto alice = db.lookup(address("alice@example.com"));
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->name, "alice@example.com");
  EXPECT_EQ(alice->source, ipc::UserSource::PasswdFile);
  EXPECT_EQ(alice->uid, 5000u);
  EXPECT_EQ(alice->gid, 5001u);
  EXPECT_EQ(alice->home, "/var/vmail/example.com/alice");
  EXPECT_EQ(alice->mail, "maildir:/var/vmail/example.com/alice/Maildir");
  EXPECT_EQ(alice->quotaBytes, 1ull << 30);
  EXPECT_EQ(alice->quotaMessages, 500u);

  const auto bob = db.lookup(address("bob@example.com"));
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->home, "/var/vmail/%d/%n") << "the home field is taken as written";
  EXPECT_EQ(bob->mail, "");
  EXPECT_FALSE(bob->quotaBytes);
  EXPECT_FALSE(bob->quotaMessages);

  const auto carol = db.lookup(address("carol@example.com"));
  ASSERT_TRUE(carol);
  EXPECT_EQ(carol->home, "/var/vmail/example.com/carol") << "userdb_home wins, %d %n expand";
  EXPECT_EQ(carol->mail, "mbox:/var/vmail/example.com/carol/mail:INBOX=/var/mail/carol@example.com");

  EXPECT_FALSE(db.lookup(address("nobody@example.com")));
  EXPECT_EQ(db.loads(), 1) << "read once for all lookups";

  // The reply that would carry alice holds no trace of her hash.
  ipc::UserdbReply reply;
  reply.status = ipc::UserdbStatus::Found;
  reply.user = *alice;
  const std::string wire = ipc::encodeFrame(reply);
  EXPECT_EQ(wire.find("$y$"), std::string::npos);
  EXPECT_EQ(wire.find("{CRYPT}"), std::string::npos);
}

TEST_F(PasswdFileSource, BareLoginsAnswerForLocalDomainsOnly) {
  write("postmaster:x:5000:5000::/var/vmail/postmaster\n");
  PasswdFileUserdb db(path_, 0);
  EXPECT_TRUE(db.lookup(address("postmaster")));
  EXPECT_TRUE(db.lookup(address("postmaster@localhost", true)));
  EXPECT_FALSE(db.lookup(address("postmaster@example.org", false)));
}

TEST_F(PasswdFileSource, NamesResolveThroughTheSystem) {
  write("alice@example.com:x:root:root::/h\n"
        "bob@example.com:x:no-such-user-here:0::/h\n");
  PasswdFileUserdb db(path_, 0);
  const auto alice = db.lookup(address("alice@example.com"));
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->uid, 0u);
  EXPECT_EQ(alice->gid, 0u);
  try {
    db.lookup(address("bob@example.com"));
    FAIL() << "an unknown uid name is a temporary failure";
  } catch (const UserdbTempFail& e) {
    EXPECT_NE(std::string(e.what()).find(path_ + ":2: user bob@example.com: uid: no such user"),
              std::string::npos)
        << e.what();
  }
}

TEST_F(PasswdFileSource, ABrokenLineFailsOnlyItsUser) {
  write("alice@example.com:x:5000:5000::/h/alice\n"
        "bob@example.com:x:5000:5000::relative\n"
        "carol@example.com:x:::::\n"
        "dave@example.com:x:1:1::/h::userdb_quota_rule=*:storage=1Q\n");
  PasswdFileUserdb db(path_, 0);
  EXPECT_TRUE(db.lookup(address("alice@example.com")));
  try {
    db.lookup(address("bob@example.com"));
    FAIL() << "a malformed line is a temporary failure for its user";
  } catch (const UserdbTempFail& e) {
    EXPECT_EQ(std::string(e.what()), path_ + ":2: home \"relative\" is not an absolute path");
  }
  EXPECT_THROW(db.lookup(address("carol@example.com")), UserdbTempFail) << "no uid";
  try {
    db.lookup(address("dave@example.com"));
    FAIL() << "a bad quota rule is a temporary failure";
  } catch (const UserdbTempFail& e) {
    EXPECT_NE(std::string(e.what()).find(path_ + ":4: "), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("userdb_quota_rule"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(db.lookup(address("erin@example.com")));
}

TEST_F(PasswdFileSource, SeesChangesWithoutRestart) {
  write("alice@example.com:x:5000:5000::/h/alice\n");
  PasswdFileUserdb db(path_, 0);
  EXPECT_TRUE(db.lookup(address("alice@example.com")));
  EXPECT_FALSE(db.lookup(address("bob@example.com")));
  write("alice@example.com:x:5000:5000::/h/alice2\nbob@example.com:x:5001:5001::/h/bob\n");
  const auto bob = db.lookup(address("bob@example.com"));
  ASSERT_TRUE(bob) << "a rewritten file is read again";
  EXPECT_EQ(bob->uid, 5001u);
  EXPECT_EQ(db.lookup(address("alice@example.com"))->home, "/h/alice2");
  EXPECT_EQ(db.loads(), 2);

  // Changed in place, same size, same inode: the mtime/ctime still differ.
  ::usleep(20000);
  writeFile(path_, "alice@example.com:x:5000:5000::/h/alice3\nbob@example.com:x:5001:5001::/h/bob\n");
  EXPECT_EQ(db.lookup(address("alice@example.com"))->home, "/h/alice3");

  ASSERT_EQ(::unlink(path_.c_str()), 0);
  EXPECT_FALSE(db.lookup(address("alice@example.com"))) << "a missing file holds no users";
}

TEST_F(PasswdFileSource, AFileThatCannotBeReadIsATemporaryFailure) {
  ASSERT_EQ(::mkdir(path_.c_str(), 0700), 0);  // open works, read fails (EISDIR)
  PasswdFileUserdb db(path_, 0);
  EXPECT_THROW(db.lookup(address("alice@example.com")), UserdbTempFail);
  ASSERT_EQ(::rmdir(path_.c_str()), 0);
  write("alice@example.com:x:1:1::/h\n");
  EXPECT_TRUE(db.lookup(address("alice@example.com"))) << "and it recovers";
}

TEST(MailLocation, TildeExpansion) {
  EXPECT_EQ(expandMailLocation("maildir:~/Maildir", "/home/a"), "maildir:/home/a/Maildir");
  EXPECT_EQ(expandMailLocation("~/Maildir", "/home/a"), "/home/a/Maildir");
  EXPECT_EQ(expandMailLocation("maildir:~", "/home/a"), "maildir:/home/a");
  EXPECT_EQ(expandMailLocation("maildir:/srv/m/a", "/home/a"), "maildir:/srv/m/a");
  EXPECT_EQ(expandMailLocation("maildir:~bob/M", "/home/a"), "maildir:~bob/M");
  EXPECT_THROW(expandMailLocation("maildir:~/Maildir", ""), PasswdLineError);
  EXPECT_EQ(expandPasswdVariables("%d/%n (%u) %h %% %x", "a@b.c", "/h"), "b.c/a (a@b.c) /h % %x");
}

// --- the virtual maps source --------------------------------------------------

class VirtualSource : public ::testing::Test {
 protected:
  void SetUp() override {
    map::writeHashMap(dir_.file("vmailbox.db"),
                      {{"alice@virt.example", "virt.example/alice/", 1},
                       {"bob@virt.example", "virt.example/bob", 2},
                       {"@catch.example", "catch.example/all/", 3},
                       {"low@virt.example", "virt.example/low/", 4},
                       {"evil@virt.example", "../../etc/", 5}});
    map::writeHashMap(dir_.file("vgid.db"), {{"alice@virt.example", "6001", 1},
                                             {"bob@virt.example", "6002", 2},
                                             {"@catch.example", "6003", 3},
                                             {"low@virt.example", "6004", 4}});
    map::writeHashMap(dir_.file("vuid.db"), {{"low@virt.example", "50", 1}});
    settings_.mailboxMaps = {"hash:" + dir_.file("vmailbox")};
    settings_.uidMaps = {"proxy:hash:" + dir_.file("vuid"), "static:5000"};
    settings_.gidMaps = {"hash:" + dir_.file("vgid")};
    settings_.mailboxBase = "/var/vmail/";
    settings_.minimumUid = 100;
  }
  ScratchDir dir_;
  VirtualMapsSettings settings_;
};

TEST_F(VirtualSource, MaildirMboxAndCatchAll) {
  VirtualMapsUserdb db(settings_);
  const auto alice = db.lookup(address("alice@virt.example"));
  ASSERT_TRUE(alice);
  EXPECT_EQ(alice->name, "alice@virt.example");
  EXPECT_EQ(alice->source, ipc::UserSource::VirtualMaps);
  EXPECT_EQ(alice->uid, 5000u) << "static:5000 after a table without the key";
  EXPECT_EQ(alice->gid, 6001u);
  EXPECT_EQ(alice->mail, "maildir:/var/vmail/virt.example/alice/");
  EXPECT_EQ(alice->home, "/var/vmail/virt.example/alice");
  EXPECT_FALSE(alice->quotaBytes);

  const auto bob = db.lookup(address("bob@virt.example"));
  ASSERT_TRUE(bob);
  EXPECT_EQ(bob->mail, "mbox:/var/vmail/virt.example/bob");
  EXPECT_EQ(bob->home, "");

  const auto any = db.lookup(address("whoever@catch.example"));
  ASSERT_TRUE(any);
  EXPECT_EQ(any->name, "whoever@catch.example");
  EXPECT_EQ(any->gid, 6003u);
  EXPECT_EQ(any->mail, "maildir:/var/vmail/catch.example/all/");

  EXPECT_FALSE(db.lookup(address("carol@virt.example")));
  EXPECT_FALSE(db.lookup(address("alice"))) << "a bare login is never a virtual user";
}

TEST_F(VirtualSource, ProblemsAreTemporaryFailures) {
  VirtualMapsUserdb db(settings_);
  try {
    db.lookup(address("low@virt.example"));
    FAIL() << "uid 50 is below virtual_minimum_uid";
  } catch (const UserdbTempFail& e) {
    EXPECT_NE(std::string(e.what()).find("below virtual_minimum_uid 100"), std::string::npos);
  }
  EXPECT_THROW(db.lookup(address("evil@virt.example")), UserdbTempFail) << "a .. path";

  settings_.gidMaps = {"hash:" + dir_.file("missing")};
  VirtualMapsUserdb missing(settings_);
  EXPECT_THROW(missing.lookup(address("alice@virt.example")), UserdbTempFail)
      << "a table that cannot be opened is not a miss";

  settings_.gidMaps = {"static:staff"};
  VirtualMapsUserdb badGid(settings_);
  EXPECT_THROW(badGid.lookup(address("alice@virt.example")), UserdbTempFail);

  settings_.gidMaps = {"static:1"};
  settings_.mailboxBase = "";
  VirtualMapsUserdb noBase(settings_);
  EXPECT_THROW(noBase.lookup(address("alice@virt.example")), UserdbTempFail);
}

// --- the chain ------------------------------------------------------------------

TEST(UserdbChain, OrderLocalDomainsAndExtensions) {
  ScratchDir dir;
  replaceFile(dir.file("passwd"),
              "alice@example.com:x:5000:5000::/h/alice\n"
              "root@localhost:x:5001:5001::/h/not-the-system-root\n");
  std::vector<std::unique_ptr<UserdbSource>> sources;
  sources.push_back(std::make_unique<PasswdFileUserdb>(dir.file("passwd"), 0));
  sources.push_back(std::make_unique<SystemUserdb>());
  Userdb db(std::move(sources), {"Localhost", "mail.example.net"}, "+-");

  auto reply = db.lookup("ALICE@Example.COM");
  ASSERT_EQ(reply.status, ipc::UserdbStatus::Found);
  EXPECT_EQ(reply.user.name, "alice@example.com");

  reply = db.lookup("alice+lists@example.com");
  ASSERT_EQ(reply.status, ipc::UserdbStatus::Found) << "recipient_delimiter";
  EXPECT_EQ(reply.user.home, "/h/alice");
  EXPECT_EQ(db.lookup("alice-x@example.com").status, ipc::UserdbStatus::Found);
  EXPECT_EQ(db.lookup("+alice@example.com").status, ipc::UserdbStatus::NotFound);

  reply = db.lookup("root@mail.example.net");
  ASSERT_EQ(reply.status, ipc::UserdbStatus::Found) << "a system user of a local domain";
  EXPECT_EQ(reply.user.source, ipc::UserSource::System);
  EXPECT_EQ(reply.user.uid, 0u);
  EXPECT_EQ(reply.user.name, "root");
  EXPECT_EQ(db.lookup("ROOT@mail.example.net.").user.uid, 0u) << "case and a final dot";
  EXPECT_EQ(db.lookup("root").user.uid, 0u) << "a bare login";

  reply = db.lookup("root@localhost");
  EXPECT_EQ(reply.user.source, ipc::UserSource::PasswdFile) << "the passwd file comes first";
  EXPECT_EQ(reply.user.uid, 5001u);

  EXPECT_EQ(db.lookup("root@example.org").status, ipc::UserdbStatus::NotFound)
      << "system users only answer for local domains";
  EXPECT_EQ(db.lookup("").status, ipc::UserdbStatus::NotFound);
  EXPECT_EQ(db.lookup("a b@example.com").status, ipc::UserdbStatus::NotFound);
  EXPECT_EQ(db.lookup("alice@").status, ipc::UserdbStatus::NotFound);
  EXPECT_EQ(db.lookup(std::string(2000, 'a')).status, ipc::UserdbStatus::NotFound);
}

TEST(UserdbChain, ATemporaryFailureStopsTheSearch) {
  ScratchDir dir;
  ASSERT_EQ(::mkdir(dir.file("passwd").c_str(), 0700), 0);  // unreadable as a file
  std::vector<std::unique_ptr<UserdbSource>> sources;
  sources.push_back(std::make_unique<PasswdFileUserdb>(dir.file("passwd"), 0));
  sources.push_back(std::make_unique<SystemUserdb>());
  Userdb db(std::move(sources), {"localhost"}, "");
  const auto reply = db.lookup("root@localhost");
  EXPECT_EQ(reply.status, ipc::UserdbStatus::TempFail)
      << "root might be in the passwd file: the system must not answer";
  EXPECT_NE(reply.reason.find(dir.file("passwd")), std::string::npos) << reply.reason;
}

// --- settings -------------------------------------------------------------------

TEST(AuthdSettings, ParametersAndDefaults) {
  auto cfg = config::Config::parse(
      "config_directory = /etc/test-mail\n"
      "mydestination = localhost, mail.example.net, hash:/etc/mail/domains\n"
      "virtual_mailbox_maps = hash:/etc/mail/vmailbox\n"
      "virtual_uid_maps = static:5000\n"
      "virtual_gid_maps = static:5000\n"
      "virtual_mailbox_base = /var/vmail\n"
      "virtual_minimum_uid = 1000\n"
      "recipient_delimiter = +\n"
      "mailbox_size_limit = 10m\n",
      "posthorn.conf");
  const Settings s(cfg);
  EXPECT_EQ(s.passwdFile, "/etc/test-mail/passwd");
  EXPECT_EQ(s.virtualMaps.mailboxMaps, std::vector<std::string>{"hash:/etc/mail/vmailbox"});
  EXPECT_EQ(s.virtualMaps.uidMaps, std::vector<std::string>{"static:5000"});
  EXPECT_EQ(s.virtualMaps.mailboxBase, "/var/vmail");
  EXPECT_EQ(s.virtualMaps.minimumUid, 1000u);
  EXPECT_EQ(s.localDomains, (std::vector<std::string>{"localhost", "mail.example.net"}));
  EXPECT_EQ(s.recipientDelimiter, "+");
  EXPECT_EQ(s.defaultQuotaBytes, 10u << 20);
  ASSERT_EQ(s.warnings.size(), 1u);
  EXPECT_NE(s.warnings[0].find("hash:/etc/mail/domains"), std::string::npos);

  const Settings d(config::Config::parse("config_directory = /x\nauth_passwd_file = $config_directory/users\n",
                                         "posthorn.conf"));
  EXPECT_EQ(d.passwdFile, "/x/users");
  EXPECT_EQ(d.virtualMaps.minimumUid, 100u);

  EXPECT_THROW(Settings(config::Config::parse("virtual_minimum_uid = lots\n", "posthorn.conf")),
               config::ConfigError);
}

}  // namespace
}  // namespace posthorn::auth
