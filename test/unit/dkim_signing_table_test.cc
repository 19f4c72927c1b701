// dkim_signing_table_test - dkim_signing_maps (lib/mailauth/dkim_signing_table):
// the table's lines and lookups, its keys read from real key files, and
// every error naming FILE:LINE and the value
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lib/config/config.h"
#include "lib/mailauth/dkim_signing_table.h"
#include "test/unit/dkim_test_keys.h"
#include "test/unit/test_util.h"

namespace posthorn::mailauth {
namespace {

using posthorn::testing::DkimKeyKind;
using posthorn::testing::dkimKeyPem;
using posthorn::testing::TempDir;
using posthorn::testing::writeDkimKey;
using posthorn::testing::writeFile;

using Keys = std::vector<std::shared_ptr<const DkimKey>>;

// "d=D s=S a=A" for each key, to compare lookups in one line.
std::vector<std::string> describe(const Keys& keys) {
  std::vector<std::string> out;
  for (const auto& k : keys) out.push_back(k->domain + "/" + k->selector + " " + k->algorithm);
  return out;
}

class SigningTableTest : public ::testing::Test {
 protected:
  // A table file with `text`, loaded against dir's key files.
  DkimSigningTable load(const std::string& text, const std::string& prefix = "") {
    writeFile(table(), text);
    return DkimSigningTable::load(prefix + table(), dir.path());
  }
  std::string table() const { return dir / "dkim_signing"; }
  std::string rsa(const std::string& domain, const std::string& selector) {
    return writeDkimKey(dir.path(), domain, selector, dkimKeyPem(DkimKeyKind::Rsa2048));
  }
  std::string ed(const std::string& domain, const std::string& selector) {
    return writeDkimKey(dir.path(), domain, selector, dkimKeyPem(DkimKeyKind::Ed25519));
  }

  // The ConfigError text for a table with `text`; fails when it loads.
  std::string loadError(const std::string& text, const std::string& prefix = "") {
    try {
      load(text, prefix);
    } catch (const config::ConfigError& e) {
      return e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not a config::ConfigError: " << e.what();
      return e.what();
    }
    ADD_FAILURE() << "loaded without an error:\n" << text;
    return "";
  }

  TempDir dir{"dkimtable"};
};

TEST_F(SigningTableTest, EmptyTableSignsNothing) {
  const DkimSigningTable none;
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(none.keysFor("example.org").empty());
  const DkimSigningTable onlyComments = load("# nothing yet\n\n");
  EXPECT_TRUE(onlyComments.empty());
  EXPECT_TRUE(onlyComments.keysFor("example.org").empty());
  EXPECT_TRUE(onlyComments.entries().empty());
}

TEST_F(SigningTableTest, KeysReadWithTheirAlgorithmAndFile) {
  const std::string rsaFile = rsa("example.org", "202612-rsa");
  const std::string edFile = ed("example.org", "202612-ed25519");
  const DkimSigningTable t = load("example.org  202612-rsa, 202612-ed25519\n");
  EXPECT_FALSE(t.empty());
  const Keys keys = t.keysFor("example.org");
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0]->domain, "example.org");
  EXPECT_EQ(keys[0]->selector, "202612-rsa");
  EXPECT_EQ(keys[0]->algorithm, "rsa-sha256");
  EXPECT_EQ(keys[0]->bits, 2048);
  EXPECT_EQ(keys[0]->file, rsaFile);
  EXPECT_EQ(keys[0]->pem, dkimKeyPem(DkimKeyKind::Rsa2048));
  EXPECT_EQ(keys[1]->domain, "example.org");
  EXPECT_EQ(keys[1]->selector, "202612-ed25519");
  EXPECT_EQ(keys[1]->algorithm, "ed25519-sha256");
  EXPECT_EQ(keys[1]->file, edFile);
  EXPECT_EQ(keys[1]->bits, 256);
  EXPECT_EQ(keys[1]->pem, dkimKeyPem(DkimKeyKind::Ed25519));
}

