// map_pgsql_test - pgsql: settings (Postfix's pgsql_table(5) file), the %
// expansions of query and result_format, and host names. Lookups against a
// real server: test/integration/map_pgsql.py.
#include <functional>
#include <gtest/gtest.h>

#include "lib/map/pgsql_map.h"
#include "test/unit/map_test_util.h"

namespace posthorn::map {
namespace {

using testing::errorOf;

std::string bracket(std::string_view s) { return "[" + std::string(s) + "]"; }

std::string expand(std::string_view format, std::string_view key,
                   std::optional<std::string> value = std::nullopt) {
  return expandPgsqlFormat(format, key, value, bracket).value_or("<suppressed>");
}

TEST(PgsqlSettings, ParsesPostfixParameters) {
  PgsqlSettings s = PgsqlSettings::parse(
      "# pgsql_table(5)\n"
      "hosts = inet:127.0.0.1:5432, unix:/run/postgresql\n"
      "  db.example.com\n"
      "user = mail\n"
      "password = secret word\n"
      "dbname = maildb\n"
      "query = SELECT goto FROM alias\n"
      "  WHERE address = '%s' AND domain = '%d'\n"
      "result_format = smtp:[%s]\n"
      "domain = example.com, example.net\n"
      "expansion_limit = 5\n",
      "a.cf");
  EXPECT_EQ(s.hosts, (std::vector<std::string>{"inet:127.0.0.1:5432", "unix:/run/postgresql",
                                               "db.example.com"}));
  EXPECT_EQ(s.user, "mail");
  EXPECT_EQ(s.password, "secret word");
  EXPECT_EQ(s.dbname, "maildb");
  EXPECT_EQ(s.query, "SELECT goto FROM alias WHERE address = '%s' AND domain = '%d'");
  EXPECT_EQ(s.resultFormat, "smtp:[%s]");
  EXPECT_EQ(s.domains, (std::vector<std::string>{"example.com", "example.net"}));
  EXPECT_EQ(s.expansionLimit, 5);
}

TEST(PgsqlSettings, ErrorsNameFileAndLine) {
  const std::string base = "hosts = localhost\ndbname = d\n";
  EXPECT_EQ(errorOf([&] { PgsqlSettings::parse(base + "query = SELECT '%x'\n", "a.cf"); }),
            "a.cf:3: invalid % expansion (known: %s %u %d %1-%9 %S %U %D %%): \"query = SELECT "
            "'%x'\"");
  EXPECT_EQ(errorOf([&] { PgsqlSettings::parse(base + "querry = x\n", "a.cf"); }),
            "a.cf:3: unknown parameter \"querry\": \"querry = x\"");
  EXPECT_EQ(errorOf([&] { PgsqlSettings::parse(base + "just text\n", "a.cf"); }),
            "a.cf:3: expected \"name = value\": \"just text\"");
  EXPECT_EQ(errorOf([&] { PgsqlSettings::parse(base + "query=q\nexpansion_limit = -1\n", "a.cf"); }),
            "a.cf:4: expansion_limit must be a number (0: no limit): \"expansion_limit = -1\"");
  EXPECT_EQ(errorOf([&] { PgsqlSettings::parse(base, "a.cf"); }),
            "a.cf: parameter \"query\" is not set");
  EXPECT_EQ(errorOf([] { PgsqlSettings::parse("dbname = d\nquery = q\n", "a.cf"); }),
            "a.cf: parameter \"hosts\" is not set");
}

TEST(PgsqlFormat, QueryExpansionsAsPostfix) {
  EXPECT_EQ(expand("a='%s' u='%u' d='%d' 100%%", "user@mail.example.com"),
            "a='[user@mail.example.com]' u='[user]' d='[mail.example.com]' 100%");
  EXPECT_EQ(expand("%1 %2 %3", "u@mail.example.com"), "[com] [example] [mail]");
  EXPECT_EQ(expand("%4", "u@mail.example.com"), "<suppressed>");
  EXPECT_EQ(expand("%u", "bare"), "[bare]");       // no @: the whole key
  EXPECT_EQ(expand("%d", "bare"), "<suppressed>");  // no domain: no query
  EXPECT_EQ(expand("%u", "@example.com"), "<suppressed>");
  EXPECT_EQ(expand("%s", "@example.com"), "[@example.com]");
}

TEST(PgsqlFormat, ResultFormatOfValueAndKey) {
  EXPECT_EQ(expand("%s via %D", "k@key.example", "v@value.example"),
            "[v@value.example] via [key.example]");
  EXPECT_EQ(expand("%u/%d", "k", "v@value.example"), "[v]/[value.example]");
  EXPECT_EQ(expand("%d", "k", "unqualified"), "<suppressed>");
}

TEST(PgsqlHost, Forms) {
  auto h = [](std::string_view s) {
    PgsqlHost p = parsePgsqlHost(s);
    return p.host + "|" + p.port;
  };
  EXPECT_EQ(h("db.example.com"), "db.example.com|");
  EXPECT_EQ(h("db.example.com:5433"), "db.example.com|5433");
  EXPECT_EQ(h("inet:127.0.0.1:5432"), "127.0.0.1|5432");
  EXPECT_EQ(h("inet:[::1]:5432"), "::1|5432");
  EXPECT_EQ(h("unix:/run/postgresql"), "/run/postgresql|");
  EXPECT_EQ(h("unix:/tmp/pg/.s.PGSQL.5440"), "/tmp/pg|5440");
}

TEST(PgsqlMap, ReadsItsFileWhenOpenedAndFailsTemporarilyWithoutAServer) {
  char dir[] = "/tmp/posthorn-pgsql-XXXXXX";
  ASSERT_NE(::mkdtemp(dir), nullptr);
  const std::string cf = std::string(dir) + "/a.cf";
  FILE* f = std::fopen(cf.c_str(), "w");
  // A socket directory with no server in it: connecting fails at once.
  std::fprintf(f, "hosts = unix:%s\ndbname = d\nquery = SELECT '%%s'\ndomain = example.com\n", dir);
  std::fclose(f);
  auto table = openTable("pgsql:" + cf);
  EXPECT_EQ(table->spec(), "pgsql:" + cf);
  // Outside the domain list: a miss without a query (no server needed).
  EXPECT_FALSE(table->lookup("user@other.example"));
  EXPECT_FALSE(table->lookup("example.com"));
  const std::string error = errorOf([&] { table->lookup("user@example.com"); });
  EXPECT_EQ(error.substr(0, ("pgsql:" + cf + ": cannot connect").size()),
            "pgsql:" + cf + ": cannot connect");
  std::remove(cf.c_str());
  ::rmdir(dir);
}

}  // namespace
}  // namespace posthorn::map
