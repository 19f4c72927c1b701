// imap_search_test - SEARCH: every key parsed from real command lines and
// evaluated over a small fake mailbox; nesting, sequence sets, dates,
// CHARSET, RETURN, case folding and the errors bad input gets
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <utility>
#include <vector>

#include "imapd/imap_parser.h"
#include "imapd/search_match.h"
#include "imapd/search_parser.h"

namespace posthorn::imapd {
namespace {

using mailbox::MessageFlags;

class FakeMessage : public SearchSubject {
 public:
  std::uint32_t seq = 0;
  std::uint32_t uidValue = 0;
  MessageFlags flagValue;
  bool recentValue = false;
  std::time_t internal = 0;
  std::uint64_t sizeValue = 0;
  std::uint64_t modseqValue = 1;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  int fileReads = 0;

  std::uint32_t sequence() const override { return seq; }
  std::uint32_t uid() const override { return uidValue; }
  const MessageFlags& flags() const override { return flagValue; }
  bool recent() const override { return recentValue; }
  std::time_t internalDate() const override { return internal; }
  std::uint64_t size() const override { return sizeValue; }
  std::uint64_t modseq() const override { return modseqValue; }
  std::vector<std::string> headerValues(std::string_view name) override {
    ++fileReads;
    std::vector<std::string> out;
    for (const auto& [n, v] : headers) {
      if (equalsIgnoreCase(n, name)) out.push_back(v);
    }
    return out;
  }
  std::string headerText() override {
    ++fileReads;
    std::string out;
    for (const auto& [n, v] : headers) out += n + ": " + v + "\r\n";
    return out;
  }
  std::string bodyText() override {
    ++fileReads;
    return body;
  }
};

// The arguments of "A SEARCH <keys>" as the real parser reads them.
std::vector<ImapValue> argsOf(const std::string& keys) {
  ImapParser parser;
  parser.feed("A SEARCH " + keys + "\r\n");
  while (true) {
    switch (parser.next()) {
      case ImapParser::Event::Literal:
        parser.acceptLiteral();
        break;
      case ImapParser::Event::Command:
        return parser.takeCommand().args;
      case ImapParser::Event::Error:
        ADD_FAILURE() << "parser: " << parser.error().message << " in " << keys;
        return {};
      default:
        ADD_FAILURE() << "parser wants more for " << keys;
        return {};
    }
  }
}

SearchParseResult parse(const std::string& keys, std::size_t maxDepth = 32) {
  return parseSearch(argsOf(keys), 0, maxDepth);
}

std::string describe(const std::string& keys) {
  const SearchParseResult r = parse(keys);
  if (!r.key) return "error: " + r.error;
  return describeSearch(*r.key);
}

std::string errorOf(const std::string& keys, std::size_t maxDepth = 32) {
  const SearchParseResult r = parse(keys, maxDepth);
  EXPECT_FALSE(r.key) << keys;
  EXPECT_FALSE(r.error.empty()) << keys;
  return r.error;
}

constexpr std::time_t kDay = 86400;
// 1996-07-17 00:00:00 UTC.
constexpr std::time_t kJul17 = 837561600;

// Five messages with sequence numbers 1..5 and UIDs 10, 20, ... 50.
class SearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    msgs_.resize(5);
    for (std::uint32_t i = 0; i < 5; ++i) {
      msgs_[i].seq = i + 1;
      msgs_[i].uidValue = (i + 1) * 10;
      msgs_[i].sizeValue = 1000 * (i + 1);
      msgs_[i].modseqValue = 100 + i;
      msgs_[i].internal = kJul17 + static_cast<std::time_t>(i) * kDay;
      msgs_[i].headers = {{"From", "User" + std::to_string(i + 1) + " <user" + std::to_string(i + 1) + "@example.org>"},
                          {"Subject", "message " + std::to_string(i + 1)}};
      msgs_[i].body = "body of message " + std::to_string(i + 1) + "\r\n";
    }
    scope_.messageCount = 5;
    scope_.maxUid = 50;
  }

  // The sequence numbers that match, "1 3 5".
  std::string search(const std::string& keys) {
    const SearchParseResult r = parse(keys);
    if (!r.key) return "error: " + r.error;
    std::string out;
    for (FakeMessage& m : msgs_) {
      if (matches(*r.key, m, scope_)) out += (out.empty() ? "" : " ") + std::to_string(m.seq);
    }
    return out;
  }