TEST_F(SigningTableTest, ExactThenParentsThenStar) {
  rsa("example.org", "top");
  rsa("example.org", "sub");
  rsa("b.example.org", "deep");
  rsa("relay.example.net", "mail");
  const DkimSigningTable t = load(
      "# From domain   keys\n"
      "example.org     top\n"
      ".example.org    example.org/sub\n"
      ".b.example.org  deep\n"
      "*               relay.example.net/mail\n");
  using V = std::vector<std::string>;
  EXPECT_EQ(describe(t.keysFor("example.org")), V{"example.org/top rsa-sha256"});
  // ".example.org" is for the subdomains only, as in Postfix tables.
  EXPECT_EQ(describe(t.keysFor("a.example.org")), V{"example.org/sub rsa-sha256"});
  EXPECT_EQ(describe(t.keysFor("x.y.example.org")), V{"example.org/sub rsa-sha256"});
  // The nearest parent wins; b.example.org itself is not its own subdomain.
  EXPECT_EQ(describe(t.keysFor("c.b.example.org")), V{"b.example.org/deep rsa-sha256"});
  EXPECT_EQ(describe(t.keysFor("d.c.b.example.org")), V{"b.example.org/deep rsa-sha256"});
  EXPECT_EQ(describe(t.keysFor("b.example.org")), V{"example.org/sub rsa-sha256"});
  EXPECT_EQ(describe(t.keysFor("example.net")), V{"relay.example.net/mail rsa-sha256"});
  EXPECT_EQ(describe(t.keysFor("notexample.org")), V{"relay.example.net/mail rsa-sha256"});
  EXPECT_EQ(describe(t.keysFor("example.org.evil.example")), V{"relay.example.net/mail rsa-sha256"});
  EXPECT_EQ(describe(t.keysFor("localhost")), V{"relay.example.net/mail rsa-sha256"});

  const auto entries = t.entries();
  ASSERT_EQ(entries.size(), 4u);
  EXPECT_EQ(entries[0].domain, "example.org");
  EXPECT_EQ(entries[1].domain, ".example.org");
  EXPECT_EQ(entries[2].domain, ".b.example.org");
  EXPECT_EQ(entries[3].domain, "*");
  EXPECT_EQ(describe(entries[2].keys), V{"b.example.org/deep rsa-sha256"});
}

TEST_F(SigningTableTest, WithoutStarOtherDomainsAreNotSigned) {
  rsa("example.org", "s");
  const DkimSigningTable t = load(".example.org example.org/s\n");
  EXPECT_EQ(t.keysFor("a.example.org").size(), 1u);
  EXPECT_TRUE(t.keysFor("example.org").empty());
  EXPECT_TRUE(t.keysFor("example.net").empty());
  EXPECT_TRUE(t.keysFor("org").empty());
  EXPECT_TRUE(t.keysFor("").empty());
}

TEST_F(SigningTableTest, DomainSlashSelectorSignsWithThatDomain) {
  const std::string file = rsa("example.org", "s1");
  rsa("mail.example.net", "s2");
  // Table keys are folded to lower case, and so are the items.
  const DkimSigningTable t = load("Shop.Example.COM  Example.ORG/S1, mail.example.net/s2\n");
  const Keys keys = t.keysFor("shop.example.com");
  ASSERT_EQ(keys.size(), 2u);
  EXPECT_EQ(keys[0]->domain, "example.org");
  EXPECT_EQ(keys[0]->selector, "s1");
  EXPECT_EQ(keys[0]->file, file);
  EXPECT_EQ(keys[1]->domain, "mail.example.net");
  EXPECT_EQ(keys[1]->selector, "s2");
  EXPECT_EQ(keys[1]->file, dir.path() + "/dkim/mail.example.net/s2.key");
  // A ".domain" line without D/ signs as the domain without its dot.
  rsa("example.net", "sub");
  const DkimSigningTable dotted = load(".example.net  sub\n");
  const Keys sub = dotted.keysFor("a.example.net");
  ASSERT_EQ(sub.size(), 1u);
  EXPECT_EQ(sub[0]->domain, "example.net");
  EXPECT_EQ(sub[0]->file, dir.path() + "/dkim/example.net/sub.key");
}

TEST_F(SigningTableTest, CommaAndSpaceSeparatedLists) {
  rsa("example.org", "a");
  ed("example.org", "b");
  rsa("example.org", "c");
  using V = std::vector<std::string>;
  const V ab = {"example.org/a rsa-sha256", "example.org/b ed25519-sha256"};
  for (const std::string list : {"a,b", "a b", "a , b", "a,\tb", "a\tb", " a,,b, ", "a,\n  b"}) {
    const DkimSigningTable t = load("example.org " + std::string(list) + "\n");
    EXPECT_EQ(describe(t.keysFor("example.org")), ab) << "list: \"" << list << "\"";
  }
  const DkimSigningTable three = load("example.org c, b a\n");
  EXPECT_EQ(describe(three.keysFor("example.org")),
            (V{"example.org/c rsa-sha256", "example.org/b ed25519-sha256", "example.org/a rsa-sha256"}));
}

TEST_F(SigningTableTest, OneKeyFileIsOneObjectHoweverManyLinesNameIt) {
  rsa("example.org", "shared");
  ed("example.org", "other");
  const DkimSigningTable t = load(
      "example.org   shared, other\n"
      ".example.org  example.org/shared\n"
      "*             example.org/shared\n");
  const Keys top = t.keysFor("example.org");
  const Keys sub = t.keysFor("a.example.org");
  const Keys any = t.keysFor("example.com");
  ASSERT_EQ(top.size(), 2u);
  ASSERT_EQ(sub.size(), 1u);
  ASSERT_EQ(any.size(), 1u);
  EXPECT_EQ(top[0].get(), sub[0].get());
  EXPECT_EQ(top[0].get(), any[0].get());
  EXPECT_NE(top[0].get(), top[1].get());
}

