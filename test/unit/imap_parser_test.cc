// imap_parser_test - the IMAP command parser: real client commands, literals
// (synchronizing, LITERAL+, literal8, streamed), limits, resync and fuzzing
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "imapd/imap_parser.h"

namespace posthorn::imapd {
namespace {

using Event = ImapParser::Event;

// Everything a parser reports for some input, rendered as text so whole
// runs can be compared; synchronizing literals are accepted.
struct Outcome {
  std::vector<std::string> events;
};

std::string render(const ImapValue& v);

std::string renderList(const std::vector<ImapValue>& items) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i > 0) out += ' ';
    out += render(items[i]);
  }
  return out;
}

std::string render(const ImapValue& v) {
  switch (v.kind) {
    case ImapValue::Kind::Atom: {
      std::string out = v.text;
      if (v.hasSection) out += "[" + renderList(v.items) + "]";
      if (v.partial) out += "<" + *v.partial + ">";
      return out;
    }
    case ImapValue::Kind::Quoted:
      return "\"" + v.text + "\"";
    case ImapValue::Kind::Literal:
      return std::string(v.binary ? "~" : "") + "{" + (v.sink ? "sink:" + std::to_string(v.size) : v.text) + "}";
    case ImapValue::Kind::List:
      return "(" + renderList(v.items) + ")";
  }
  return "?";
}

std::string render(const ImapCommand& c) {
  std::string out = c.tag + " " + c.name;
  for (const auto& a : c.args) out += " " + render(a);
  return out;
}

// Drains the parser after a feed.
void drain(ImapParser& p, Outcome& o, bool refuseSync = false) {
  while (true) {
    const Event e = p.next();
    if (e == Event::NeedMore) return;
    if (e == Event::Command) o.events.push_back("CMD " + render(p.command()));
    if (e == Event::Error) o.events.push_back("ERR [" + p.error().tag + "] " + p.error().response());
    if (e == Event::Line) o.events.push_back("LINE " + p.line());
    if (e == Event::Literal) {
      const auto& l = p.literal();
      o.events.push_back("LIT " + std::to_string(l.size) + (l.synchronizing ? " sync" : " nonsync"));
      if (l.synchronizing) {
        if (refuseSync) {
          p.refuseLiteral();
        } else {
          p.acceptLiteral();
        }
      }
    }
  }
}

Outcome whole(std::string_view input, ImapLimits limits = {}, ImapParser::SinkFactory sinks = {}) {
  ImapParser p(limits, std::move(sinks));
  Outcome o;
  p.feed(input);
  drain(p, o);
  return o;
}

Outcome byteAtATime(std::string_view input, ImapLimits limits = {}, ImapParser::SinkFactory sinks = {}) {
  ImapParser p(limits, std::move(sinks));
  Outcome o;
  for (const char c : input) {
    p.feed(std::string_view(&c, 1));
    drain(p, o);
  }
  return o;
}

ImapCommand parseOne(std::string_view input) {
  ImapParser p;
  p.feed(input);
  Event e;
  while ((e = p.next()) == Event::Literal) p.acceptLiteral();
  EXPECT_EQ(e, Event::Command) << input << (e == Event::Error ? p.error().message : "");
  return p.takeCommand();
}