  int fileReads() const {
    int n = 0;
    for (const FakeMessage& m : msgs_) n += m.fileReads;
    return n;
  }

  std::vector<FakeMessage> msgs_;
  SearchScope scope_;
};

TEST(SearchParseTest, EveryKeyParses) {
  const std::pair<const char*, const char*> cases[] = {
      {"ALL", "ALL"},
      {"ANSWERED", "(FLAG \\Answered)"},
      {"BCC x", "(HEADER BCC \"x\")"},
      {"BEFORE 1-Feb-1994", "(BEFORE 1994-02-01)"},
      {"BODY \"Some Text\"", "(BODY \"some text\")"},
      {"CC x", "(HEADER CC \"x\")"},
      {"DELETED", "(FLAG \\Deleted)"},
      {"DRAFT", "(FLAG \\Draft)"},
      {"FLAGGED", "(FLAG \\Flagged)"},
      {"FROM Joe", "(HEADER FROM \"joe\")"},
      {"HEADER X-Spam yes", "(HEADER X-Spam \"yes\")"},
      {"KEYWORD $Junk", "(KEYWORD $Junk)"},
      {"LARGER 100", "(LARGER 100)"},
      {"NEW", "(AND RECENT (NOT (FLAG \\Seen)))"},
      {"NOT SEEN", "(NOT (FLAG \\Seen))"},
      {"OLD", "(NOT RECENT)"},
      {"ON \"1-Feb-1994\"", "(ON 1994-02-01)"},
      {"OR SEEN DRAFT", "(OR (FLAG \\Seen) (FLAG \\Draft))"},
      {"RECENT", "RECENT"},
      {"SEEN", "(FLAG \\Seen)"},
      {"SENTBEFORE 1-Feb-1994", "(SENTBEFORE 1994-02-01)"},
      {"SENTON 1-Feb-1994", "(SENTON 1994-02-01)"},
      {"SENTSINCE 1-Feb-1994", "(SENTSINCE 1994-02-01)"},
      {"SINCE 1-Feb-1994", "(SINCE 1994-02-01)"},
      {"SMALLER 100", "(SMALLER 100)"},
      {"SUBJECT hello", "(HEADER SUBJECT \"hello\")"},
      {"TEXT hello", "(TEXT \"hello\")"},
      {"TO hello", "(HEADER TO \"hello\")"},
      {"UID 1:*", "(UID 1:*)"},
      {"UNANSWERED", "(NOT (FLAG \\Answered))"},
      {"UNDELETED", "(NOT (FLAG \\Deleted))"},
      {"UNDRAFT", "(NOT (FLAG \\Draft))"},
      {"UNFLAGGED", "(NOT (FLAG \\Flagged))"},
      {"UNKEYWORD $Junk", "(NOT (KEYWORD $Junk))"},
      {"UNSEEN", "(NOT (FLAG \\Seen))"},
      {"1:3,5", "(SEQ 1:3,5)"},
      {"$", "(SEQ $)"},
      {"MODSEQ 620162338", "(MODSEQ 620162338)"},
      {"MODSEQ \"/flags/\\\\draft\" all 620162338", "(MODSEQ 620162338)"},
      {"(SEEN)", "(FLAG \\Seen)"},
      {"(SEEN DRAFT) UID 2", "(AND (AND (FLAG \\Seen) (FLAG \\Draft)) (UID 2))"},
  };
  for (const auto& [keys, expected] : cases) EXPECT_EQ(describe(keys), expected) << keys;
}

TEST(SearchParseTest, KeysAreCaseInsensitive) {
  EXPECT_EQ(describe("all"), "ALL");
  EXPECT_EQ(describe("UnSeen"), "(NOT (FLAG \\Seen))");
  EXPECT_EQ(describe("not or Seen deleted"), "(NOT (OR (FLAG \\Seen) (FLAG \\Deleted)))");
  EXPECT_EQ(describe("since 1-fEB-1994"), "(SINCE 1994-02-01)");
  EXPECT_EQ(describe("uid 5 Header subject x"), "(AND (UID 5) (HEADER subject \"x\"))");
}