TEST_F(SigningTableTest, TexthashPrefixIsTheSameFile) {
  rsa("example.org", "s");
  const DkimSigningTable t = load("example.org s\n", "texthash:");
  EXPECT_EQ(t.keysFor("example.org").size(), 1u);
}

// Every error names the table and the line (line 3 here, after a good line
// and a comment) and the value at fault.
TEST_F(SigningTableTest, BadDomainKey) {
  rsa("example.org", "s");
  for (const std::string domain : {"exa_mple.org", "localhost", ".org", "-x.example.org", "a..example.org",
                                    "..example.org", "example.org/x"}) {
    const std::string e = loadError("example.org s\n# a comment\n" + domain + " example.org/s\n");
    EXPECT_NE(e.find(table() + ":3:"), std::string::npos) << e;
    EXPECT_NE(e.find("\"" + domain + "\""), std::string::npos) << e;
  }
}

TEST_F(SigningTableTest, BadSelectorItem) {
  rsa("example.org", "s");
  for (const std::string item : {"bad_sel", "-sel", "example.org/", "example.org/a..b", "x/s", "s;rm"}) {
    const std::string e = loadError("example.org s\n\n.example.org " + item + "\n");
    EXPECT_NE(e.find(table() + ":3:"), std::string::npos) << e;
    EXPECT_NE(e.find(item), std::string::npos) << e;
  }
}

TEST_F(SigningTableTest, MissingKeyFile) {
  rsa("example.org", "s");
  const std::string e = loadError("example.org s\n#\nexample.net s\n");
  EXPECT_NE(e.find(table() + ":3:"), std::string::npos) << e;
  EXPECT_NE(e.find(dir.path() + "/dkim/example.net/s.key"), std::string::npos) << e;
}

TEST_F(SigningTableTest, WorldReadableKeyIsRefused) {
  rsa("example.org", "s");
  const std::string open =
      writeDkimKey(dir.path(), "example.org", "open", dkimKeyPem(DkimKeyKind::Rsa2048), 0644);
  const std::string e = loadError("example.org s\n#\n.example.org example.org/open\n");
  EXPECT_NE(e.find(table() + ":3:"), std::string::npos) << e;
  EXPECT_NE(e.find(open), std::string::npos) << e;
  EXPECT_NE(e.find("readable by everyone"), std::string::npos) << e;
  // Group-readable is the owner's business (the key's group may be posthorn's).
  writeDkimKey(dir.path(), "example.org", "open", dkimKeyPem(DkimKeyKind::Rsa2048), 0640);
  EXPECT_EQ(load("example.org open\n").keysFor("example.org").size(), 1u);
}

TEST_F(SigningTableTest, FilesThatAreNotKeys) {
  rsa("example.org", "s");
  const std::string text = writeDkimKey(dir.path(), "example.org", "text", "hello, world\n");
  const std::string empty = writeDkimKey(dir.path(), "example.org", "empty", "");
  const std::string pub = writeDkimKey(dir.path(), "example.org", "public",
                                       posthorn::testing::dkimKeyRecord(dkimKeyPem(DkimKeyKind::Rsa2048)));
  const std::vector<std::pair<std::string, std::string>> notKeys = {
      {"text", text}, {"empty", empty}, {"public", pub}};
  for (const auto& [selector, file] : notKeys) {
    const std::string e = loadError("example.org s\n#\n.example.org example.org/" + selector + "\n");
    EXPECT_NE(e.find(table() + ":3:"), std::string::npos) << e;
    EXPECT_NE(e.find(file), std::string::npos) << e;
  }
  ASSERT_EQ(::mkdir((dir.path() + "/dkim/example.org/dir.key").c_str(), 0700), 0);
  const std::string e = loadError("example.org dir\n");
  EXPECT_NE(e.find(table() + ":1:"), std::string::npos) << e;
  EXPECT_NE(e.find(dir.path() + "/dkim/example.org/dir.key"), std::string::npos) << e;
}

TEST_F(SigningTableTest, RsaUnder1024BitsIsRefused) {
  rsa("example.org", "s");
  const std::string weak = writeDkimKey(dir.path(), "example.org", "weak", dkimKeyPem(DkimKeyKind::Rsa512));
  const std::string e = loadError("example.org s\n#\n.example.org example.org/weak\n");
  EXPECT_NE(e.find(table() + ":3:"), std::string::npos) << e;
  EXPECT_NE(e.find(weak), std::string::npos) << e;
  EXPECT_NE(e.find("1024"), std::string::npos) << e;
}