// Real client command lines (Thunderbird, Apple Mail, mutt, mbsync, imaplib).
const char* const kClientLines[] = {
    "1 capability\r\n",
    "a0001 LOGIN \"alice@example.org\" \"p\\\"a\\\\ss\"\r\n",
    "2 authenticate PLAIN AGFsaWNlAHNlY3JldA==\r\n",
    "3 ID (\"name\" \"Thunderbird\" \"version\" \"115.3.1\")\r\n",
    "4 select \"INBOX\" (CONDSTORE)\r\n",
    "5 UID fetch 1:* (FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (From To Cc Bcc Subject Date "
    "Message-ID Priority X-Priority References Newsgroups In-Reply-To Content-Type Reply-To)])\r\n",
    "6 UID STORE 4,7:9 +FLAGS.SILENT (\\Seen \\Flagged)\r\n",
    "7 UID MOVE 5 \"Trash\"\r\n",
    "8 IDLE\r\n",
    "9 LIST \"\" \"*\" RETURN (SPECIAL-USE)\r\n",
    "10 STATUS \"Sent\" (MESSAGES UIDNEXT UIDVALIDITY UNSEEN)\r\n",
    "A3 UID FETCH 1:3 (UID RFC822.SIZE FLAGS BODY.PEEK[HEADER.FIELDS (date subject from to cc message-id "
    "in-reply-to references content-type x-priority x-uniform-type-identifier x-universally-unique-identifier "
    "list-id list-unsubscribe bimi-indicator bimi-location x-bimi-indicator-hash authentication-results "
    "dkim-signature)])\r\n",
    "a0005 FETCH 1:17 (UID FLAGS)\r\n",
    "a0006 UID FETCH 12 BODY.PEEK[]\r\n",
    "a0007 UID FETCH 12 BODY.PEEK[1.2.MIME]<0.2048>\r\n",
    "a0008 EXAMINE \"&AMk-t&AOk-\"\r\n",
    "5 SEARCH UNSEEN NOT DELETED SINCE 1-Feb-1994 HEADER \"Subject\" \"x\"\r\n",
    "6 UID SEARCH RETURN (SAVE) UID 1:*\r\n",
    "7 UID COPY $ \"Archive.2024\"\r\n",
    "8 APPEND Drafts (\\Draft \\Seen $Forwarded) \"05-Mar-2024 10:11:12 +0100\" {11}\r\nHello world\r\n",
    "9 UID EXPUNGE 3:4\r\n",
    "10 LSUB \"\" \"%\"\r\n",
    "11 FETCH 2 BINARY.PEEK[1]<0.100>\r\n",
    "12 ENABLE QRESYNC\r\n",
    "13 NAMESPACE\r\n",
    "14 logout\r\n",
    // mutt
    "a0004 UID FETCH 1:5 (UID FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (DATE FROM SENDER SUBJECT "
    "TO CC MESSAGE-ID REFERENCES CONTENT-TYPE CONTENT-DESCRIPTION IN-REPLY-TO REPLY-TO LINES LIST-POST "
    "X-LABEL X-ORIGINAL-TO)])\r\n",
    "a0009 UID STORE 2 -FLAGS (\\Seen)\r\n",
    // mbsync with LITERAL+
    "5 UID FETCH 1:1000 (UID FLAGS)\r\n",
    "6 APPEND \"INBOX\" (\\Seen \\Flagged) {12+}\r\nSubject: x\r\n\r\n",
    "7 UID STORE 3,9 +FLAGS.SILENT (\\Deleted)\r\n",
    "8 CREATE \"Archive.2024\"\r\n",
    // Apple Mail
    "2.1 UID SEARCH 1:* NOT DELETED\r\n",
    "3.4 UID FETCH 41:* (FLAGS UID) (CHANGEDSINCE 12345)\r\n",
};

TEST(ImapParserTest, ClientLinesParse) {
  for (const char* line : kClientLines) {
    const Outcome o = whole(line);
    const std::size_t literals = std::string_view(line).find('{') == std::string_view::npos ? 0 : 1;
    ASSERT_EQ(o.events.size(), 1 + literals) << line;
    EXPECT_EQ(o.events.back().substr(0, 4), "CMD ") << line << " -> " << o.events.back();
  }
}

TEST(ImapParserTest, ByteAtATimeEqualsWhole) {
  std::string all;
  for (const char* line : kClientLines) all += line;
  all += "bad line without tag\r\n{5}\r\n";
  const Outcome a = whole(all);
  const Outcome b = byteAtATime(all);
  EXPECT_EQ(a.events, b.events);
  EXPECT_GE(a.events.size(), std::size(kClientLines));
}

TEST(ImapParserTest, TagNameAndCase) {
  const ImapCommand c = parseOne("a0001 login alice secret\r\n");
  EXPECT_EQ(c.tag, "a0001");
  EXPECT_EQ(c.name, "LOGIN");
  ASSERT_EQ(c.args.size(), 2u);
  EXPECT_TRUE(c.args[0].isAtom());
  EXPECT_EQ(c.args[0].text, "alice");
  const ImapCommand u = parseOne("x uid fetch 1:* (FLAGS)\r\n");
  EXPECT_EQ(u.name, "UID FETCH");
  ASSERT_EQ(u.args.size(), 2u);
  EXPECT_EQ(u.args[0].text, "1:*");
  EXPECT_EQ(u.args[1].kind, ImapValue::Kind::List);
}