TEST(SearchParseTest, StringsAsAtomQuotedAndLiteral) {
  EXPECT_EQ(describe("SUBJECT {5}\r\nHeLLo"), "(HEADER SUBJECT \"hello\")");
  EXPECT_EQ(describe("SUBJECT {5+}\r\nHe Lo"), "(HEADER SUBJECT \"he lo\")");
  EXPECT_EQ(describe("SUBJECT \"a \\\"b\\\" c\""), "(HEADER SUBJECT \"a \"b\" c\")");
  EXPECT_EQ(describe("CHARSET UTF-8 SUBJECT {6}\r\n\xC3\x84rger"), "(HEADER SUBJECT \"\xC3\xA4rger\")");
  EXPECT_EQ(describe("SUBJECT \"\""), "(HEADER SUBJECT \"\")");
}

TEST(SearchParseTest, SystemFlagAsKeyword) {
  EXPECT_EQ(describe("KEYWORD \\Seen"), "(FLAG \\Seen)");
  EXPECT_EQ(describe("UNKEYWORD \\flagged"), "(NOT (FLAG \\Flagged))");
  EXPECT_EQ(describe("KEYWORD \\Recent"), "RECENT");
  EXPECT_NE(errorOf("KEYWORD \\Bogus").find("bad keyword"), std::string::npos);
}

TEST(SearchParseTest, Charset) {
  for (const char* cs : {"UTF-8", "utf-8", "US-ASCII", "us-ascii", "\"UTF-8\""}) {
    const SearchParseResult r = parse(std::string("CHARSET ") + cs + " ALL");
    ASSERT_TRUE(r.key) << cs << ": " << r.error;
    EXPECT_FALSE(r.badCharset);
  }
  const SearchParseResult r = parse("CHARSET ISO-8859-1 SUBJECT x");
  EXPECT_FALSE(r.key);
  EXPECT_TRUE(r.badCharset);
  EXPECT_NE(r.error.find("ISO-8859-1"), std::string::npos);
  EXPECT_EQ(r.charset, "ISO-8859-1");
  const SearchParseResult missing = parse("CHARSET");
  EXPECT_FALSE(missing.key);
  EXPECT_FALSE(missing.badCharset);
  EXPECT_NE(missing.error.find("CHARSET"), std::string::npos);
  EXPECT_FALSE(parse("CHARSET UTF-8").key);  // a charset but no key
  // CHARSET only leads; later it is no key.
  EXPECT_NE(errorOf("ALL CHARSET UTF-8").find("unknown search key CHARSET"), std::string::npos);
}

TEST(SearchParseTest, ReturnOptions) {
  SearchParseResult r = parse("RETURN (MIN max Count) UNSEEN");
  ASSERT_TRUE(r.key) << r.error;
  ASSERT_TRUE(r.returnOptions);
  EXPECT_TRUE(r.returnOptions->min);
  EXPECT_TRUE(r.returnOptions->max);
  EXPECT_TRUE(r.returnOptions->count);
  EXPECT_FALSE(r.returnOptions->all);
  EXPECT_FALSE(r.returnOptions->save);
  r = parse("RETURN () CHARSET UTF-8 ALL");
  ASSERT_TRUE(r.key) << r.error;
  ASSERT_TRUE(r.returnOptions);
  EXPECT_TRUE(r.returnOptions->all);
  r = parse("RETURN (SAVE ALL) 1:3");
  ASSERT_TRUE(r.key) << r.error;
  EXPECT_TRUE(r.returnOptions->save);
  EXPECT_TRUE(r.returnOptions->all);
  EXPECT_FALSE(parse("ALL").returnOptions);
  EXPECT_NE(errorOf("RETURN (PARTIAL 1:10) ALL").find("PARTIAL"), std::string::npos);
  EXPECT_NE(errorOf("RETURN MIN ALL").find("RETURN"), std::string::npos);
  EXPECT_NE(errorOf("RETURN").find("RETURN"), std::string::npos);
}

TEST(SearchParseTest, Modseq) {
  EXPECT_TRUE(parse("MODSEQ 5").usesModseq);
  EXPECT_TRUE(parse("OR SEEN NOT MODSEQ 5").usesModseq);
  EXPECT_FALSE(parse("SEEN").usesModseq);
  EXPECT_TRUE(searchUsesModseq(*parse("NOT MODSEQ 5").key));
  EXPECT_FALSE(searchUsesModseq(*parse("NOT SEEN").key));
  EXPECT_NE(errorOf("MODSEQ").find("MODSEQ"), std::string::npos);
  EXPECT_NE(errorOf("MODSEQ x").find("MODSEQ"), std::string::npos);
  EXPECT_NE(errorOf("MODSEQ \"/flags/\\\\seen\" bogus 5").find("MODSEQ"), std::string::npos);
  EXPECT_NE(errorOf("MODSEQ 99999999999999999999").find("bad number"), std::string::npos);
}