TEST_F(SigningTableTest, AtMostFourKeysALine) {
  for (const char* s : {"k1", "k2", "k3", "k4", "k5"}) rsa("example.org", s);
  EXPECT_EQ(load("example.org k1 k2 k3 k4\n").keysFor("example.org").size(), 4u);
  const std::string e = loadError("example.org k1\n#\n.example.org example.org/k1, k2, k3, k4, k5\n");
  EXPECT_NE(e.find(table() + ":3:"), std::string::npos) << e;
  EXPECT_NE(e.find(".example.org"), std::string::npos) << e;
  EXPECT_NE(e.find("more than 4"), std::string::npos) << e;
}

TEST_F(SigningTableTest, StarLineMustNameTheSigningDomain) {
  rsa("example.org", "mail");
  const std::string e = loadError("example.org mail\n#\n*  mail\n");
  EXPECT_NE(e.find(table() + ":3:"), std::string::npos) << e;
  EXPECT_NE(e.find("\"mail\""), std::string::npos) << e;
  // With D/ the same key is fine.
  EXPECT_EQ(load("*  example.org/mail\n").keysFor("anything.example").size(), 1u);
}

TEST_F(SigningTableTest, SyntaxErrorAndMissingTable) {
  rsa("example.org", "s");
  std::string e = loadError("example.org s\n#\nexample.net\n");
  EXPECT_NE(e.find(table() + ":3:"), std::string::npos) << e;
  EXPECT_NE(e.find("example.net"), std::string::npos) << e;
  try {
    DkimSigningTable::load(dir / "missing", dir.path());
    ADD_FAILURE() << "a missing table loaded";
  } catch (const config::ConfigError& err) {
    e = err.what();
    EXPECT_NE(e.find(dir / "missing"), std::string::npos) << e;
  }
}

TEST_F(SigningTableTest, OnlyTextTablesAreRead) {
  rsa("example.org", "s");
  writeFile(table(), "example.org s\n");
  for (const std::string& spec : {"hash:" + table(), "lmdb:" + table(), "proxy:hash:" + table()}) {
    try {
      DkimSigningTable::load(spec, dir.path());
      ADD_FAILURE() << spec << " loaded";
    } catch (const config::ConfigError& err) {
      const std::string e = err.what();
      EXPECT_NE(e.find(spec), std::string::npos) << e;
      EXPECT_NE(e.find("texthash"), std::string::npos) << e;
    }
  }
}

TEST(DkimName, Domains) {
  EXPECT_TRUE(isDkimName("example.org", true));
  EXPECT_TRUE(isDkimName("mail.Example.ORG", true));
  EXPECT_TRUE(isDkimName("a-b.example", true));
  EXPECT_TRUE(isDkimName("123.example", true));
  EXPECT_FALSE(isDkimName("example", true));
  EXPECT_FALSE(isDkimName("", true));
  EXPECT_FALSE(isDkimName("example.org.", true));
  EXPECT_FALSE(isDkimName(".example.org", true));
  EXPECT_FALSE(isDkimName("a..example.org", true));
  EXPECT_FALSE(isDkimName("-a.example.org", true));
  EXPECT_FALSE(isDkimName("a-.example.org", true));
  EXPECT_FALSE(isDkimName("a_b.example.org", true));
  EXPECT_FALSE(isDkimName("*.example.org", true));
  EXPECT_FALSE(isDkimName("example.org/s", true));
  EXPECT_FALSE(isDkimName("ex ample.org", true));
  EXPECT_FALSE(isDkimName("exämple.org", true));
  const std::string l63(63, 'a');
  EXPECT_TRUE(isDkimName(l63 + ".example", true));
  EXPECT_FALSE(isDkimName(l63 + "a.example", true));
  // 253 characters at most.
  const std::string n253 = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b');
  ASSERT_EQ(n253.size(), 253u);
  EXPECT_TRUE(isDkimName(n253, true));
  EXPECT_FALSE(isDkimName(n253 + "b", true));
}

TEST(DkimName, Selectors) {
  EXPECT_TRUE(isDkimName("s", false));
  EXPECT_TRUE(isDkimName("202612-rsa", false));
  EXPECT_TRUE(isDkimName("2026.eu", false));
  EXPECT_TRUE(isDkimName(std::string(63, 'x'), false));
  EXPECT_FALSE(isDkimName(std::string(64, 'x'), false));
  EXPECT_FALSE(isDkimName("", false));
  EXPECT_FALSE(isDkimName("-s", false));
  EXPECT_FALSE(isDkimName("s-", false));
  EXPECT_FALSE(isDkimName("s_1", false));
  EXPECT_FALSE(isDkimName("s.", false));
  EXPECT_FALSE(isDkimName("../s", false));
  EXPECT_FALSE(isDkimName("a/b", false));
}

}  // namespace
}  // namespace posthorn::mailauth
