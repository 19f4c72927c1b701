// cidr_test - network lists in Postfix's mynetworks syntax: IPv4, IPv6 in
// brackets, bare hosts, v4-mapped addresses, exceptions, files, and errors
// that name the bad entry.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "lib/address/cidr.h"

namespace posthorn::address {
namespace {

struct MatchCase {
  std::string list;
  std::vector<std::string> inside;
  std::vector<std::string> outside;
};

class CidrMatch : public ::testing::TestWithParam<MatchCase> {};

TEST_P(CidrMatch, MatchesExactlyTheNetworks) {
  const MatchCase& c = GetParam();
  const CidrList list = CidrList::parse(c.list, "mynetworks");
  for (const std::string& a : c.inside) {
    EXPECT_TRUE(list.matches(a)) << a << " should be in " << c.list;
  }
  for (const std::string& a : c.outside) {
    EXPECT_FALSE(list.matches(a)) << a << " should not be in " << c.list;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Lists, CidrMatch,
    ::testing::Values(
        // Postfix's default mynetworks for a loopback-only host.
        MatchCase{"127.0.0.0/8 [::1]/128",
                  {"127.0.0.1", "127.255.255.255", "::1", "[::1]", "::ffff:127.0.0.1",
                   "0:0:0:0:0:0:0:1"},
                  {"128.0.0.1", "126.255.255.255", "::2", "::", "2001:db8::1", "10.0.0.1"}},
        MatchCase{"192.0.2.7", {"192.0.2.7", "::ffff:192.0.2.7", "[192.0.2.7]"},
                  {"192.0.2.6", "192.0.2.8", "192.0.3.7"}},
        MatchCase{"[2001:db8::]/32",
                  {"2001:db8::1", "2001:DB8:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF", "2001:db8::"},
                  {"2001:db9::", "2001:db7:ffff::1", "192.0.2.1"}},
        MatchCase{"10.0.0.0/8, 172.16.0.0/12,192.168.0.0/16\t[fd00::]/8",
                  {"10.1.2.3", "172.31.255.255", "192.168.77.1", "fd12:3456::1"},
                  {"172.32.0.0", "172.15.255.255", "192.169.0.1", "fe80::1", "11.0.0.0"}},
        MatchCase{"192.0.2.128/25", {"192.0.2.128", "192.0.2.255"}, {"192.0.2.127", "192.0.2.0"}},
        MatchCase{"192.0.2.0/31", {"192.0.2.0", "192.0.2.1"}, {"192.0.2.2"}},
        MatchCase{"0.0.0.0/0", {"1.2.3.4", "255.255.255.255", "::ffff:8.8.8.8"},
                  {"2001:db8::1", "::1"}},
        MatchCase{"[::]/0", {"2001:db8::1", "::1"}, {"192.0.2.1"}},
        MatchCase{"[::1/128] ::2/128 [2001:db8::5]",
                  {"::1", "::2", "2001:db8::5"}, {"::3", "2001:db8::6"}},
        // A v4-mapped entry is the IPv4 network it denotes.
        MatchCase{"[::ffff:192.0.2.0]/120", {"192.0.2.5", "::ffff:192.0.2.200"},
                  {"192.0.3.1"}},
        // Exceptions: the first matching entry decides.
        MatchCase{"!192.0.2.1 192.0.2.0/24", {"192.0.2.2", "192.0.2.254"}, {"192.0.2.1"}},
        MatchCase{"192.0.2.0/24 !192.0.2.1", {"192.0.2.1", "192.0.2.2"}, {"192.0.3.1"}},
        // Link-local with a scope.
        MatchCase{"[fe80::]/10", {"fe80::1%eth0", "febf::1"}, {"fec0::1"}},
        // Not addresses at all never match.
        MatchCase{"0.0.0.0/0 [::]/0", {"10.0.0.1"}, {"unknown", "", "example.com", "[]", "1.2.3"}},
        MatchCase{"", {}, {"127.0.0.1", "::1"}}));

struct ErrorCase {
  std::string list;
  std::string entry;    // the message must name it
  std::string because;  // and say why
};

class CidrError_ : public ::testing::TestWithParam<ErrorCase> {};

TEST_P(CidrError_, NamesTheBadEntry) {
  const ErrorCase& c = GetParam();
  try {
    CidrList::parse(c.list, "mynetworks");
    FAIL() << c.list << " parsed";
  } catch (const CidrError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("\"" + c.entry + "\""), std::string::npos) << what;
    EXPECT_NE(what.find(c.because), std::string::npos) << what;
    EXPECT_NE(what.find("mynetworks"), std::string::npos) << what;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Lists, CidrError_,
    ::testing::Values(
        ErrorCase{"127.0.0.0/8 10.0.0.0/33", "10.0.0.0/33", "prefix length must be 0..32"},
        ErrorCase{"[::1]/129", "[::1]/129", "prefix length must be 0..128"},
        ErrorCase{"10.0.0.1/8", "10.0.0.1/8", "did you mean 10.0.0.0/8"},
        ErrorCase{"[2001:db8::1]/32", "[2001:db8::1]/32", "did you mean [2001:db8::]/32"},
        ErrorCase{"10.0.0.0/", "10.0.0.0/", "bad prefix length"},
        ErrorCase{"10.0.0.0/x8", "10.0.0.0/x8", "bad prefix length"},
        ErrorCase{"10.0.0.0/-1", "10.0.0.0/-1", "bad prefix length"},
        ErrorCase{"300.1.1.1", "300.1.1.1", "not a valid IP address"},
        ErrorCase{"10.0.0", "10.0.0", "not a valid IP address"},
        ErrorCase{"2001:db8:::1", "2001:db8:::1", "not a valid IP address"},
        ErrorCase{"mail.example.com", "mail.example.com", "host names are not supported"},
        ErrorCase{"hash:/etc/mail/networks", "hash:/etc/mail/networks", "table lookups"},
        ErrorCase{"[::1", "[::1", "missing \"]\""},
        ErrorCase{"[::1]x", "[::1]x", "after \"]\""},
        ErrorCase{"[::1/64]/64", "[::1/64]/64", "after \"]\""},
        ErrorCase{"127.0.0.1 !", "!", "empty entry"}));

TEST(CidrList, ReadsEntriesFromAFile) {
  const char* tmp = std::getenv("TMPDIR");
  std::string dir = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") +
                    "/posthorn-cidr-test.XXXXXX";
  ASSERT_NE(::mkdtemp(dir.data()), nullptr);
  const std::string file = dir + "/networks";
  {
    std::ofstream out(file);
    out << "# our networks\n198.51.100.0/24   # office\n[2001:db8:1::]/48, 203.0.113.9\n";
  }
  const CidrList list = CidrList::parse("127.0.0.0/8 " + file, "mynetworks");
  EXPECT_EQ(list.entries().size(), 4u);
  EXPECT_TRUE(list.matches("198.51.100.20"));
  EXPECT_TRUE(list.matches("2001:db8:1:2::1"));
  EXPECT_TRUE(list.matches("203.0.113.9"));
  EXPECT_FALSE(list.matches("203.0.113.10"));

  {
    std::ofstream out(file);
    out << "198.51.100.1/24\n";
  }
  try {
    CidrList::parse(file, "mynetworks");
    FAIL() << "bad entry in file accepted";
  } catch (const CidrError& e) {
    EXPECT_NE(std::string(e.what()).find(file), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("198.51.100.1/24"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
  try {
    CidrList::parse(file, "mynetworks");
    FAIL() << "missing file accepted";
  } catch (const CidrError& e) {
    EXPECT_NE(std::string(e.what()).find("cannot read " + file), std::string::npos) << e.what();
  }
}

TEST(CidrList, FindReportsTheDecidingEntry) {
  const CidrList list =
      CidrList::parse(std::vector<std::string>{"!10.0.0.1", "10.0.0.0/8", "[::1]/128"});
  ASSERT_NE(list.find("10.0.0.1"), nullptr);
  EXPECT_TRUE(list.find("10.0.0.1")->negated);
  EXPECT_EQ(list.find("10.9.9.9")->text, "10.0.0.0/8");
  EXPECT_EQ(list.find("::1")->text, "[::1]/128");
  EXPECT_EQ(list.find("192.0.2.1"), nullptr);
}

}  // namespace
}  // namespace posthorn::address