TEST(ImapParserTest, QuotedEscapes) {
  const ImapCommand c = parseOne("a LOGIN \"al\\\"ice\" \"back\\\\slash\"\r\n");
  ASSERT_EQ(c.args.size(), 2u);
  EXPECT_EQ(c.args[0].kind, ImapValue::Kind::Quoted);
  EXPECT_EQ(c.args[0].text, "al\"ice");
  EXPECT_EQ(c.args[1].text, "back\\slash");
  const Outcome bad = whole("a LOGIN \"x\\y\" z\r\n");
  ASSERT_EQ(bad.events.size(), 1u);
  EXPECT_EQ(bad.events[0].rfind("ERR [a] BAD bad escape", 0), 0u) << bad.events[0];
}

TEST(ImapParserTest, FetchAttributeSectionsAndPartial) {
  const ImapCommand c = parseOne("5 UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100> BODY[])\r\n");
  ASSERT_EQ(c.args.size(), 2u);
  const ImapValue& list = c.args[1];
  ASSERT_EQ(list.items.size(), 3u);
  const ImapValue& peek = list.items[1];
  EXPECT_EQ(peek.text, "BODY.PEEK");
  EXPECT_TRUE(peek.hasSection);
  ASSERT_EQ(peek.items.size(), 2u);
  EXPECT_EQ(peek.items[0].text, "HEADER.FIELDS");
  ASSERT_EQ(peek.items[1].kind, ImapValue::Kind::List);
  EXPECT_EQ(render(peek.items[1]), "(FROM TO)");
  ASSERT_TRUE(peek.partial);
  EXPECT_EQ(*peek.partial, "0.100");
  EXPECT_TRUE(list.items[2].hasSection);
  EXPECT_TRUE(list.items[2].items.empty());
  EXPECT_FALSE(list.items[2].partial);
  for (const char* bad : {"1 FETCH 1 BODY[<0>\r\n", "1 FETCH 1 BODY[]<0.>\r\n", "1 FETCH 1 BODY[]<x>\r\n",
                          "1 FETCH 1 BODY[TEXT\r\n", "1 FETCH 1 BODY[]<>\r\n"}) {
    const Outcome o = whole(bad);
    ASSERT_EQ(o.events.size(), 1u) << bad;
    EXPECT_EQ(o.events[0].rfind("ERR [1] BAD ", 0), 0u) << bad << " -> " << o.events[0];
  }
}

TEST(ImapParserTest, FlagsAndNil) {
  const ImapCommand c = parseOne("6 STORE 1 FLAGS (\\Seen \\Answered $Label1 \\*) NIL nil \"NIL\"\r\n");
  ASSERT_EQ(c.args.size(), 6u);
  EXPECT_EQ(render(c.args[2]), "(\\Seen \\Answered $Label1 \\*)");
  EXPECT_TRUE(c.args[3].isNil());
  EXPECT_TRUE(c.args[4].isNil());
  EXPECT_FALSE(c.args[5].isNil());
  EXPECT_TRUE(c.args[5].isString());
}

TEST(ImapParserTest, SynchronizingLiteralAnnouncedBeforeBytes) {
  ImapParser p;
  p.feed("8 APPEND Drafts (\\Seen) {11}\r\n");
  ASSERT_EQ(p.next(), Event::Literal);
  EXPECT_EQ(p.literal().tag, "8");
  EXPECT_EQ(p.literal().size, 11u);
  EXPECT_TRUE(p.literal().synchronizing);
  EXPECT_FALSE(p.literal().streamed);
  // Until the caller decides, the parser keeps asking.
  EXPECT_EQ(p.next(), Event::Literal);
  p.acceptLiteral();
  EXPECT_EQ(p.next(), Event::NeedMore);
  p.feed("Hello ");
  EXPECT_EQ(p.next(), Event::NeedMore);
  p.feed("world\r\n");
  ASSERT_EQ(p.next(), Event::Command);
  EXPECT_EQ(render(p.command()), "8 APPEND Drafts (\\Seen) {Hello world}");
  EXPECT_TRUE(p.idle());
}