TEST(SearchParseTest, NeedsMessage) {
  for (const char* keys : {"ALL", "SEEN", "1:*", "UID 5", "LARGER 5", "SINCE 1-Jan-2000", "NOT OR NEW KEYWORD x",
                           "MODSEQ 3"}) {
    EXPECT_FALSE(searchNeedsMessage(*parse(keys).key)) << keys;
  }
  for (const char* keys : {"SUBJECT x", "BODY x", "TEXT x", "HEADER a b", "SENTON 1-Jan-2000", "NOT (SEEN FROM x)",
                           "OR SEEN OR DRAFT TO y"}) {
    EXPECT_TRUE(searchNeedsMessage(*parse(keys).key)) << keys;
  }
}

TEST(SearchParseTest, BadInputIsAnError) {
  EXPECT_NE(errorOf("BOGUS").find("unknown search key BOGUS"), std::string::npos);
  const SearchParseResult none = parseSearch({}, 0);
  EXPECT_FALSE(none.key);
  EXPECT_NE(none.error.find("no search key"), std::string::npos);
  EXPECT_NE(errorOf("()").find("empty"), std::string::npos);
  EXPECT_NE(errorOf("\"SEEN\"").find("search key expected"), std::string::npos);
  EXPECT_NE(errorOf("BODY[TEXT]").find("search key expected"), std::string::npos);
  for (const char* key : {"BCC", "BEFORE", "BODY", "CC", "FROM", "KEYWORD", "LARGER", "ON", "SENTBEFORE", "SENTON",
                          "SENTSINCE", "SINCE", "SMALLER", "SUBJECT", "TEXT", "TO", "UID", "UNKEYWORD"}) {
    EXPECT_NE(errorOf(key).find(std::string(key) + " needs an argument"), std::string::npos) << key;
  }
  EXPECT_NE(errorOf("HEADER").find("HEADER needs"), std::string::npos);
  EXPECT_NE(errorOf("HEADER Subject").find("HEADER needs"), std::string::npos);
  EXPECT_NE(errorOf("HEADER \"\" x").find("empty field name"), std::string::npos);
  EXPECT_NE(errorOf("NOT").find("NOT needs a search key"), std::string::npos);
  EXPECT_NE(errorOf("OR SEEN").find("OR needs two search keys"), std::string::npos);
  EXPECT_NE(errorOf("SINCE 1-Feb-94").find("bad date \"1-Feb-94\""), std::string::npos);
  EXPECT_NE(errorOf("BEFORE 30-Feb-1994").find("bad date"), std::string::npos);
  EXPECT_NE(errorOf("SENTON 1994-02-01").find("bad date"), std::string::npos);
  EXPECT_NE(errorOf("ON (1-Feb-1994)").find("not a string"), std::string::npos);
  EXPECT_NE(errorOf("LARGER -5").find("bad number"), std::string::npos);
  EXPECT_NE(errorOf("SMALLER 12k").find("bad number"), std::string::npos);
  EXPECT_NE(errorOf("UID 0").find("bad sequence set"), std::string::npos);
  EXPECT_NE(errorOf("UID 1:x").find("bad sequence set"), std::string::npos);
  EXPECT_NE(errorOf("1:2:3").find("unknown search key"), std::string::npos);
  EXPECT_NE(errorOf("4294967296").find("unknown search key"), std::string::npos);
  EXPECT_NE(errorOf("KEYWORD \"a b\"").find("bad keyword"), std::string::npos);
  EXPECT_NE(errorOf("SEEN (DRAFT BOGUS)").find("BOGUS"), std::string::npos);
  EXPECT_NE(errorOf("OR SEEN NOT").find("NOT needs"), std::string::npos);
}

