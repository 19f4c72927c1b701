// passwd_command_test - `posthorn passwd`: hashing, adding and changing
// users, keeping every other line, atomic rewrite, permissions, errors.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "lib/auth/passwd_file.h"
#include "lib/auth/scram.h"
#include "test/unit/command_test_util.h"
#include "test/unit/map_test_util.h"
#include "tools/passwd_command.h"

namespace posthorn::tools {
namespace {

using map::testing::readFile;
using map::testing::ScratchDir;
using map::testing::writeFile;

using testing::capture;
using testing::Outcome;

Outcome passwd(const std::vector<std::string>& args, const std::string& input) {
  std::istringstream in(input);
  return capture([&](std::ostream& o, std::ostream& e) { return runPasswd(args, in, o, e); });
}

mode_t modeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

// The line of user in the file at path, parsed.
auth::PasswdEntry entryOf(const std::string& path, const std::string& user) {
  const auto parsed = auth::parsePasswdFile(readFile(path), path);
  for (const auto& e : parsed.entries) {
    if (auth::foldUser(e.user) == auth::foldUser(user)) return e;
  }
  ADD_FAILURE() << user << " is not in " << path << ":\n" << readFile(path);
  return {};
}

TEST(PasswdHash, YescryptByDefaultAndVerifies) {
  const std::string hash = hashPassword("correct horse");
  EXPECT_EQ(hash.rfind("$y$", 0), 0u) << hash;
  EXPECT_TRUE(verifyPassword("correct horse", hash));
  EXPECT_TRUE(verifyPassword("correct horse", "{CRYPT}" + hash));
  EXPECT_FALSE(verifyPassword("correct horsf", hash));
  EXPECT_NE(hashPassword("correct horse"), hash) << "a fresh salt each time";
  const std::string sha = hashPassword("pw", "sha512");
  EXPECT_EQ(sha.rfind("$6$", 0), 0u) << sha;
  EXPECT_TRUE(verifyPassword("pw", sha));
  const std::string bcrypt = hashPassword("pw", "bcrypt");
  EXPECT_EQ(bcrypt.rfind("$2b$", 0), 0u) << bcrypt;
  EXPECT_TRUE(verifyPassword("pw", bcrypt));
  EXPECT_THROW(hashPassword("pw", "md5"), std::invalid_argument);
  EXPECT_FALSE(verifyPassword("pw", ""));
}

TEST(PasswdCommand, AddsAUserToANewFile) {
  ScratchDir dir;
  const std::string file = dir.file("passwd");
  const Outcome r = passwd({"-f", file, "-u", "5000", "-g", "5001", "-d", "/var/vmail/alice", "-q",
                        "1G", "alice@example.com"},
                       "s3cret pass\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "posthorn passwd: added alice@example.com to " + file + "\n");
  EXPECT_EQ(modeOf(file), 0640u);
  const auto e = entryOf(file, "alice@example.com");
  EXPECT_EQ(e.password.rfind("{CRYPT}$y$", 0), 0u) << e.password;
  EXPECT_TRUE(verifyPassword("s3cret pass", e.password));
  EXPECT_EQ(e.uid, "5000");
  EXPECT_EQ(e.gid, "5001");
  EXPECT_EQ(e.home, "/var/vmail/alice");
  ASSERT_NE(e.userdbField("quota_rule"), nullptr);
  EXPECT_EQ(*e.userdbField("quota_rule"), "*:storage=1G");
  EXPECT_EQ(dir.list(), std::vector<std::string>{"passwd"}) << "no temporary file is left";
  EXPECT_EQ(readFile(file).back(), '\n');
}

TEST(PasswdCommand, ChangesOnlyTheUsersLine) {
  ScratchDir dir;
  const std::string file = dir.file("passwd");
  const std::string before =
      "# posthorn users\n"
      "\n"
      "bob@example.com:{CRYPT}$y$old-bob:5002:5002::/v/bob\n"
      "Alice@Example.com:{CRYPT}$y$old-alice:5000:5000:Alice:/v/alice::"
      "userdb_mail=maildir:~/Maildir userdb_quota_rule=*:storage=2G\n"
      "   # a comment between users\n"
      "broken line without colons\n"
      "carol@example.com:{PLAIN}x:5003:5003::/v/carol";
  writeFile(file, before);
  ASSERT_EQ(::chmod(file.c_str(), 0600), 0);
  const Outcome r = passwd({"-f", file, "alice@example.com"}, "new password\r\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out, "posthorn passwd: changed alice@example.com in " + file + "\n");
  EXPECT_NE(r.err.find(file + ":6: "), std::string::npos) << "the broken line is reported: " << r.err;
  EXPECT_NE(r.err.find("kept as it is"), std::string::npos) << r.err;

  const std::string after = readFile(file);
  const auto e = entryOf(file, "alice@example.com");
  EXPECT_EQ(e.user, "Alice@Example.com") << "the user keeps its spelling";
  EXPECT_TRUE(verifyPassword("new password", e.password)) << "a CR before the newline is dropped";
  EXPECT_EQ(e.uid, "5000");
  EXPECT_EQ(e.gecos, "Alice");
  EXPECT_EQ(e.home, "/v/alice");
  EXPECT_EQ(*e.userdbField("mail"), "maildir:~/Maildir");
  EXPECT_EQ(*e.userdbField("quota_rule"), "*:storage=2G");

  // Every other line is byte for byte what it was, in order.
  std::vector<std::string> a, b;
  std::istringstream sa(before), sb(after);
  for (std::string l; std::getline(sa, l);) a.push_back(l);
  for (std::string l; std::getline(sb, l);) b.push_back(l);
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (i == 3) {
      EXPECT_NE(a[i], b[i]);
    } else {
      EXPECT_EQ(a[i], b[i]) << "line " << i + 1;
    }
  }
  EXPECT_EQ(modeOf(file), 0600u) << "an existing file keeps its mode";
}

TEST(PasswdCommand, ChangesFieldsAndQuota) {
  ScratchDir dir;
  const std::string file = dir.file("passwd");
  ASSERT_EQ(passwd({"-f", file, "-u", "1", "-g", "1", "-d", "/h", "a@x.org"}, "pw\n").status, 0);
  const std::string hash = entryOf(file, "a@x.org").password;

  Outcome r = passwd({"-f", file, "-k", "-q", "500000", "-d", "/h2", "A@X.ORG"}, "");
  ASSERT_EQ(r.status, 0) << r.err;
  auto e = entryOf(file, "a@x.org");
  EXPECT_EQ(e.password, hash) << "-k keeps the password";
  EXPECT_EQ(e.home, "/h2");
  EXPECT_EQ(*e.userdbField("quota_rule"), "*:storage=500000B") << "a bare number is bytes";

  r = passwd({"-f", file, "-k", "-q", "none", "a@x.org"}, "");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(entryOf(file, "a@x.org").userdbField("quota_rule"), nullptr);

  r = passwd({"-f", file, "-m", "sha512", "-u", "7", "a@x.org"}, "other\n");
  ASSERT_EQ(r.status, 0) << r.err;
  e = entryOf(file, "a@x.org");
  EXPECT_EQ(e.password.rfind("{CRYPT}$6$", 0), 0u);
  EXPECT_TRUE(verifyPassword("other", e.password));
  EXPECT_EQ(e.uid, "7");
  EXPECT_EQ(auth::parsePasswdFile(readFile(file), file).entries.size(), 1u);
}

TEST(PasswdCommand, Errors) {
  ScratchDir dir;
  const std::string file = dir.file("passwd");
  writeFile(file, "# only a comment\n");

  Outcome r = passwd({"-f", file, "new@x.org"}, "pw\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("-u UID -g GID -d HOME"), std::string::npos) << r.err;
  EXPECT_EQ(readFile(file), "# only a comment\n") << "nothing changed";

  r = passwd({"-f", file, "-u", "1", "-g", "1", "-d", "/h", "new@x.org"}, "");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("no password"), std::string::npos) << r.err;
  r = passwd({"-f", file, "-u", "1", "-g", "1", "-d", "/h", "new@x.org"}, "\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("empty password"), std::string::npos) << r.err;
  r = passwd({"-f", file, "-k", "-u", "1", "-g", "1", "-d", "/h", "new@x.org"}, "");
  EXPECT_EQ(r.status, 1) << "a new user needs a password";
  r = passwd({"-f", file, "-u", "1x", "-g", "1", "-d", "/h", "new@x.org"}, "pw\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("uid \"1x\""), std::string::npos) << r.err;
  EXPECT_EQ(readFile(file), "# only a comment\n");

  EXPECT_EQ(passwd({"-f", file}, "pw\n").status, 2);
  EXPECT_EQ(passwd({"-f", file, "a@x", "b@x"}, "pw\n").status, 2);
  EXPECT_EQ(passwd({"-f", file, "-x", "a@x"}, "pw\n").status, 2);
  EXPECT_EQ(passwd({"-f", file, "a:b@x"}, "pw\n").status, 2);
  EXPECT_EQ(passwd({"-f", file, "-d", "relative", "a@x"}, "pw\n").status, 2);
  EXPECT_EQ(passwd({"-f", file, "-q", "1X", "a@x"}, "pw\n").status, 2);
  EXPECT_EQ(passwd({"-f", file, "-q", "+1G", "a@x"}, "pw\n").status, 2);
  EXPECT_EQ(passwd({"-f", file, "-m", "md5", "a@x"}, "pw\n").status, 2);

  writeFile(file, "a@x.org:pw:1:1::relative\n");
  r = passwd({"-f", file, "a@x.org"}, "pw\n");
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find(file + ":1: cannot change a@x.org"), std::string::npos) << r.err;

  r = passwd({"-f", dir.file("no/such/dir/passwd"), "-u", "1", "-g", "1", "-d", "/h", "a@x"},
             "pw\n");
  EXPECT_EQ(r.status, 1);
}

TEST(PasswdCommand, TightensAFileOthersCouldRead) {
  ScratchDir dir;
  const std::string file = dir.file("passwd");
  writeFile(file, "b@x.org:pw:1:1::/h\n");
  ASSERT_EQ(::chmod(file.c_str(), 0644), 0);
  const Outcome r = passwd({"-f", file, "-u", "2", "-g", "2", "-d", "/h", "c@x.org"}, "pw\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(modeOf(file), 0640u);
  EXPECT_NE(r.err.find("new mode is 0640"), std::string::npos) << r.err;
}

TEST(PasswdCommand, ConcurrentRunsLoseNothing) {
  ScratchDir dir;
  const std::string file = dir.file("passwd");
  std::vector<std::thread> threads;
  std::vector<int> status(8, -1);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      status[i] = passwd({"-f", file, "-m", "sha512", "-u", std::to_string(1000 + i), "-g", "100",
                          "-d", "/h/" + std::to_string(i), "user" + std::to_string(i) + "@x.org"},
                         "pw" + std::to_string(i) + "\n")
                      .status;
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < 8; ++i) EXPECT_EQ(status[i], 0) << i;
  const auto parsed = auth::parsePasswdFile(readFile(file), file);
  EXPECT_EQ(parsed.entries.size(), 8u) << readFile(file);
  EXPECT_TRUE(parsed.errors.empty());
  for (const auto& e : parsed.entries) {
    const std::string n = e.user.substr(4, 1);
    EXPECT_TRUE(verifyPassword("pw" + n, e.password)) << e.user;
  }
}

TEST(PasswdCommand, TheFileComesFromTheConfiguration) {
  ScratchDir dir;
  writeFile(dir.file("posthorn.conf"), "auth_passwd_file = $config_directory/users\n");
  const Outcome r = passwd({"-c", dir.path(), "-u", "1", "-g", "1", "-d", "/h", "a@x.org"}, "pw\n");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(entryOf(dir.file("users"), "a@x.org").uid, "1");

  const Outcome missing = passwd({"-c", dir.file("nowhere"), "a@x.org"}, "pw\n");
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("posthorn.conf"), std::string::npos) << missing.err;
}

TEST(PasswdCommand, StoresAScramVerifierThatFollowsThePassword) {
  ScratchDir dir;
  const std::string file = dir.file("passwd");
  ASSERT_EQ(passwd({"-f", file, "-u", "1", "-g", "1", "-d", "/h", "a@example.com"}, "first\n").status,
            0);
  auto e = entryOf(file, "a@example.com");
  ASSERT_NE(e.extra("scram-sha-256"), nullptr) << readFile(file);
  auto v = auth::parseScramVerifier(*e.extra("scram-sha-256"));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->iterations, auth::kScramDefaultIterations);
  EXPECT_TRUE(auth::scramCheckPassword(*v, "first"));
  // -k keeps the password and its verifier.
  ASSERT_EQ(passwd({"-f", file, "-k", "-q", "1G", "a@example.com"}, "").status, 0);
  EXPECT_EQ(*entryOf(file, "a@example.com").extra("scram-sha-256"), *e.extra("scram-sha-256"));
  // A new password gets a new verifier.
  ASSERT_EQ(passwd({"-f", file, "a@example.com"}, "second\n").status, 0);
  e = entryOf(file, "a@example.com");
  v = auth::parseScramVerifier(*e.extra("scram-sha-256"));
  ASSERT_TRUE(v);
  EXPECT_TRUE(auth::scramCheckPassword(*v, "second"));
  EXPECT_FALSE(auth::scramCheckPassword(*v, "first"));
  // -S: none, and the old one goes.
  ASSERT_EQ(passwd({"-f", file, "-S", "a@example.com"}, "third\n").status, 0);
  e = entryOf(file, "a@example.com");
  EXPECT_EQ(e.extra("scram-sha-256"), nullptr) << readFile(file);
  EXPECT_TRUE(verifyPassword("third", e.password));
}

}  // namespace
}  // namespace posthorn::tools
