// map_command_test - `posthorn map` (build, -q, -a, errors) and newaliases.
#include "tools/map_command.h"

#include <gtest/gtest.h>
#include <sstream>
#include <stdlib.h>

#include "lib/config/config.h"
#include "lib/map/hash_map.h"
#include "test/unit/command_test_util.h"
#include "test/unit/map_test_util.h"

namespace posthorn::tools {
namespace {

using map::testing::readFile;
using map::testing::ScratchDir;
using map::testing::writeFile;

using testing::capture;
using testing::Outcome;

Outcome mapCommand(const std::vector<std::string>& args) {
  return capture([&](std::ostream& o, std::ostream& e) { return runMap(args, o, e); });
}

Outcome newaliasesCommand(const std::vector<std::string>& args) {
  return capture([&](std::ostream& o, std::ostream& e) { return runNewaliases(args, o, e); });
}

TEST(MapCommand, BuildsAndQueries) {
  ScratchDir dir;
  const std::string file = dir.file("virtual");
  writeFile(file, "Info@Example.com  alice@example.com\n# comment\nsales@example.com bob,\n  carol\n");
  Outcome build = mapCommand({file});
  EXPECT_EQ(build.status, 0) << build.err;
  EXPECT_EQ(build.out, "");
  EXPECT_EQ(build.err, "");

  Outcome found = mapCommand({"-q", "INFO@example.COM", file});
  EXPECT_EQ(found.status, 0) << found.err;
  EXPECT_EQ(found.out, "alice@example.com\n");
  EXPECT_EQ(mapCommand({"-qsales@example.com", "hash:" + file}).out, "bob, carol\n");

  Outcome missing = mapCommand({"-q", "nobody@example.com", file});
  EXPECT_EQ(missing.status, 1);
  EXPECT_EQ(missing.out, "");
  EXPECT_EQ(missing.err, "");
}

TEST(MapCommand, HashPrefixAndConfigDirAreAccepted) {
  ScratchDir dir;
  writeFile(dir.file("t"), "k v\n");
  EXPECT_EQ(mapCommand({"-c", dir.path(), "hash:" + dir.file("t")}).status, 0);
  EXPECT_EQ(mapCommand({"-c", dir.path(), "-q", "k", dir.file("t")}).out, "v\n");
}

TEST(MapCommand, AliasesSyntaxWithDashA) {
  ScratchDir dir;
  const std::string file = dir.file("aliases");
  writeFile(file, "Root: admin, ops\n");
  ASSERT_EQ(mapCommand({"-a", file}).status, 0);
  EXPECT_EQ(mapCommand({"-q", "root", file}).out, "admin, ops\n");
  // Without -a the same line is "key whitespace value": the key is "root:".
  ASSERT_EQ(mapCommand({file}).status, 0);
  EXPECT_EQ(mapCommand({"-q", "root", file}).status, 1);
  EXPECT_EQ(mapCommand({"-q", "root:", file}).out, "admin, ops\n");
}

TEST(MapCommand, SyntaxErrorNamesFileLineAndKeepsTheOldTable) {
  ScratchDir dir;
  const std::string file = dir.file("t");
  writeFile(file, "a 1\n");
  ASSERT_EQ(mapCommand({file}).status, 0);
  const std::string before = readFile(dir.file("t.db"));
  writeFile(file, "a 2\nb\n");
  Outcome bad = mapCommand({file});
  EXPECT_EQ(bad.status, 2);
  EXPECT_EQ(bad.err, "posthorn map: " + file + ":2: expected \"key whitespace value\": \"b\"\n");
  EXPECT_EQ(readFile(dir.file("t.db")), before);
  EXPECT_EQ(mapCommand({"-q", "a", file}).out, "1\n");
}

TEST(MapCommand, DuplicateIsAWarning) {
  ScratchDir dir;
  const std::string file = dir.file("t");
  writeFile(file, "a 1\nb 2\na 3\n");
  Outcome run = mapCommand({file});
  EXPECT_EQ(run.status, 0);
  EXPECT_EQ(run.err, "posthorn map: warning: " + file +
                         ":3: duplicate entry \"a\" ignored; the entry at line 1 is kept\n");
  EXPECT_EQ(mapCommand({"-q", "a", file}).out, "1\n");
}

TEST(MapCommand, Errors) {
  ScratchDir dir;
  Outcome noDb = mapCommand({"-q", "k", dir.file("none")});
  EXPECT_EQ(noDb.status, 2);
  EXPECT_EQ(noDb.err, "posthorn map: table " + dir.file("none.db") +
                          " does not exist: build it from its source with posthorn map or "
                          "newaliases\n");

  Outcome noSource = mapCommand({dir.file("none")});
  EXPECT_EQ(noSource.status, 2);
  EXPECT_EQ(noSource.err,
            "posthorn map: cannot open " + dir.file("none") + ": No such file or directory\n");

  for (const auto& args : {std::vector<std::string>{"btree:/etc/x"},
                           std::vector<std::string>{"-q", "k", "btree:/etc/x"}}) {
    Outcome run = mapCommand(args);
    EXPECT_EQ(run.status, 2);
    EXPECT_EQ(run.err,
              "posthorn map: unsupported table type \"btree\" in \"btree:/etc/x\" (supported: "
              "cidr hash inline pcre pgsql regexp texthash)\n");
  }
}

TEST(MapCommand, QueriesEveryTableType) {
  ScratchDir dir;
  writeFile(dir.file("virtual"), "Alice@Example.com alice@other.example\n");
  writeFile(dir.file("client.cidr"), "192.168.0.0/16 REJECT\n");
  writeFile(dir.file("a.regexp"), "/^(.*)-outgoing@(.*)$/ 550 Use ${1}@${2} instead\n");
  writeFile(dir.file("a.pcre"), "/^(?!owner-)(.*)-outgoing@/ list $1\n");
  writeFile(dir.file("bad.regexp"), "# comment\n/^(a/ x\n");
  EXPECT_EQ(mapCommand({"-q", "ALICE@example.com", "texthash:" + dir.file("virtual")}).out,
            "alice@other.example\n");
  EXPECT_EQ(mapCommand({"-q", "key", "inline:{ k=v, { key = a value } }"}).out, "a value\n");
  EXPECT_EQ(mapCommand({"-q", "192.168.4.5", "cidr:" + dir.file("client.cidr")}).out, "REJECT\n");
  EXPECT_EQ(mapCommand({"-q", "10.0.0.1", "cidr:" + dir.file("client.cidr")}).status, 1);
  EXPECT_EQ(mapCommand({"-q", "List-outgoing@X", "regexp:" + dir.file("a.regexp")}).out,
            "550 Use List@X instead\n");
  EXPECT_EQ(mapCommand({"-q", "Team-outgoing@x", "pcre:" + dir.file("a.pcre")}).out, "list Team\n");
  Outcome bad = mapCommand({"-q", "a", "regexp:" + dir.file("bad.regexp")});
  EXPECT_EQ(bad.status, 2);
  EXPECT_EQ(bad.err.find("posthorn map: " + dir.file("bad.regexp") + ":2: bad pattern: "), 0u)
      << bad.err;
  Outcome build = mapCommand({"cidr:" + dir.file("client.cidr")});
  EXPECT_EQ(build.status, 2);
  EXPECT_EQ(build.err, "posthorn map: cidr: tables are read as they are, not built (\"cidr:" +
                           dir.file("client.cidr") + "\"); only hash: tables are built\n");
}

TEST(MapCommand, CheckNamesTableSyntaxErrors) {
  ScratchDir dir;
  writeFile(dir.file("good.cidr"), "10.0.0.0/8 OK\n");
  writeFile(dir.file("bad.cidr"), "# ok\n10.0.0.1/8 OK\n");
  writeFile(dir.file("bad.pcre"), "/a/ x\n\n/(?/ y\n");
  const config::Config cfg = config::Config::parse(
      "proxy_read_maps = cidr:" + dir.file("good.cidr") + " proxy:cidr:" + dir.file("bad.cidr") +
          " pcre:" + dir.file("bad.pcre") + " hash:/nonexistent $nothing mysql:/x\n",
      "posthorn.conf");
  const std::vector<std::string> problems = tableFileProblems(cfg);
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0], "table cidr:" + dir.file("bad.cidr") + ": " + dir.file("bad.cidr") +
                             ":2: non-null host address bits in \"10.0.0.1/8\": \"10.0.0.1/8 OK\"");
  EXPECT_EQ(problems[1].find("table pcre:" + dir.file("bad.pcre") + ": " + dir.file("bad.pcre") +
                             ":3: bad pattern: "),
            0u)
      << problems[1];
  EXPECT_EQ(problems[2].find("table mysql:/x: unsupported table type"), 0u) << problems[2];
}