TEST(SearchParseTest, TooDeepNesting) {
  // Lists, NOT and OR each count one level.
  EXPECT_TRUE(parse("((((SEEN))))", 4).key);
  EXPECT_NE(errorOf("(((((SEEN)))))", 4).find("nested too deeply"), std::string::npos);
  EXPECT_TRUE(parse("NOT NOT NOT NOT SEEN", 4).key);
  EXPECT_NE(errorOf("NOT NOT NOT NOT NOT SEEN", 4).find("nested too deeply"), std::string::npos);
  EXPECT_NE(errorOf("OR SEEN (NOT (OR DRAFT NOT SEEN))", 4).find("nested too deeply"), std::string::npos);
  // The default limit, and a long chain no parser stack can take.
  std::string chain;
  for (int i = 0; i < 32; ++i) chain += "NOT ";
  EXPECT_TRUE(parse(chain + "SEEN").key);
  EXPECT_NE(errorOf("NOT " + chain + "SEEN").find("nested too deeply"), std::string::npos);
  std::string many;
  for (int i = 0; i < 400; ++i) many += "OR SEEN ";
  EXPECT_NE(errorOf(many + "SEEN").find("nested too deeply"), std::string::npos);
}

TEST(SearchParseTest, StartOffset) {
  std::vector<ImapValue> args = argsOf("1:* UNSEEN");
  const SearchParseResult r = parseSearch(args, 1);
  ASSERT_TRUE(r.key);
  EXPECT_EQ(describeSearch(*r.key), "(NOT (FLAG \\Seen))");
  EXPECT_FALSE(parseSearch(args, 2).key);
}

TEST_F(SearchTest, AllAndFlags) {
  msgs_[0].flagValue.system = mailbox::kFlagSeen | mailbox::kFlagAnswered;
  msgs_[1].flagValue.system = mailbox::kFlagDeleted;
  msgs_[2].flagValue.system = mailbox::kFlagDraft | mailbox::kFlagSeen;
  msgs_[3].flagValue.system = mailbox::kFlagFlagged;
  msgs_[4].flagValue.system = mailbox::kFlagPassed;
  EXPECT_EQ(search("ALL"), "1 2 3 4 5");
  EXPECT_EQ(search("SEEN"), "1 3");
  EXPECT_EQ(search("UNSEEN"), "2 4 5");
  EXPECT_EQ(search("ANSWERED"), "1");
  EXPECT_EQ(search("UNANSWERED"), "2 3 4 5");
  EXPECT_EQ(search("DELETED"), "2");
  EXPECT_EQ(search("UNDELETED"), "1 3 4 5");
  EXPECT_EQ(search("DRAFT"), "3");
  EXPECT_EQ(search("UNDRAFT"), "1 2 4 5");
  EXPECT_EQ(search("FLAGGED"), "4");
  EXPECT_EQ(search("UNFLAGGED"), "1 2 3 5");
  EXPECT_EQ(fileReads(), 0);
}

TEST_F(SearchTest, RecentNewOld) {
  msgs_[3].recentValue = true;
  msgs_[4].recentValue = true;
  msgs_[4].flagValue.system = mailbox::kFlagSeen;
  EXPECT_EQ(search("RECENT"), "4 5");
  EXPECT_EQ(search("NEW"), "4");
  EXPECT_EQ(search("OLD"), "1 2 3");
}

TEST_F(SearchTest, Keywords) {
  msgs_[0].flagValue.addKeyword("$Junk");
  msgs_[1].flagValue.addKeyword("work");
  msgs_[1].flagValue.addKeyword("$Junk");
  EXPECT_EQ(search("KEYWORD $Junk"), "1 2");
  EXPECT_EQ(search("KEYWORD $junk"), "1 2");
  EXPECT_EQ(search("KEYWORD WORK"), "2");
  EXPECT_EQ(search("UNKEYWORD $Junk"), "3 4 5");
  EXPECT_EQ(search("KEYWORD nothing"), "");
}

TEST_F(SearchTest, SizeBoundaries) {
  // Sizes are 1000 .. 5000.
  EXPECT_EQ(search("LARGER 2000"), "3 4 5");
  EXPECT_EQ(search("LARGER 1999"), "2 3 4 5");
  EXPECT_EQ(search("SMALLER 2000"), "1");
  EXPECT_EQ(search("SMALLER 2001"), "1 2");
  EXPECT_EQ(search("LARGER 0"), "1 2 3 4 5");
  EXPECT_EQ(search("SMALLER 0"), "");
  EXPECT_EQ(search("LARGER 1000 SMALLER 5000"), "2 3 4");
  EXPECT_EQ(search("LARGER 18446744073709551615"), "");
}