TEST(ImapParserTest, LiteralBytesAreOpaque) {
  // CRLF, quotes, braces and NUL inside a literal are data.
  const std::string body("a\r\n\"{3}\r\n\0z", 11);
  const ImapCommand c = parseOne("1 LOGIN {11}\r\n" + body + " {2+}\r\npw\r\n");
  ASSERT_EQ(c.args.size(), 2u);
  EXPECT_EQ(c.args[0].kind, ImapValue::Kind::Literal);
  EXPECT_EQ(c.args[0].text, body);
  EXPECT_EQ(c.args[1].text, "pw");
}

TEST(ImapParserTest, NonSynchronizingAndBinaryLiterals) {
  const Outcome o = whole("1 APPEND INBOX {3+}\r\nabc\r\n2 APPEND INBOX (\\Seen) ~{4}\r\n\x01\x02\x03\x04\r\n");
  ASSERT_EQ(o.events.size(), 4u);
  EXPECT_EQ(o.events[0], "LIT 3 nonsync");
  EXPECT_EQ(o.events[1], "CMD 1 APPEND INBOX {abc}");
  EXPECT_EQ(o.events[2], "LIT 4 sync");
  EXPECT_EQ(o.events[3], "CMD 2 APPEND INBOX (\\Seen) ~{\x01\x02\x03\x04}");
}

TEST(ImapParserTest, LiteralsInsideLists) {
  const ImapCommand c = parseOne("1 SEARCH CHARSET UTF-8 (OR SUBJECT {4}\r\n\xc3\xa9t\xc3 FROM x)\r\n");
  EXPECT_EQ(c.args.size(), 3u);
  EXPECT_EQ(c.args[2].items[2].text, "\xc3\xa9t\xc3");
}

TEST(ImapParserTest, HugeSynchronizingLiteralRefusedBeforeAnyByte) {
  ImapParser p;
  p.feed("A003 APPEND INBOX {2147483648}\r\n");
  ASSERT_EQ(p.next(), Event::Error);
  EXPECT_EQ(p.error().kind, ImapErrorKind::LiteralTooBig);
  EXPECT_EQ(p.error().tag, "A003");
  EXPECT_EQ(p.error().response().rfind("NO [TOOBIG] ", 0), 0u);
  // The client sends no literal; its next command parses.
  p.feed("A004 NOOP\r\n");
  ASSERT_EQ(p.next(), Event::Command);
  EXPECT_EQ(p.command().tag, "A004");
  // Sizes beyond 64 bits saturate and are refused too.
  p.feed("A005 APPEND INBOX {99999999999999999999}\r\n");
  ASSERT_EQ(p.next(), Event::Error);
  EXPECT_EQ(p.error().kind, ImapErrorKind::LiteralTooBig);
}

TEST(ImapParserTest, CallerMayRefuseSynchronizingLiteral) {
  const std::string input = "1 APPEND INBOX {5}\r\n2 NOOP\r\n";
  ImapParser p;
  Outcome o;
  p.feed(input);
  drain(p, o, true);
  ASSERT_EQ(o.events.size(), 2u);
  EXPECT_EQ(o.events[0], "LIT 5 sync");
  EXPECT_EQ(o.events[1], "CMD 2 NOOP");
}

TEST(ImapParserTest, OversizedNonSynchronizingLiteralDiscardedThenTaggedNo) {
  ImapLimits limits;
  limits.maxLiteralSize = 1000;
  std::string input = "1 APPEND INBOX (\\Seen) {5000+}\r\n" + std::string(5000, 'x') + " {3+}\r\nabc\r\n2 NOOP\r\n";
  for (const Outcome& o : {whole(input, limits), byteAtATime(input, limits)}) {
    ASSERT_EQ(o.events.size(), 2u);
    EXPECT_EQ(o.events[0].rfind("ERR [1] NO [TOOBIG] literal of 5000 bytes", 0), 0u) << o.events[0];
    EXPECT_EQ(o.events[1], "CMD 2 NOOP");
  }
  // Memory stays bounded while the bytes are dropped.
  ImapParser p(limits);
  p.feed("1 APPEND INBOX {100000000+}\r\n");
  EXPECT_EQ(p.next(), Event::NeedMore);
  const std::string chunk(65536, 'y');
  for (int i = 0; i < 100; ++i) {
    p.feed(chunk);
    EXPECT_EQ(p.next(), Event::NeedMore);
    EXPECT_EQ(p.buffered(), 0u);
  }
}