TEST(MapCommand, CheckOpensTheAccessTablesOfRestrictionLists) {
  ScratchDir dir;
  writeFile(dir.file("bad.cidr"), "10.0.0.1/8 OK\n");
  // The default proxy_read_maps takes in the restriction lists: their
  // tables are checked, the restriction names, the DNS list and the policy
  // server are not tables.
  const config::Config cfg = config::Config::parse(
      "smtpd_client_restrictions = permit_mynetworks, check_client_access cidr:" + dir.file("bad.cidr") +
          ", reject_rbl_client zen.example=127.0.0.[2..11]\n"
          "smtpd_recipient_restrictions = check_policy_service inet:127.0.0.1:10023, "
          "check_policy_service unix:private/policy\n",
      "posthorn.conf");
  const std::vector<std::string> problems = tableFileProblems(cfg);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].find("table cidr:" + dir.file("bad.cidr") + ": "), 0u) << problems[0];
}

TEST(MapCommand, UsageErrors) {
  const std::vector<std::vector<std::string>> bad = {
      {}, {"a", "b"}, {"-x", "a"}, {"-q"}, {"-ab", "a"}, {"-c"}};
  for (const auto& args : bad) {
    Outcome run = mapCommand(args);
    EXPECT_EQ(run.status, 2);
    EXPECT_NE(run.err.find("usage: posthorn map"), std::string::npos) << run.err;
  }
  EXPECT_EQ(mapCommand({"a", "b"}).err.find("posthorn map: expected exactly one table, got 2\n"), 0u);
  EXPECT_EQ(mapCommand({"-x", "a"}).err.find("posthorn map: unknown option -x\n"), 0u);
  EXPECT_EQ(mapCommand({"-q"}).err.find("posthorn map: option -q needs a value\n"), 0u);
}