TEST_F(SearchTest, InternalDateBoundaries) {
  // Internal dates: 17..21 Jul 1996 at 00:00 UTC; message 3 one second before
  // the 20th, message 4 on the 20th at 00:00.
  msgs_[2].internal = kJul17 + 3 * kDay - 1;
  EXPECT_EQ(search("SINCE 19-Jul-1996"), "3 4 5");
  EXPECT_EQ(search("SINCE 20-Jul-1996"), "4 5");
  EXPECT_EQ(search("BEFORE 20-Jul-1996"), "1 2 3");
  EXPECT_EQ(search("BEFORE 17-Jul-1996"), "");
  EXPECT_EQ(search("SINCE 17-Jul-1996"), "1 2 3 4 5");
  EXPECT_EQ(search("ON 19-Jul-1996"), "3");
  EXPECT_EQ(search("ON 20-Jul-1996"), "4");
  EXPECT_EQ(search("SINCE 18-Jul-1996 BEFORE 20-Jul-1996"), "2 3");
  // The server's zone decides: at -0100 message 4 (00:00 UTC) is on the 19th.
  scope_.timezoneOffsetMinutes = -60;
  EXPECT_EQ(search("ON 19-Jul-1996"), "3 4");
  EXPECT_EQ(search("SINCE 20-Jul-1996"), "5");
  scope_.timezoneOffsetMinutes = 60;
  EXPECT_EQ(search("ON 20-Jul-1996"), "3 4");
  EXPECT_EQ(fileReads(), 0);
}

TEST_F(SearchTest, SentDatesUseTheHeadersOwnDate) {
  msgs_[0].headers.push_back({"Date", "Wed, 17 Jul 1996 23:30:00 -0700"});  // 18th in UTC
  msgs_[1].headers.push_back({"Date", "Thu, 18 Jul 1996 00:30:00 +0200"});  // 17th in UTC
  msgs_[2].headers.push_back({"Date", "19 Jul 96 12:00 EDT (comment)"});
  msgs_[3].headers.push_back({"Date", "garbage"});
  // Message 5 has no Date: field.
  EXPECT_EQ(search("SENTON 17-Jul-1996"), "1");
  EXPECT_EQ(search("SENTON 18-Jul-1996"), "2");
  EXPECT_EQ(search("SENTBEFORE 18-Jul-1996"), "1");
  EXPECT_EQ(search("SENTSINCE 18-Jul-1996"), "2 3");
  EXPECT_EQ(search("SENTSINCE 19-Jul-1996"), "3");
  EXPECT_EQ(search("SENTBEFORE 19-Jul-1996"), "1 2");
  EXPECT_EQ(search("NOT SENTBEFORE 1-Jan-2100"), "4 5");
}

TEST_F(SearchTest, HeaderFields) {
  msgs_[0].headers.push_back({"To", "Alice <alice@example.org>"});
  msgs_[1].headers.push_back({"Cc", "Bob <bob@example.org>"});
  msgs_[1].headers.push_back({"Cc", "carol@example.org"});
  msgs_[2].headers.push_back({"Bcc", "dave@example.org"});
  msgs_[3].headers.push_back({"X-Spam-Flag", "YES"});
  msgs_[4].headers.push_back({"X-Spam-Flag", ""});
  EXPECT_EQ(search("FROM user3"), "3");
  EXPECT_EQ(search("FROM EXAMPLE.ORG"), "1 2 3 4 5");
  EXPECT_EQ(search("TO alice"), "1");
  EXPECT_EQ(search("CC carol"), "2");
  EXPECT_EQ(search("CC bob@"), "2");
  EXPECT_EQ(search("BCC dave"), "3");
  EXPECT_EQ(search("SUBJECT \"MESSAGE 4\""), "4");
  EXPECT_EQ(search("HEADER x-spam-flag yes"), "4");
  // An empty string matches every message that has the field.
  EXPECT_EQ(search("HEADER X-Spam-Flag \"\""), "4 5");
  EXPECT_EQ(search("TO \"\""), "1");
  EXPECT_EQ(search("SUBJECT \"\""), "1 2 3 4 5");
  EXPECT_EQ(search("HEADER Reply-To \"\""), "");
}