TEST(ImapParserTest, OversizedCommandSynchronizingLiteralAfterDiscardAnswersAtOnce) {
  ImapLimits limits;
  limits.maxLiteralSize = 10;
  const Outcome o = whole("1 X {20+}\r\n01234567890123456789 {4}\r\n2 NOOP\r\n", limits);
  ASSERT_EQ(o.events.size(), 2u);
  EXPECT_EQ(o.events[0].rfind("ERR [1] NO [TOOBIG]", 0), 0u);
  EXPECT_EQ(o.events[1], "CMD 2 NOOP");
}

class StringSink : public LiteralSink {
 public:
  void write(std::string_view bytes) override {
    data += bytes;
    ++writes;
  }
  void finish() override { finished = true; }
  std::string data;
  int writes = 0;
  bool finished = false;
};

TEST(ImapParserTest, LargeLiteralStreamedToSink) {
  ImapLimits limits;
  limits.memoryLiteralSize = 100;
  std::vector<std::shared_ptr<StringSink>> sinks;
  auto factory = [&](const LiteralAnnouncement& a) {
    EXPECT_TRUE(a.streamed);
    EXPECT_EQ(a.size, 1000u);
    sinks.push_back(std::make_shared<StringSink>());
    return sinks.back();
  };
  ImapParser p(limits, factory);
  p.feed("9 APPEND INBOX {1000}\r\n");
  ASSERT_EQ(p.next(), Event::Literal);
  EXPECT_TRUE(p.literal().streamed);
  p.acceptLiteral();
  const std::string body(1000, 'm');
  for (std::size_t i = 0; i < body.size(); i += 64) {
    p.feed(std::string_view(body).substr(i, 64));
    EXPECT_EQ(p.next(), Event::NeedMore);
    EXPECT_EQ(p.buffered(), 0u);
  }
  p.feed("\r\n");
  ASSERT_EQ(p.next(), Event::Command);
  ASSERT_EQ(sinks.size(), 1u);
  EXPECT_EQ(sinks[0]->data, body);
  EXPECT_TRUE(sinks[0]->finished);
  EXPECT_GT(sinks[0]->writes, 1);
  ASSERT_EQ(p.command().args.size(), 2u);
  const ImapValue& lit = p.command().args[1];
  EXPECT_EQ(lit.kind, ImapValue::Kind::Literal);
  EXPECT_EQ(lit.size, 1000u);
  EXPECT_TRUE(lit.text.empty());
  EXPECT_EQ(lit.sink, sinks[0]);
  EXPECT_FALSE(lit.isString());
}

TEST(ImapParserTest, LargeLiteralWithoutSinkIsTooBig) {
  ImapLimits limits;
  limits.memoryLiteralSize = 100;
  const Outcome o = whole("1 LOGIN {101}\r\n2 NOOP\r\n", limits);
  ASSERT_EQ(o.events.size(), 2u);
  EXPECT_EQ(o.events[0].rfind("ERR [1] NO [TOOBIG]", 0), 0u);
  EXPECT_EQ(o.events[1], "CMD 2 NOOP");
  // The in-memory total of one command is bounded too.
  limits.maxMemoryLiterals = 150;
  const Outcome t = whole("1 LOGIN {100}\r\n" + std::string(100, 'a') + " {100}\r\n2 NOOP\r\n", limits);
  ASSERT_EQ(t.events.size(), 3u);
  EXPECT_EQ(t.events[1].rfind("ERR [1] NO [TOOBIG]", 0), 0u);
  EXPECT_EQ(t.events[2], "CMD 2 NOOP");
}

TEST(ImapParserTest, LineTooLongIsBadAndResynchronizes) {
  ImapLimits limits;
  limits.maxLineLength = 1024;
  const std::string input = "7 SEARCH " + std::string(5000, 'a') + "\r\n8 NOOP\r\n";
  for (const Outcome& o : {whole(input, limits), byteAtATime(input, limits)}) {
    ASSERT_EQ(o.events.size(), 2u);
    EXPECT_EQ(o.events[0], "ERR [7] BAD command line longer than 1024 bytes");
    EXPECT_EQ(o.events[1], "CMD 8 NOOP");
  }
  // The limit counts all lines of a command, not each.
  std::string many = "9 X";
  for (int i = 0; i < 300; ++i) many += " {1}\r\nz";
  const Outcome o = whole(many + "\r\n10 NOOP\r\n", limits);
  ASSERT_FALSE(o.events.empty());
  EXPECT_NE(std::find(o.events.begin(), o.events.end(), "ERR [9] BAD command line longer than 1024 bytes"),
            o.events.end());
  EXPECT_EQ(o.events.back(), "CMD 10 NOOP");
}

