// map_test - table names, hash tables built from text, and atomic rebuilds
// under a concurrent reader.
#include <cstring>
#include <functional>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/map/hash_map.h"
#include "lib/map/lookup_table.h"
#include "lib/map/map_builder.h"
#include "test/unit/map_test_util.h"

namespace posthorn::map {
namespace {

using testing::readFile;
using testing::errorOf;
using testing::ScratchDir;
using testing::writeFile;

TEST(TableSpec, ParsesTypeAndName) {
  TableSpec spec = TableSpec::parse("hash:/etc/mail/aliases");
  EXPECT_EQ(spec.type, "hash");
  EXPECT_EQ(spec.name, "/etc/mail/aliases");
  EXPECT_EQ(spec.str(), "hash:/etc/mail/aliases");
  EXPECT_EQ(TableSpec::parse("btree:relative:name").name, "relative:name");
}

TEST(TableSpec, RejectsNamesWithoutTypeOrName) {
  EXPECT_EQ(errorOf([] { TableSpec::parse("/etc/mail/aliases"); }),
            "bad table name \"/etc/mail/aliases\": expected type:name, for example "
            "hash:/etc/mail/aliases");
  EXPECT_EQ(errorOf([] { TableSpec::parse("hash:"); }),
            "bad table name \"hash:\": the name after \"hash:\" is empty");
  EXPECT_NE(errorOf([] { TableSpec::parse(":x"); }), "");
  EXPECT_NE(errorOf([] { TableSpec::parse(""); }), "");
}

TEST(TableSpec, DefaultTypeForBareFileNames) {
  EXPECT_EQ(TableSpec::parseOrDefault("/etc/mail/virtual", "hash").str(), "hash:/etc/mail/virtual");
  EXPECT_EQ(TableSpec::parseOrDefault("virtual", "hash").str(), "hash:virtual");
  EXPECT_EQ(TableSpec::parseOrDefault("./odd:name", "hash").str(), "hash:./odd:name");
  EXPECT_EQ(TableSpec::parseOrDefault("btree:/x", "hash").str(), "btree:/x");
  EXPECT_EQ(errorOf([] { TableSpec::parseOrDefault("", "hash"); }), "empty table name");
}

TEST(OpenTable, UnknownTypeIsAClearError) {
  EXPECT_FALSE(isSupportedType("btree"));
  EXPECT_TRUE(isSupportedType("hash"));
  EXPECT_EQ(errorOf([] { openTable("btree:/etc/mail/virtual"); }),
            "unsupported table type \"btree\" in \"btree:/etc/mail/virtual\" (supported: cidr hash "
            "inline pcre pgsql regexp texthash)");
}

TEST(OpenTable, MissingDbFileIsAnErrorNamingIt) {
  ScratchDir dir;
  std::string error = errorOf([&] { openTable("hash:" + dir.file("virtual")); });
  EXPECT_EQ(error, "table " + dir.file("virtual.db") +
                       " does not exist: build it from its source with posthorn map or newaliases");
}

TEST(HashMap, CorruptDbFileIsAnError) {
  ScratchDir dir;
  writeFile(dir.file("t.db"), "this is not a Berkeley DB file\n");
  std::string error = errorOf([&] { HashMap map(dir.file("t")); });
  EXPECT_EQ(error.rfind("cannot open hash table " + dir.file("t.db") + ": ", 0), 0u) << error;
}

TEST(HashMap, TenThousandEntries) {
  ScratchDir dir;
  std::string text = "# ten thousand virtual aliases\n";
  for (int i = 0; i < 10000; ++i) {
    text += "User" + std::to_string(i) + "@Example.COM\tmailbox-" + std::to_string(i) +
            "@Local.example\n";
  }
  writeFile(dir.file("virtual"), text);
  BuildReport report = buildHashMap(dir.file("virtual"), SourceFormat::Postmap);
  EXPECT_EQ(report.entries, 10000u);
  EXPECT_EQ(report.dbPath, dir.file("virtual.db"));
  EXPECT_TRUE(report.warnings.empty());

  std::unique_ptr<LookupTable> table = openTable("hash:" + dir.file("virtual"));
  EXPECT_EQ(table->spec(), "hash:" + dir.file("virtual"));
  int wrong = 0;
  for (int i = 0; i < 10000; ++i) {
    std::string key = "user" + std::to_string(i) + "@example.com";
    std::optional<std::string> value = table->lookup(i % 2 ? key : "USER" + key.substr(4));
    if (value != "mailbox-" + std::to_string(i) + "@Local.example") ++wrong;
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(table->lookup("user10000@example.com"), std::nullopt);
  EXPECT_EQ(table->lookup("user1@example"), std::nullopt);
  EXPECT_EQ(table->lookup(""), std::nullopt);
}

TEST(HashMap, AliasesTable) {
  ScratchDir dir;
  writeFile(dir.file("aliases"), "Postmaster: root\nteam: alice,\n  bob\n\"Two Words\": x\n");
  buildHashMap(dir.file("aliases"), SourceFormat::Aliases);
  HashMap map(dir.file("aliases"));
  EXPECT_EQ(map.lookup("POSTMASTER"), "root");
  EXPECT_EQ(map.lookup("team"), "alice, bob");
  EXPECT_EQ(map.lookup("two words"), "x");
  EXPECT_EQ(map.lookup("alice"), std::nullopt);
}

TEST(HashMap, OpenReaderSeesARebuildWithoutReopening) {
  ScratchDir dir;
  writeFile(dir.file("t"), "a 1\n");
  buildHashMap(dir.file("t"), SourceFormat::Postmap);
  HashMap map(dir.file("t"));
  EXPECT_EQ(map.lookup("a"), "1");
  EXPECT_EQ(map.lookup("a"), "1");
  EXPECT_EQ(map.opens(), 1u);  // an unchanged table is not reopened

  writeFile(dir.file("t"), "a 2\nb 3\n");
  buildHashMap(dir.file("t"), SourceFormat::Postmap);
  EXPECT_EQ(map.lookup("a"), "2");
  EXPECT_EQ(map.lookup("b"), "3");
  EXPECT_EQ(map.opens(), 2u);
}

TEST(HashMap, RemovedDbFileIsAnErrorNotAMiss) {
  ScratchDir dir;
  writeFile(dir.file("t"), "a 1\n");
  buildHashMap(dir.file("t"), SourceFormat::Postmap);
  HashMap map(dir.file("t"));
  ASSERT_EQ(map.lookup("a"), "1");
  ASSERT_EQ(::unlink(dir.file("t.db").c_str()), 0);
  EXPECT_EQ(errorOf([&] { map.lookup("a"); }),
            "cannot stat table " + dir.file("t.db") + ": No such file or directory");
  // Once it is rebuilt, the same reader works again.
  buildHashMap(dir.file("t"), SourceFormat::Postmap);
  EXPECT_EQ(map.lookup("a"), "1");
}

TEST(MapBuilder, FailedBuildLeavesTheOldTable) {
  ScratchDir dir;
  const std::string source = dir.file("t");
  writeFile(source, "a 1\nb 2\n");
  buildHashMap(source, SourceFormat::Postmap);
  const std::string before = readFile(dir.file("t.db"));
  HashMap map(source);
  const std::vector<std::string> files = {"t", "t.db"};

  // A syntax error: named with file:line, nothing replaced.
  writeFile(source, "a 9\nbroken\nb 9\n");
  EXPECT_EQ(errorOf([&] { buildHashMap(source, SourceFormat::Postmap); }),
            source + ":2: expected \"key whitespace value\": \"broken\"");
  EXPECT_EQ(readFile(dir.file("t.db")), before);
  EXPECT_EQ(dir.list(), files);

  // An unreadable source (a directory where the file was).
  ASSERT_EQ(::unlink(source.c_str()), 0);
  ASSERT_EQ(::mkdir(source.c_str(), 0755), 0);
  EXPECT_EQ(errorOf([&] { buildHashMap(source, SourceFormat::Postmap); }),
            "cannot read " + source + ": Is a directory");
  ASSERT_EQ(::rmdir(source.c_str()), 0);

  // A missing source.
  EXPECT_EQ(errorOf([&] { buildHashMap(source, SourceFormat::Postmap); }),
            "cannot open " + source + ": No such file or directory");
  EXPECT_EQ(readFile(dir.file("t.db")), before);
  EXPECT_EQ(dir.list(), std::vector<std::string>{"t.db"});

  EXPECT_EQ(map.lookup("a"), "1");
  EXPECT_EQ(map.lookup("b"), "2");
  EXPECT_EQ(map.opens(), 1u);
}

TEST(MapBuilder, FailedRenameRemovesTheTemporaryFile) {
  ScratchDir dir;
  writeFile(dir.file("t"), "a 1\n");
  // Something that is not a file sits where the table goes.
  ASSERT_EQ(::mkdir(dir.file("t.db").c_str(), 0755), 0);
  writeFile(dir.file("t.db/keep"), "x");
  std::string error = errorOf([&] { buildHashMap(dir.file("t"), SourceFormat::Postmap); });
  EXPECT_EQ(error.rfind("cannot rename " + dir.file("t.db.tmp"), 0), 0u) << error;
  EXPECT_EQ(dir.list(), (std::vector<std::string>{"t", "t.db"}));
}

TEST(MapBuilder, MissingDirectoryIsAnError) {
  ScratchDir dir;
  std::string error = errorOf([&] { writeHashMap(dir.file("no/such.db"), {{"a", "1", 1}}); });
  EXPECT_EQ(error, "cannot create a temporary file next to " + dir.file("no/such.db") +
                       ": No such file or directory");
}

TEST(MapBuilder, TableTakesTheSourcePermissions) {
  ScratchDir dir;
  writeFile(dir.file("sasl_passwd"), "[relay.example]:587 user:secret\n");
  ASSERT_EQ(::chmod(dir.file("sasl_passwd").c_str(), 0600), 0);
  if (::geteuid() == 0) {
    ASSERT_EQ(::chown(dir.file("sasl_passwd").c_str(), 4321, 4322), 0);
  }
  buildHashMap(dir.file("sasl_passwd"), SourceFormat::Postmap);
  struct stat st;
  ASSERT_EQ(::stat(dir.file("sasl_passwd.db").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  if (::geteuid() == 0) {
    EXPECT_EQ(st.st_uid, 4321u);
    EXPECT_EQ(st.st_gid, 4322u);
  }
  HashMap map(dir.file("sasl_passwd"));
  EXPECT_EQ(map.lookup("[relay.example]:587"), "user:secret");
}

// What the reader child tells its parent.
struct ReaderReport {
  long passes = 0;
  long lookups = 0;
  long commonMisses = 0;
  long wrongValues = 0;
  long errors = 0;
  long versionSwitches = 0;
  long freshOpens = 0;
  unsigned opens = 0;
  char firstProblem[256] = {};
};

// Enough data (about 300 KB a version) that Berkeley DB's cache spills
// while a table is built, so that an in-place rebuild would be visible.
constexpr int kCommonKeys = 200;
constexpr int kOwnKeys = 3000;
const std::string kPadding(60, 'x');

std::string ownValue(const std::string& version, int i) {
  return version + "-" + std::to_string(i) + " " + kPadding;
}

std::string versionText(char version) {
  std::string text = "# version " + std::string(1, version) + "\n";
  for (int i = 0; i < kCommonKeys; ++i) {
    text += "Common" + std::to_string(i) + " same-" + std::to_string(i) + "\n";
  }
  text += "flip " + std::string(1, version) + "\n";
  for (int i = 0; i < kOwnKeys; ++i) {
    text += "only-" + std::string(1, version) + std::to_string(i) + " " +
            ownValue(std::string(1, version), i) + "\n";
  }
  return text;
}

void noteProblem(ReaderReport& r, const std::string& what) {
  if (r.firstProblem[0] == '\0') {
    std::strncpy(r.firstProblem, what.c_str(), sizeof r.firstProblem - 1);
  }
}

bool stopRequested(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 0) > 0;
}

// Child: looks keys up until the parent closes stopFd.
ReaderReport readUntilStopped(const std::string& source, int readyFd, int stopFd) {
  ReaderReport r;
  HashMap map(source);
  char ready = 'r';
  if (::write(readyFd, &ready, 1) != 1) noteProblem(r, "cannot signal ready");
  std::string lastFlip;
  while (!stopRequested(stopFd)) {
    ++r.passes;
    try {
      for (int i = 0; i < kCommonKeys; ++i) {
        std::optional<std::string> v = map.lookup("common" + std::to_string(i));
        ++r.lookups;
        if (!v) {
          ++r.commonMisses;
          noteProblem(r, "miss for common" + std::to_string(i));
        } else if (*v != "same-" + std::to_string(i)) {
          ++r.wrongValues;
          noteProblem(r, "common" + std::to_string(i) + " = " + *v);
        }
      }
      std::optional<std::string> flip = map.lookup("FLIP");
      ++r.lookups;
      if (!flip || (*flip != "A" && *flip != "B")) {
        ++r.commonMisses;
        noteProblem(r, "bad flip value");
      } else {
        if (!lastFlip.empty() && *flip != lastFlip) ++r.versionSwitches;
        lastFlip = *flip;
        // A key of one version only is there with its value, or missing.
        for (const char* version : {"A", "B"}) {
          std::optional<std::string> v = map.lookup("only-" + std::string(version) + "7");
          if (v && *v != ownValue(version, 7)) {
            ++r.wrongValues;
            noteProblem(r, "only-" + std::string(version) + "7 = " + *v);
          }
        }
      }
      if (r.passes % 8 == 0) {
        // A process that opens the table right now finds a complete one.
        HashMap fresh(source);
        ++r.freshOpens;
        if (fresh.lookup("common0") != "same-0") {
          ++r.commonMisses;
          noteProblem(r, "fresh open: common0 missing");
        }
      }
    } catch (const std::exception& e) {
      ++r.errors;
      noteProblem(r, std::string("error: ") + e.what());
    }
  }
  r.opens = map.opens();
  return r;
}

TEST(MapBuilder, RebuildUnderAConcurrentReaderNeverMissesACommonKey) {
  ScratchDir dir;
  const std::string source = dir.file("virtual");
  writeFile(source, versionText('A'));
  buildHashMap(source, SourceFormat::Postmap);

  int ready[2];
  int stop[2];
  int result[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(stop), 0);
  ASSERT_EQ(::pipe(result), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    ::close(stop[1]);
    ::close(result[0]);
    ReaderReport r;
    try {
      r = readUntilStopped(source, ready[1], stop[0]);
    } catch (const std::exception& e) {
      ++r.errors;
      noteProblem(r, std::string("error: ") + e.what());
    }
    bool written = ::write(result[1], &r, sizeof r) == static_cast<ssize_t>(sizeof r);
    ::_exit(written ? 0 : 3);
  }
  ::close(ready[1]);
  ::close(stop[0]);
  ::close(result[1]);

  char byte;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "reader child did not start";
  const std::string texts[2] = {versionText('B'), versionText('A')};
  for (int round = 0; round < 30; ++round) {
    writeFile(source, texts[round % 2]);
    buildHashMap(source, SourceFormat::Postmap);
    ::usleep(2000);  // let the reader run a pass on this version
  }
  ::close(stop[1]);

  ReaderReport r;
  ssize_t got = ::read(result[0], &r, sizeof r);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ::close(ready[0]);
  ::close(result[0]);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  ASSERT_EQ(got, static_cast<ssize_t>(sizeof r));

  EXPECT_EQ(r.errors, 0) << r.firstProblem;
  EXPECT_EQ(r.commonMisses, 0) << r.firstProblem;
  EXPECT_EQ(r.wrongValues, 0) << r.firstProblem;
  EXPECT_GT(r.lookups, 1000);
  EXPECT_GT(r.freshOpens, 0);
  // The reader followed the rebuilds instead of reading its first file.
  EXPECT_GT(r.opens, 1u);
  EXPECT_GT(r.versionSwitches, 0);
  // No temporary files are left behind.
  EXPECT_EQ(dir.list(), (std::vector<std::string>{"virtual", "virtual.db"}));
}

}  // namespace
}  // namespace posthorn::map