TEST_F(SearchTest, BodyAndText) {
  msgs_[1].body = "Hello World\r\n";
  msgs_[3].headers.push_back({"X-Note", "hello there"});
  EXPECT_EQ(search("BODY \"hello world\""), "2");
  EXPECT_EQ(search("BODY hello"), "2");
  EXPECT_EQ(search("TEXT hello"), "2 4");
  EXPECT_EQ(search("TEXT \"x-note: hello\""), "4");
  EXPECT_EQ(search("BODY \"\""), "1 2 3 4 5");
  EXPECT_EQ(search("TEXT \"\""), "1 2 3 4 5");
  EXPECT_EQ(search("BODY \"message 3\""), "3");
}

TEST_F(SearchTest, UnicodeCaseFolding) {
  msgs_[0].headers.push_back({"Subject", "Re: ÄRGER MIT DER ΣΟΦΊΑ"});
  msgs_[1].body = "Привет, МИР";
  msgs_[2].headers[0].second = "Łukasz Żółć <l@example.pl>";
  EXPECT_EQ(search("CHARSET UTF-8 SUBJECT \"ärger mit der σοφία\""), "1");
  EXPECT_EQ(search("CHARSET UTF-8 SUBJECT {6}\r\nÄrger"), "1");
  EXPECT_EQ(search("CHARSET UTF-8 BODY \"привет, мир\""), "2");
  EXPECT_EQ(search("CHARSET UTF-8 TEXT \"ПРИВЕТ\""), "2");
  EXPECT_EQ(search("CHARSET UTF-8 FROM \"łUKASZ ŻÓŁĆ\""), "3");
  EXPECT_EQ(search("CHARSET UTF-8 FROM \"ŁUKASZ ZOLC\""), "");
}

TEST_F(SearchTest, SequenceSets) {
  EXPECT_EQ(search("2"), "2");
  EXPECT_EQ(search("2:4"), "2 3 4");
  EXPECT_EQ(search("4:2"), "2 3 4");
  EXPECT_EQ(search("1,3,5"), "1 3 5");
  EXPECT_EQ(search("*"), "5");
  EXPECT_EQ(search("4:*"), "4 5");
  EXPECT_EQ(search("*:4"), "4 5");
  EXPECT_EQ(search("7:*"), "5");  // '*' is the highest number: 5:7
  EXPECT_EQ(search("6:7"), "");
  EXPECT_EQ(search("1:*"), "1 2 3 4 5");
  EXPECT_EQ(search("1,2:3 2:5"), "2 3");
  // UIDs are 10, 20 .. 50.
  EXPECT_EQ(search("UID 20"), "2");
  EXPECT_EQ(search("UID 2"), "");
  EXPECT_EQ(search("UID 15:35"), "2 3");
  EXPECT_EQ(search("UID 35:15"), "2 3");
  EXPECT_EQ(search("UID *"), "5");
  EXPECT_EQ(search("UID 45:*"), "5");
  EXPECT_EQ(search("UID 60:*"), "5");  // 50:60
  EXPECT_EQ(search("UID 51:60"), "");
  EXPECT_EQ(search("UID 1:*"), "1 2 3 4 5");
  EXPECT_EQ(search("UID 10,30:40 NOT 4"), "1 3");
}

TEST_F(SearchTest, SavedResult) {
  EXPECT_EQ(search("$"), "");  // nothing saved yet
  EXPECT_EQ(search("UID $"), "");
  const std::vector<std::uint32_t> saved = {20, 40};  // UIDs
  scope_.saved = &saved;
  EXPECT_EQ(search("$"), "2 4");
  EXPECT_EQ(search("UID $"), "2 4");
  EXPECT_EQ(search("NOT $"), "1 3 5");
  EXPECT_EQ(search("OR $ 1"), "1 2 4");
}

TEST_F(SearchTest, EmptyMailboxStar) {
  msgs_.clear();
  scope_.messageCount = 0;
  scope_.maxUid = 0;
  EXPECT_EQ(search("1:*"), "");
  // One message left after expunges: '*' is its number.
  msgs_.resize(1);
  msgs_[0].seq = 1;
  msgs_[0].uidValue = 77;
  scope_.messageCount = 1;
  scope_.maxUid = 77;
  EXPECT_EQ(search("*"), "1");
  EXPECT_EQ(search("UID *"), "1");
  EXPECT_EQ(search("UID 100:*"), "1");
}