TEST(ImapParserTest, NestingDepthLimited) {
  std::string deep = "1 X ";
  for (int i = 0; i < 17; ++i) deep += '(';
  for (int i = 0; i < 17; ++i) deep += ')';
  const Outcome o = whole(deep + "\r\n");
  ASSERT_EQ(o.events.size(), 1u);
  EXPECT_EQ(o.events[0], "ERR [1] BAD lists nested deeper than 16");
  std::string ok = "1 X ";
  for (int i = 0; i < 16; ++i) ok += '(';
  for (int i = 0; i < 16; ++i) ok += ')';
  EXPECT_EQ(whole(ok + "\r\n").events.at(0).substr(0, 4), "CMD ");
  // 10,000 parentheses: an error, not a stack overflow.
  const Outcome huge = whole("1 X " + std::string(10000, '(') + "\r\n");
  ASSERT_EQ(huge.events.size(), 1u);
  EXPECT_EQ(huge.events[0], "ERR [1] BAD lists nested deeper than 16");
}

TEST(ImapParserTest, ArgumentCountLimited) {
  ImapLimits limits;
  limits.maxArguments = 50;
  std::string line = "1 FETCH 1 (";
  for (int i = 0; i < 60; ++i) line += (i ? " F" : "F");
  const Outcome o = whole(line + ")\r\n", limits);
  ASSERT_EQ(o.events.size(), 1u);
  EXPECT_EQ(o.events[0], "ERR [1] BAD more than 50 arguments");
}

TEST(ImapParserTest, SyntaxErrorsAreBadWithTagWhenKnown) {
  const struct {
    std::string input;
    const char* expect;
  } cases[] = {
      {"\r\n", "ERR [] BAD empty command line"},
      {"+ NOOP\r\n", "ERR [] BAD bad tag: unexpected '+'"},
      {"abc\r\n", "ERR [abc] BAD line ends too early, expected a space after the tag"},
      {"abc \r\n", "ERR [abc] BAD missing command name"},
      {"a NOOP  x\r\n", "ERR [a] BAD unexpected ' '"},
      {"a LOGIN \"unterminated\r\n", "ERR [a] BAD unterminated quoted string"},
      {"a LOGIN \"x {3}\r\n", "ERR [a] BAD unterminated quoted string"},  // no literal inside quotes
      {"a LIST (a b\r\n", "ERR [a] BAD line ends too early, expected a space or ')' in a list"},
      {"a LIST (a \r\n", "ERR [a] BAD line ends where a value was expected"},
      {"a X )\r\n", "ERR [a] BAD unexpected ')'"},
      {"a X \\\r\n", "ERR [a] BAD missing flag name after '\\'"},
      {"a X {3}x\r\n", "ERR [a] BAD a literal must end its line"},
      {std::string("a X b\0c\r\n", 9), "ERR [a] BAD expected a space between arguments, got byte 0x00"},
  };
  for (const auto& c : cases) {
    const Outcome o = whole(c.input + "z NOOP\r\n");
    ASSERT_EQ(o.events.size(), 2u) << c.input;
    EXPECT_EQ(o.events[0], c.expect) << c.input;
    EXPECT_EQ(o.events[1], "CMD z NOOP") << c.input;
  }
  // NUL inside a quoted string.
  const Outcome n = whole(std::string("a LOGIN \"x\0y\" z\r\n", 17));
  ASSERT_EQ(n.events.size(), 1u);
  EXPECT_EQ(n.events[0], "ERR [a] BAD quoted string contains byte 0x00");
}

