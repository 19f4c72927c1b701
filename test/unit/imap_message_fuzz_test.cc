// imap_message_fuzz_test - mutated and truncated messages never crash and give well-formed results
#include <gtest/gtest.h>

#include <random>
#include <string>

#include "imapd/fetch_section.h"
#include "imapd/imap_address.h"
#include "test/unit/imap_message_test_util.h"

namespace posthorn::imapd {
namespace {

// Parentheses balance outside quoted strings and literals.
bool balanced(const std::string& s) {
  long depth = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i)
        if (s[i] == '\\') ++i;
    } else if (c == '{') {
      const std::size_t close = s.find("}\r\n", i);
      if (close == std::string::npos) return false;
      i = close + 2 + std::stoul(s.substr(i + 1, close - i - 1));
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (--depth < 0) return false;
    }
  }
  return depth == 0;
}

void exercise(const std::string& bytes) {
  const MessageView m(bytes);
  const std::string env = m.envelope();
  EXPECT_TRUE(balanced(env)) << env;
  const std::string bs = m.bodyStructure(true);
  EXPECT_TRUE(balanced(bs)) << bs;
  EXPECT_TRUE(balanced(m.bodyStructure(false)));
  m.decodedBodyText();
  m.decodedHeaderText();
  m.sentDate();
  for (FetchSection::Kind kind : {FetchSection::Kind::Whole, FetchSection::Kind::Header, FetchSection::Kind::Text,
                                  FetchSection::Kind::Mime, FetchSection::Kind::HeaderFieldsNot}) {
    for (const std::vector<std::uint32_t>& part :
         std::vector<std::vector<std::uint32_t>>{{}, {1}, {2}, {4}, {4, 1}, {4, 2, 1}, {1, 1, 1}}) {
      FetchSection s;
      s.kind = kind;
      s.part = part;
      s.fields = {"From"};
      const std::string out = fetchSection(m, s);
      // HEADER.FIELDS may add a missing line end and the blank line.
      EXPECT_LE(out.size(), m.text().size() + 4);
    }
  }
}

TEST(MessageFuzzTest, MutatedMessages) {
  const std::string base = testmsg::kMixed;
  const std::string alphabet = "\r\n-:;\"()<>@=?\\ \t,XYbB\x80\xff";
  std::mt19937 rng(20261123);
  for (int round = 0; round < 3000; ++round) {
    std::string s = base;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits && !s.empty(); ++e) {
      const std::size_t pos = rng() % s.size();
      switch (rng() % 4) {
        case 0: s[pos] = alphabet[rng() % alphabet.size()]; break;
        case 1: s.erase(pos, 1 + rng() % 20); break;
        case 2: s.insert(pos, 1, alphabet[rng() % alphabet.size()]); break;
        default: s.insert(pos, s.substr(rng() % s.size(), rng() % 40)); break;
      }
    }
    exercise(s);
    if (HasFailure()) {
      ADD_FAILURE() << "input: " << s;
      return;
    }
  }
}

TEST(MessageFuzzTest, EveryTruncation) {
  const std::string base = testmsg::kMixed;
  for (std::size_t n = 0; n <= base.size(); ++n) {
    exercise(base.substr(0, n));
    if (HasFailure()) {
      ADD_FAILURE() << "truncated at " << n;
      return;
    }
  }
}

TEST(MessageFuzzTest, RandomAddressHeaders) {
  const std::string alphabet = "ab.@<>,;:\"()[]\\ =?";
  std::mt19937 rng(7);
  for (int round = 0; round < 5000; ++round) {
    std::string s;
    const std::size_t len = rng() % 40;
    for (std::size_t i = 0; i < len; ++i) s += alphabet[rng() % alphabet.size()];
    const std::string out = imapAddressList(s);
    ASSERT_TRUE(out == "NIL" || balanced(out)) << s << " -> " << out;
  }
}

}  // namespace
}  // namespace posthorn::imapd
