// canonical_body_test - DKIM's simple and relaxed body lengths (RFC 6376
// 3.4.3, 3.4.4) counted while a message streams by: known values, and the
// same result for every way of cutting the message into pieces, checked
// against the canonical body written out in full
#include "lib/mailauth/canonical_body.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace posthorn::mailauth {
namespace {

// The canonical body itself, the slow way, for comparison.
std::string canonicalBody(const std::string& message, bool relaxed) {
  std::size_t start = message.find("\n\n");
  std::size_t crlf = message.find("\n\r\n");
  std::size_t body;
  if (start == std::string::npos && crlf == std::string::npos) return relaxed ? "" : "\r\n";
  if (crlf != std::string::npos && (start == std::string::npos || crlf < start)) body = crlf + 3;
  else body = start + 2;
  if (message.rfind("\n", 0) == 0) body = 1;  // no header at all
  std::vector<std::string> lines;
  std::string line;
  bool open = false;
  for (std::size_t i = body; i < message.size(); ++i) {
    const char c = message[i];
    if (c == '\n') {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      lines.push_back(line);
      line.clear();
      open = false;
    } else {
      line += c;
      open = true;
    }
  }
  if (open) lines.push_back(line);
  std::string out;
  std::vector<std::string> canon;
  for (std::string l : lines) {
    if (relaxed) {
      std::string r;
      bool space = false;
      for (char c : l) {
        if (c == ' ' || c == '\t') {
          space = true;
        } else {
          if (space) r += ' ';
          r += c;
          space = false;
        }
      }
      l = r;
    }
    canon.push_back(l);
  }
  while (!canon.empty() && canon.back().empty()) canon.pop_back();
  for (const auto& l : canon) out += l + "\r\n";
  if (out.empty() && !relaxed) out = "\r\n";
  return out;
}

const std::vector<std::string> kMessages = {
    "Subject: a\r\n\r\nHello  world \t\r\n\r\n  indented\r\n\r\n\r\n",
    "Subject: a\n\nbare LF lines  \nsecond\tline\n",
    "Subject: a\r\n\r\nno final line end   ",
    "Subject: a\r\n\r\n",
    "Subject: a\r\n\r\n\r\n\r\n",
    "Subject: only a header\r\n",
    "Subject: a\r\n\r\na bare\rCR inside\r\nand one at the end\r",
    "Subject: a\r\n\r\n \t \r\nlast\r\n \r\n",
};

TEST(CanonicalBodyLength, KnownValues) {
  CanonicalBodyLength n;
  n.feed("Subject: x\r\n\r\nHello  world \t\r\n\r\n\r\n");
  EXPECT_EQ(n.simple(), static_cast<long long>(std::string("Hello  world \t\r\n").size()));
  EXPECT_EQ(n.relaxed(), static_cast<long long>(std::string("Hello world\r\n").size()));
  CanonicalBodyLength empty;
  empty.feed("Subject: x\r\n\r\n");
  EXPECT_EQ(empty.simple(), 2);  // an empty body is one CRLF in simple
  EXPECT_EQ(empty.relaxed(), 0);  // and nothing in relaxed
}

TEST(CanonicalBodyLength, AnyCuttingGivesTheWholeResult) {
  std::mt19937 rng(7);
  for (const std::string& m : kMessages) {
    const auto simple = static_cast<long long>(canonicalBody(m, false).size());
    const auto relaxed = static_cast<long long>(canonicalBody(m, true).size());
    for (int round = 0; round < 50; ++round) {
      CanonicalBodyLength n;
      std::size_t at = 0;
      while (at < m.size()) {
        const std::size_t piece = std::uniform_int_distribution<std::size_t>(1, 5)(rng);
        n.feed(std::string_view(m).substr(at, piece));
        at += piece;
      }
      ASSERT_EQ(n.simple(), simple) << "simple, message " << testing::PrintToString(m);
      ASSERT_EQ(n.relaxed(), relaxed) << "relaxed, message " << testing::PrintToString(m);
    }
  }
}

}  // namespace
}  // namespace posthorn::mailauth