TEST(ImapParserTest, IdleDoneAndSaslLinesAreRaw) {
  ImapParser p;
  p.feed("8 IDLE\r\n");
  ASSERT_EQ(p.next(), Event::Command);
  EXPECT_EQ(p.command().name, "IDLE");
  p.expectLine();
  p.feed("DO");
  EXPECT_EQ(p.next(), Event::NeedMore);
  p.feed("NE\r\n9 AUTHENTICATE PLAIN\r\n");
  ASSERT_EQ(p.next(), Event::Line);
  EXPECT_EQ(p.line(), "DONE");
  ASSERT_EQ(p.next(), Event::Command);
  EXPECT_EQ(p.command().name, "AUTHENTICATE");
  p.expectLine();
  p.feed("AGFsaWNlAHNlY3JldA==\r\n");
  ASSERT_EQ(p.next(), Event::Line);
  EXPECT_EQ(p.line(), "AGFsaWNlAHNlY3JldA==");
  // A raw line is bounded by the line limit too.
  ImapLimits limits;
  limits.maxLineLength = 100;
  ImapParser q(limits);
  q.expectLine();
  q.feed(std::string(500, 'x') + "\r\n1 NOOP\r\n");
  ASSERT_EQ(q.next(), Event::Error);
  EXPECT_EQ(q.error().kind, ImapErrorKind::LineTooLong);
  ASSERT_EQ(q.next(), Event::Command);
}

TEST(ImapParserTest, SequenceSets) {
  const auto s = parseSequenceSet("1:*,3,5:7");
  ASSERT_TRUE(s);
  ASSERT_EQ(s->ranges.size(), 3u);
  EXPECT_EQ(s->ranges[0].first, 1u);
  EXPECT_EQ(s->ranges[0].last, SequenceSet::kStar);
  EXPECT_EQ(s->ranges[1].first, 3u);
  EXPECT_EQ(s->ranges[2].last, 7u);
  EXPECT_TRUE(parseSequenceSet("$")->saved);
  EXPECT_TRUE(parseSequenceSet("4294967295"));
  EXPECT_TRUE(parseSequenceSet("*:4"));
  for (const char* bad : {"", "0", "1:", ":1", "1,,2", "1:2:3", "4294967296", "a", "01", "1,", "$,1", "-1"})
    EXPECT_FALSE(parseSequenceSet(bad)) << bad;
}

TEST(ImapParserTest, MutatedInputNeverCrashesOrHangs) {
  std::mt19937 rng(20261123);
  std::string corpus;
  for (const char* line : kClientLines) corpus += line;
  const std::string alphabet = "(){}[]<>\"\\ +~*%$:.,\r\n0123456789aZ\0";
  ImapLimits limits;
  limits.maxLineLength = 512;
  limits.maxLiteralSize = 4096;
  limits.memoryLiteralSize = 256;
  limits.maxArguments = 100;
  auto factory = [](const LiteralAnnouncement&) { return std::make_shared<StringSink>(); };
  std::size_t commands = 0, errors = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string input = corpus;
    const int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = rng() % input.size();
      switch (rng() % 4) {
        case 0: input[at] = alphabet[rng() % alphabet.size()]; break;
        case 1: input.erase(at, 1 + rng() % 5); break;
        case 2: input.insert(at, 1, static_cast<char>(rng() % 256)); break;
        default: input.insert(at, std::to_string(rng() % 100000)); break;
      }
    }
    ImapParser p(limits, factory);
    std::size_t fed = 0;
    while (fed < input.size()) {
      const std::size_t n = std::min<std::size_t>(1 + rng() % 40, input.size() - fed);
      p.feed(std::string_view(input).substr(fed, n));
      fed += n;
      for (int guard = 0;; ++guard) {
        ASSERT_LT(guard, 100000) << "parser does not make progress";
        const Event e = p.next();
        if (e == Event::NeedMore) break;
        if (e == Event::Command) ++commands;
        if (e == Event::Error) {
          ++errors;
          EXPECT_FALSE(p.error().message.empty());
        }
        if (e == Event::Literal && p.literal().synchronizing) {
          if (rng() % 2) {
            p.acceptLiteral();
          } else {
            p.refuseLiteral();
          }
        }
        if (e == Event::Command && rng() % 10 == 0) p.expectLine();
      }
      ASSERT_LE(p.buffered(), 0u);
    }
  }
  EXPECT_GT(commands, 1000u);
  EXPECT_GT(errors, 100u);
}

}  // namespace
}  // namespace posthorn::imapd