TEST_F(SearchTest, NotOrAndNesting) {
  msgs_[0].flagValue.system = mailbox::kFlagSeen;
  msgs_[1].flagValue.system = mailbox::kFlagFlagged;
  msgs_[2].flagValue.system = mailbox::kFlagSeen | mailbox::kFlagFlagged;
  EXPECT_EQ(search("SEEN FLAGGED"), "3");
  EXPECT_EQ(search("OR SEEN FLAGGED"), "1 2 3");
  EXPECT_EQ(search("NOT OR SEEN FLAGGED"), "4 5");
  EXPECT_EQ(search("NOT (SEEN FLAGGED)"), "1 2 4 5");
  EXPECT_EQ(search("OR (SEEN FLAGGED) 5"), "3 5");
  EXPECT_EQ(search("OR SEEN OR FLAGGED 5"), "1 2 3 5");
  EXPECT_EQ(search("OR OR SEEN FLAGGED 5"), "1 2 3 5");
  EXPECT_EQ(search("NOT NOT SEEN"), "1 3");
  EXPECT_EQ(search("(OR 1 2) (OR 2 3)"), "2");
  EXPECT_EQ(search("NOT (OR (UID 10) (NOT (1:3)))"), "2 3");
  EXPECT_EQ(search("OR FROM user1 SUBJECT \"message 2\""), "1 2");
  EXPECT_EQ(search("UNSEEN OR FROM user1 SUBJECT \"message 2\""), "2");
}

TEST_F(SearchTest, Modseq) {
  // Modseqs are 100 .. 104.
  EXPECT_EQ(search("MODSEQ 102"), "3 4 5");
  EXPECT_EQ(search("MODSEQ 0"), "1 2 3 4 5");
  EXPECT_EQ(search("MODSEQ 105"), "");
  EXPECT_EQ(search("MODSEQ \"/flags/\\\\Seen\" priv 104"), "5");
}

TEST_F(SearchTest, FileReadOnlyWhenNeeded) {
  msgs_[0].flagValue.system = mailbox::kFlagSeen;
  EXPECT_EQ(search("UID 1:* LARGER 10 SEEN"), "1");
  EXPECT_EQ(fileReads(), 0);
  // Index keys first: only the seen message's file is read.
  EXPECT_EQ(search("SUBJECT message SEEN"), "1");
  EXPECT_EQ(fileReads(), 1);
  EXPECT_EQ(msgs_[0].fileReads, 1);
  // OR: a true index key answers without the file.
  EXPECT_EQ(search("OR BODY nothing ALL"), "1 2 3 4 5");
  EXPECT_EQ(fileReads(), 1);
  // Several keys on the same part read it once per message.
  for (FakeMessage& m : msgs_) m.fileReads = 0;
  EXPECT_EQ(search("BODY body BODY message TEXT of NOT BODY zzz"), "1 2 3 4 5");
  for (const FakeMessage& m : msgs_) EXPECT_EQ(m.fileReads, 2);  // body once, header text once
}

// Random token soup: every outcome is a key or an error message, never a
// crash, and a parsed key evaluates.
TEST_F(SearchTest, RandomInputNeverCrashes) {
  const char* tokens[] = {"ALL", "NOT", "OR", "(", ")", "SEEN", "UID", "1:*", "$", "*", "SINCE", "1-Feb-1994",
                          "HEADER", "\"\"", "x", "LARGER", "5", "MODSEQ", "KEYWORD", "BODY", "TEXT", "SENTON",
                          "CHARSET", "UTF-8", "RETURN", "()", "(MIN)", "bogus", "0", "4294967295", "2:4,7"};
  std::mt19937 rng(8);
  msgs_[0].headers.push_back({"Date", "1 Feb 1994 00:00 +0000"});
  int parsed = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string line;
    int open = 0;
    const int n = 1 + static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) {
      std::string t = tokens[rng() % (sizeof tokens / sizeof tokens[0])];
      if (t == ")" && open == 0) continue;
      if (t == "(") ++open;
      if (t == ")") --open;
      line += (line.empty() || line.back() == '(' || t == ")" ? "" : " ") + t;
    }
    if (line.empty()) continue;
    while (open-- > 0) line += ")";
    const SearchParseResult r = parseSearch(argsOf(line), 0, 6);
    if (!r.key) {
      EXPECT_FALSE(r.error.empty()) << line;
      continue;
    }
    ++parsed;
    for (FakeMessage& m : msgs_) matches(*r.key, m, scope_);
    EXPECT_FALSE(describeSearch(*r.key).empty());
  }
  EXPECT_GT(parsed, 100);
}

}  // namespace
}  // namespace posthorn::imapd