TEST(Newaliases, RebuildsEveryAliasDatabase) {
  ScratchDir dir;
  writeFile(dir.file("posthorn.conf"), "alias_database = hash:" + dir.file("aliases") +
                                           ",\n    hash:" + dir.file("more") + "\n");
  writeFile(dir.file("aliases"), "postmaster: root\nroot: admin\n");
  writeFile(dir.file("more"), "\"Two Words\": someone\n");
  Outcome run = newaliasesCommand({"-c", dir.path()});
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(run.err, "");
  EXPECT_EQ(map::HashMap(dir.file("aliases")).lookup("Postmaster"), "root");
  EXPECT_EQ(map::HashMap(dir.file("more")).lookup("two words"), "someone");
}

TEST(Newaliases, DefaultIsConfigDirectoryAliases) {
  ScratchDir dir;
  writeFile(dir.file("posthorn.conf"), "# defaults only\n");
  writeFile(dir.file("aliases"), "abuse: root\n");
  EXPECT_EQ(newaliasesCommand({"-c" + dir.path()}).status, 0);
  EXPECT_EQ(map::HashMap(dir.file("aliases")).lookup("abuse"), "root");
}

TEST(Newaliases, MailConfigEnvironmentWithoutDashC) {
  ScratchDir dir;
  writeFile(dir.file("posthorn.conf"), "alias_database = hash:$config_directory/aliases\n");
  writeFile(dir.file("aliases"), "abuse: root\n");
  ::setenv("MAIL_CONFIG", dir.path().c_str(), 1);
  Outcome run = newaliasesCommand({});
  ::unsetenv("MAIL_CONFIG");
  EXPECT_EQ(run.status, 0) << run.err;
  EXPECT_EQ(map::HashMap(dir.file("aliases")).lookup("abuse"), "root");
}

TEST(Newaliases, ReportsEachBadTableAndBuildsTheOthers) {
  ScratchDir dir;
  writeFile(dir.file("posthorn.conf"), "alias_database = hash:" + dir.file("missing") +
                                           " btree:" + dir.file("b") + " hash:" +
                                           dir.file("aliases") + " hash:" + dir.file("bad") + "\n");
  writeFile(dir.file("aliases"), "abuse: root\nabuse: other\n");
  writeFile(dir.file("bad"), "no colon\n");
  Outcome run = newaliasesCommand({"-c", dir.path()});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.err,
            "newaliases: cannot open " + dir.file("missing") + ": No such file or directory\n" +
                "newaliases: unsupported table type \"btree\" in \"btree:" + dir.file("b") +
                "\" (supported: cidr hash inline pcre pgsql regexp texthash)\n" +
                "newaliases: warning: " + dir.file("aliases") +
                ":2: duplicate entry \"abuse\" ignored; the entry at line 1 is kept\n" +
                "newaliases: " + dir.file("bad") + ":1: expected \"name: value\": \"no colon\"\n");
  EXPECT_EQ(map::HashMap(dir.file("aliases")).lookup("abuse"), "root");
}

TEST(Newaliases, MissingConfigAndUsage) {
  ScratchDir dir;
  Outcome run = newaliasesCommand({"-c", dir.file("nowhere")});
  EXPECT_EQ(run.status, 1);
  EXPECT_EQ(run.err.rfind("newaliases: ", 0), 0u);
  EXPECT_NE(run.err.find(dir.file("nowhere")), std::string::npos) << run.err;

  Outcome usage = newaliasesCommand({"extra"});
  EXPECT_EQ(usage.status, 1);
  EXPECT_EQ(usage.err, "newaliases: unexpected argument extra\nusage: newaliases [-c DIR]\n");
}

}  // namespace
}  // namespace posthorn::tools
