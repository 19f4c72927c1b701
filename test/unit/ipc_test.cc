// ipc_test - the codec (round trips, every rejection) and frames/FrameReader
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <cstring>
#include <limits>
#include <string>

#include "lib/ipc/ipc.h"
#include "lib/ipc/ipc_stream.h"
#include "test/unit/ipc_test_messages.h"

namespace posthorn::ipc::test {
namespace {

// Hand-built bodies, to say exactly what a hostile peer sends.
std::string varint(std::uint64_t v) {
  std::string s;
  codec::putVarint(s, v);
  return s;
}
std::string name(std::string_view n) { return varint(n.size()) + std::string(n); }
std::string tag(WireTag t) { return std::string(1, static_cast<char>(t)); }
std::string uField(std::string_view n, std::uint64_t v) {
  return name(n) + tag(WireTag::Unsigned) + varint(v);
}

// The exception message of f(), or "" when it does not throw ProtocolError.
template <class F>
std::string protocolError(F f) {
  try {
    f();
  } catch (const ProtocolError& e) {
    return e.what();
  }
  return "";
}

#define EXPECT_REJECTED(expr, substr)                              \
  do {                                                             \
    std::string msg_ = protocolError([&] { (void)(expr); });       \
    EXPECT_NE(msg_, "") << "accepted: " #expr;                     \
    EXPECT_NE(msg_.find(substr), std::string::npos) << msg_;       \
  } while (0)

Frame frameOf(std::uint32_t type, std::uint32_t version, std::string body) {
  Frame f;
  f.type = type;
  f.version = version;
  f.body = std::move(body);
  return f;
}

template <class Msg>
Frame frameOf(const Msg& msg) {
  return frameOf(static_cast<std::uint32_t>(Msg::kType), Msg::kVersion, encode(msg));
}

TestEcho fullEcho() {
  TestEcho m;
  m.flag = true;
  m.u8 = 200;
  m.u16 = 60000;
  m.u32 = 4000000000u;
  m.u64 = 1ull << 63;
  m.i8 = -100;
  m.i16 = -30000;
  m.i32 = -2000000000;
  m.i64 = -(1ll << 62);
  m.mood = Mood::Busy;
  m.delta = Delta::Down;
  m.text = std::string("bin\0ary\xff text", 13);
  m.numbers = {0, 1, 127, 128, 16383, 16384, 0xffffffffu};
  m.rcpts = {Recipient{{"alice", "example.org", 14}, {"rfc822;alice@example.org"}, true},
             Recipient{{"", "", std::nullopt}, {}, false},
             Recipient{{"bob", "example.net", std::nullopt}, {"a", "", "c"}, false}};
  m.note = "";
  m.from = Address{"postmaster", "localhost", 0};
  m.sparse = {std::nullopt, 5, std::nullopt, -7};
  m.attrs = {{"", "empty key"}, {"client", "[127.0.0.1]"}, {"tls", ""}};
  m.nested = {{}, {"x"}, {"", "y", "zz"}};
  m.bits = {true, false, true, true};
  return m;
}

// ---- round trips

TEST(IpcCodec, RoundTripsEveryFieldType) {
  TestEcho m = fullEcho();
  TestEcho d = decode<TestEcho>(frameOf(m));
  EXPECT_EQ(d, m);
  EXPECT_EQ(d.rcpts[0].address.notify, 14u);
  EXPECT_EQ(d.text.size(), 13u);
  EXPECT_EQ(encode(d), encode(m));
}

TEST(IpcCodec, RoundTripsDefaultsAndEmpties) {
  TestEcho m;  // zero integers, empty strings and containers, absent optionals
  TestEcho d = decode<TestEcho>(frameOf(m));
  EXPECT_EQ(d, m);
  EXPECT_FALSE(d.note.has_value());
  EXPECT_FALSE(d.from.has_value());
}

TEST(IpcCodec, RoundTripsLimits) {
  TestEcho m;
  m.u8 = std::numeric_limits<std::uint8_t>::max();
  m.u16 = std::numeric_limits<std::uint16_t>::max();
  m.u32 = std::numeric_limits<std::uint32_t>::max();
  m.u64 = std::numeric_limits<std::uint64_t>::max();
  m.i8 = std::numeric_limits<std::int8_t>::min();
  m.i16 = std::numeric_limits<std::int16_t>::min();
  m.i32 = std::numeric_limits<std::int32_t>::min();
  m.i64 = std::numeric_limits<std::int64_t>::min();
  m.delta = static_cast<Delta>(std::numeric_limits<std::int16_t>::max());
  m.mood = Mood::Gone;
  m.sparse = {std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()};
  EXPECT_EQ(decode<TestEcho>(frameOf(m)), m);
  m.i8 = std::numeric_limits<std::int8_t>::max();
  m.i16 = std::numeric_limits<std::int16_t>::max();
  m.i32 = std::numeric_limits<std::int32_t>::max();
  m.i64 = std::numeric_limits<std::int64_t>::max();
  EXPECT_EQ(decode<TestEcho>(frameOf(m)), m);
}

TEST(IpcCodec, RoundTripsLargeString) {
  TestEcho m;
  m.text.assign(kMaxFrameBody - 1000, 'x');
  std::string wire = encodeFrame(m);
  FrameReader r;
  r.feed(wire);
  auto f = r.next();
  ASSERT_TRUE(f);
  EXPECT_EQ(decode<TestEcho>(*f).text, m.text);
}

TEST(IpcCodec, WireFormatIsAsDocumented) {
  TestPing p;
  p.seq = 300;
  // "seq" (length 3), tag Unsigned, varint 300 = ac 02
  EXPECT_EQ(encode(p), std::string("\x03seq\x02\xac\x02", 7));
  std::string f = encodeFrame(p);
  EXPECT_EQ(f.substr(0, 12), std::string("\0\0\0\x07\0\0\x03\x84\0\0\0\x01", 12));
}

TEST(IpcCodec, RecursiveTypesWithinTheNestingLimit) {
  TestTree t;
  t.root.kids.resize(3);
  t.root.kids[1].kids.resize(2);
  t.root.kids[1].kids[0].kids.resize(1);
  TestTree d = decodeBody<TestTree>(encode(t));
  EXPECT_EQ(d.root, t.root);
}

// ---- rejections

TEST(IpcCodec, RejectsOtherTypeAndVersion) {
  TestPing p{42};
  Frame f = frameOf(p);
  EXPECT_REJECTED(decode<TestEcho>(f), "expected a TestEcho frame, got TestPing");
  f.version = 2;
  EXPECT_REJECTED(decode<TestPing>(f), "version 2");
  f.version = 1;
  f.type = 12345;
  EXPECT_REJECTED(decode<TestPing>(f), "unknown(12345)");
  EXPECT_EQ(decode<TestPing>(frameOf(p)).seq, 42u);
}

TEST(IpcCodec, RejectsWrongFieldName) {
  EXPECT_REJECTED(decodeBody<TestPing>(uField("sqe", 1)), "field 'seq': found field 'sqe' instead");
}

TEST(IpcCodec, RejectsMissingField) {
  EXPECT_REJECTED(decodeBody<TestPing>(""), "field 'seq': missing");
  // A nested struct that ends early.
  Address a{"l", "d", 1};
  TestEcho m;
  m.from = a;
  std::string body = encode(m);
  std::string nested = name("local") + tag(WireTag::String) + varint(1) + "l";
  std::string whole = name("from") + tag(WireTag::Optional) + "\x01" + tag(WireTag::Struct);
  std::size_t at = body.find(whole);
  ASSERT_NE(at, std::string::npos);
  std::string cut = body.substr(0, at) + whole + varint(nested.size()) + nested +
                    body.substr(body.find(name("sparse")));
  EXPECT_REJECTED(decodeBody<TestEcho>(cut), "field 'from.domain': missing");
}

TEST(IpcCodec, RejectsTrailingBytes) {
  std::string body = encode(TestPing{1});
  EXPECT_REJECTED(decodeBody<TestPing>(body + uField("extra", 5)),
                  "unexpected field 'extra' after the last known field");
  EXPECT_REJECTED(decodeBody<TestPing>(body + std::string("\xff\x00", 2)), "2 trailing bytes");
}

TEST(IpcCodec, RejectsEveryTruncation) {
  std::string body = encode(fullEcho());
  for (std::size_t n = 0; n < body.size(); ++n)
    EXPECT_NE(protocolError([&] { decodeBody<TestEcho>(body.substr(0, n)); }), "")
        << "prefix of " << n << " bytes accepted";
}

TEST(IpcCodec, RejectsWrongTypeTag) {
  EXPECT_REJECTED(decodeBody<TestPing>(name("seq") + tag(WireTag::Signed) + varint(2)),
                  "field 'seq': type signed where unsigned was expected");
  EXPECT_REJECTED(decodeBody<TestPing>(name("seq") + tag(WireTag::String) + varint(0)),
                  "type string where unsigned");
  EXPECT_REJECTED(decodeBody<TestPing>(name("seq") + "\x63" + varint(0)), "type tag 99");
}

TEST(IpcCodec, RejectsLengthsBeyondTheBuffer) {
  TestEcho m;
  std::string body = encode(m);
  std::string text = name("text") + tag(WireTag::String) + varint(0);
  std::size_t at = body.find(text);
  ASSERT_NE(at, std::string::npos);
  std::string bad = body.substr(0, at) + name("text") + tag(WireTag::String) +
                    varint(1ull << 40) + body.substr(at + text.size());
  EXPECT_REJECTED(decodeBody<TestEcho>(bad), "field 'text': string of 1099511627776 bytes but only");
  EXPECT_REJECTED(decodeBody<TestPing>(varint(1ull << 62) + "seq"), "field name of");
}

TEST(IpcCodec, RejectsHugeCountsWithoutAllocating) {
  TestEcho m;
  std::string body = encode(m);
  std::string numbers = name("numbers") + tag(WireTag::List) + varint(0);
  std::size_t at = body.find(numbers);
  ASSERT_NE(at, std::string::npos);
  for (std::uint64_t count : {std::uint64_t{0xffffffff}, std::uint64_t{1} << 60,
                              std::numeric_limits<std::uint64_t>::max()}) {
    std::string bad = body.substr(0, at) + name("numbers") + tag(WireTag::List) + varint(count) +
                      body.substr(at + numbers.size());
    EXPECT_REJECTED(decodeBody<TestEcho>(bad), "entries cannot fit");
  }
  std::string attrs = name("attrs") + tag(WireTag::Map) + varint(0);
  at = body.find(attrs);
  ASSERT_NE(at, std::string::npos);
  std::string bad = body.substr(0, at) + name("attrs") + tag(WireTag::Map) + varint(1ull << 50) +
                    body.substr(at + attrs.size());
  EXPECT_REJECTED(decodeBody<TestEcho>(bad), "field 'attrs': map of");
}

TEST(IpcCodec, RejectsOutOfRangeIntegers) {
  TestEcho m;
  std::string body = encode(m);
  auto replace = [&](const std::string& from, const std::string& to) {
    std::size_t at = body.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return body.substr(0, at) + to + body.substr(at + from.size());
  };
  EXPECT_REJECTED(decodeBody<TestEcho>(replace(uField("u8", 0), uField("u8", 256))),
                  "field 'u8': value 256 out of range for a 8-bit unsigned");
  EXPECT_REJECTED(decodeBody<TestEcho>(replace(uField("u32", 0), uField("u32", 1ull << 32))),
                  "out of range for a 32-bit unsigned");
  std::string i16 = name("i16") + tag(WireTag::Signed);
  EXPECT_REJECTED(decodeBody<TestEcho>(replace(i16 + varint(0), i16 + varint(codec::zigzag(-40000)))),
                  "field 'i16': value -40000 out of range");
  // The enum check: Mood has ipcEnumValid; Delta takes any int16.
  std::string mood = name("mood") + tag(WireTag::Enum);
  EXPECT_REJECTED(decodeBody<TestEcho>(replace(mood + varint(0), mood + varint(3))),
                  "field 'mood': enum value 3 is not valid");
  EXPECT_REJECTED(decodeBody<TestEcho>(replace(mood + varint(0), mood + varint(256))),
                  "out of range for a 8-bit unsigned");
  std::string delta = name("delta") + tag(WireTag::Enum);
  TestEcho d = decodeBody<TestEcho>(replace(delta + varint(0), delta + varint(codec::zigzag(-5))));
  EXPECT_EQ(static_cast<int>(d.delta), -5);
}

TEST(IpcCodec, RejectsNonCanonicalEncodings) {
  // A non-minimal varint would decode to the same value but re-encode
  // differently, so it is refused: every accepted body is canonical.
  EXPECT_REJECTED(decodeBody<TestPing>(name("seq") + tag(WireTag::Unsigned) + std::string("\x81\x00", 2)),
                  "not minimal");
  EXPECT_REJECTED(decodeBody<TestPing>(name("seq") + tag(WireTag::Unsigned) +
                                       std::string(10, '\xff') + "\x01"),
                  "overflows 64 bits");
  EXPECT_REJECTED(decodeBody<TestPing>(name("seq") + tag(WireTag::Unsigned) +
                                       std::string(9, '\xff') + "\x02"),
                  "overflows 64 bits");
  EXPECT_EQ(decodeBody<TestPing>(name("seq") + tag(WireTag::Unsigned) + std::string(9, '\xff') + "\x01").seq,
            std::numeric_limits<std::uint64_t>::max());

  TestEcho m;
  m.attrs = {{"a", "1"}, {"b", "2"}};
  m.note = "n";
  std::string body = encode(m);
  auto replace = [&](const std::string& from, const std::string& to) {
    std::size_t at = body.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return body.substr(0, at) + to + body.substr(at + from.size());
  };
  std::string s = tag(WireTag::String);
  std::string a1 = s + varint(1) + "a" + s + varint(1) + "1";
  std::string b2 = s + varint(1) + "b" + s + varint(1) + "2";
  EXPECT_REJECTED(decodeBody<TestEcho>(replace(a1 + b2, b2 + a1)), "field 'attrs[1]': map key out of order");
  EXPECT_REJECTED(decodeBody<TestEcho>(replace(a1 + b2, a1 + a1)), "repeated");
  std::string flag = name("flag") + tag(WireTag::Bool);
  EXPECT_REJECTED(decodeBody<TestEcho>(replace(flag + '\0', flag + '\2')), "field 'flag': bool byte is 2");
  std::string note = name("note") + tag(WireTag::Optional);
  EXPECT_REJECTED(decodeBody<TestEcho>(replace(note + '\1', note + '\2')),
                  "field 'note': optional presence byte is 2");
}

TEST(IpcCodec, ErrorNamesTheFieldPath) {
  TestEcho m = fullEcho();
  std::string body = encode(m);
  std::string from = name("domain") + tag(WireTag::String) + varint(11) + "example.net";
  std::size_t at = body.find(from);
  ASSERT_NE(at, std::string::npos);
  std::string bad = body.substr(0, at) + name("domian") + body.substr(at + name("domain").size());
  EXPECT_REJECTED(decodeBody<TestEcho>(bad),
                  "TestEcho v2: field 'rcpts[2].address.domain': found field 'domian' instead");
}

TEST(IpcCodec, NestingLimitOnEncodeAndDecode) {
  // Each tree level is a struct and a list: two levels of nesting.
  TestTree t;
  Tree* node = &t.root;
  for (int i = 0; i < kMaxNesting / 2; ++i) {
    node->kids.resize(1);
    node = &node->kids[0];
  }
  EXPECT_REJECTED(encode(t), "nesting deeper than 16");
  // The same shape written by hand: struct{kids: list[struct{kids: ...}]}.
  std::string inner = name("kids") + tag(WireTag::List) + varint(0);
  for (int i = 0; i < kMaxNesting / 2; ++i) {
    std::string s = tag(WireTag::Struct) + varint(inner.size()) + inner;
    inner = name("kids") + tag(WireTag::List) + varint(1) + s;
  }
  std::string body = name("root") + tag(WireTag::Struct) + varint(inner.size()) + inner;
  EXPECT_REJECTED(decodeBody<TestTree>(body), "nesting deeper than 16");
}

TEST(IpcCodec, RejectsStructLengthBeyondItsParent) {
  std::string inner = name("kids") + tag(WireTag::List) + varint(0);
  std::string body = name("root") + tag(WireTag::Struct) + varint(inner.size() + 1) + inner;
  EXPECT_REJECTED(decodeBody<TestTree>(body), "field 'root': struct of 8 bytes but only 7 left");
  // A nested struct with a byte too many inside.
  body = name("root") + tag(WireTag::Struct) + varint(inner.size() + 1) + inner + std::string(1, '\0');
  EXPECT_REJECTED(decodeBody<TestTree>(body), "field 'root': 1 trailing bytes");
}

// ---- frames

TEST(IpcFrame, FrameBytesEnforcesTheLimit) {
  EXPECT_EQ(frameBytes(900, 1, std::string(kMaxFrameBody, 'a')).size(),
            kFrameHeaderSize + kMaxFrameBody);
  EXPECT_REJECTED(frameBytes(900, 1, std::string(kMaxFrameBody + 1, 'a')), "the limit is 1048576");
}

TEST(IpcFrame, ReaderTakesFramesFedByteByByte) {
  std::string wire = encodeFrame(TestPing{1}) + encodeFrame(fullEcho()) + encodeFrame(TestPing{3});
  FrameReader r;
  std::vector<Frame> frames;
  for (char c : wire) {
    r.feed(std::string_view(&c, 1));
    while (auto f = r.next()) frames.push_back(std::move(*f));
  }
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(decode<TestPing>(frames[0]).seq, 1u);
  EXPECT_EQ(decode<TestEcho>(frames[1]), fullEcho());
  EXPECT_EQ(decode<TestPing>(frames[2]).seq, 3u);
  EXPECT_EQ(r.buffered(), 0u);
  EXPECT_EQ(frames[0].fd, -1);
}

TEST(IpcFrame, ReaderTakesManyFramesFromOneFeed) {
  std::string wire;
  for (int i = 0; i < 1000; ++i) wire += encodeFrame(TestPing{static_cast<std::uint64_t>(i)});
  FrameReader r;
  r.feed(wire.substr(0, wire.size() - 3));
  int n = 0;
  while (auto f = r.next()) EXPECT_EQ(decode<TestPing>(*f).seq, static_cast<std::uint64_t>(n++));
  EXPECT_EQ(n, 999);
  EXPECT_GT(r.buffered(), 0u);  // the peer stopped in the middle of a frame
  r.feed(wire.substr(wire.size() - 3));
  ASSERT_TRUE(r.next());
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(IpcFrame, ReaderRejectsOversizedHeaderBeforeTheBody) {
  for (std::uint32_t len : {static_cast<std::uint32_t>(kMaxFrameBody + 1), 0xffffffffu}) {
    std::string header(12, '\0');
    std::uint32_t be = htonl(len);
    std::memcpy(header.data(), &be, 4);
    header[7] = static_cast<char>(static_cast<std::uint32_t>(MsgType::TestPing) & 0xff);
    header[6] = static_cast<char>(static_cast<std::uint32_t>(MsgType::TestPing) >> 8);
    header[11] = 1;
    FrameReader r;
    r.feed(header);  // the 12 header bytes only: no body was sent
    EXPECT_REJECTED(r.next(), "more than the limit of 1048576");
  }
  // Exactly the limit is fine: it waits for the body.
  FrameReader r;
  r.feed(frameBytes(900, 1, std::string(kMaxFrameBody, 'a')).substr(0, 100));
  EXPECT_FALSE(r.next());
}

TEST(IpcFrame, ReaderRejectsUnknownType) {
  FrameReader r;
  r.feed(frameBytes(12345, 1, "abc"));
  EXPECT_REJECTED(r.next(), "unknown type 12345");
  EXPECT_FALSE(isKnownMsgType(0));
  EXPECT_TRUE(isKnownMsgType(static_cast<std::uint32_t>(MsgType::LogRecord)));
  EXPECT_EQ(msgTypeName(10), "MapLookupRequest");
}

TEST(IpcFrame, ParseFrameTakesExactlyOneFrame) {
  std::string wire = encodeFrame(TestPing{77});
  EXPECT_EQ(decode<TestPing>(parseFrame(wire)).seq, 77u);
  EXPECT_REJECTED(parseFrame(wire.substr(0, 5)), "shorter than its 12-byte header");
  EXPECT_REJECTED(parseFrame(wire.substr(0, wire.size() - 1)), "announces 6 body bytes but 5 follow");
  EXPECT_REJECTED(parseFrame(wire + "x"), "announces 6 body bytes but 7 follow");
  EXPECT_REJECTED(parseFrame(frameBytes(4242, 1, "")), "unknown type 4242");
}

TEST(IpcFrame, ContentMessagesRoundTrip) {
  FrameReader r;
  r.feed(contentChunkFrame("hello") + contentEndFrame(5));
  std::string got;
  ContentReceiver rc(100, [&](std::string_view d) { got.append(d); });
  auto f1 = r.next();
  ASSERT_TRUE(f1);
  EXPECT_FALSE(rc.onFrame(*f1));
  auto f2 = r.next();
  ASSERT_TRUE(f2);
  EXPECT_TRUE(rc.onFrame(*f2));
  EXPECT_EQ(got, "hello");
  EXPECT_REJECTED(contentChunkFrame(""), "1 to 65536 bytes");
  EXPECT_REJECTED(contentChunkFrame(std::string(kContentChunk + 1, 'x')), "1 to 65536 bytes");
}

TEST(IpcFrame, ContentReceiverRejectsBadStreams) {
  std::string got;
  auto sink = [&](std::string_view d) { got.append(d); };
  auto frame = [](const std::string& wire) {
    FrameReader r;
    r.feed(wire);
    return *r.next();
  };
  {
    ContentReceiver rc(8, sink);
    EXPECT_FALSE(rc.onFrame(frame(contentChunkFrame("12345"))));
    EXPECT_REJECTED(rc.onFrame(frame(contentChunkFrame("6789"))), "more than the limit of 8");
    EXPECT_EQ(got, "12345");
  }
  {
    ContentReceiver rc(100, sink);
    rc.onFrame(frame(contentChunkFrame("abc")));
    EXPECT_REJECTED(rc.onFrame(frame(contentEndFrame(4))), "ContentEnd says 4 bytes but 3 arrived");
  }
  {
    ContentReceiver rc(100, sink);
    EXPECT_REJECTED(rc.onFrame(frame(encodeFrame(TestPing{1}))), "got TestPing");
    ContentChunk empty;
    EXPECT_REJECTED(rc.onFrame(frame(encodeFrame(empty))), "a chunk of 0 bytes");
  }
  {
    ContentReceiver rc(100, sink);
    EXPECT_TRUE(rc.onFrame(frame(contentEndFrame(0))));
    EXPECT_REJECTED(rc.onFrame(frame(contentEndFrame(0))), "after ContentEnd");
  }
}

}  // namespace
}  // namespace posthorn::ipc::test
