// ipc_fuzz_test - 10,000 random and 10,000 mutated frames through
// FrameReader + decode (and a Channel): no crash, no exception other than
// ProtocolError, every accepted frame a well-formed message that re-encodes
// to exactly its bytes. Seeded, so a failure repeats; POSTHORN_FUZZ_SEED
// picks another seed.
#include <gtest/gtest.h>

#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <random>
#include <string>

#include "lib/ipc/ipc.h"
#include "lib/ipc/ipc_stream.h"
#include "test/unit/ipc_test_messages.h"

namespace posthorn::ipc::test {
namespace {

constexpr int kCases = 10000;

std::uint64_t seedFromEnv(std::uint64_t fallback) {
  const char* s = std::getenv("POSTHORN_FUZZ_SEED");
  return s ? std::strtoull(s, nullptr, 0) : fallback;
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed) : g_(seed) {}
  std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : g_() % n; }
  bool chance(int percent) { return below(100) < static_cast<std::uint64_t>(percent); }
  std::uint64_t any() { return g_(); }
  std::string bytes(std::size_t n) {
    std::string s(n, '\0');
    for (char& c : s) c = static_cast<char>(below(256));
    return s;
  }
  std::string text(std::size_t max) {
    std::string s(below(max + 1), '\0');
    for (char& c : s) c = chance(90) ? static_cast<char>('a' + below(26)) : static_cast<char>(below(256));
    return s;
  }

 private:
  std::mt19937_64 g_;
};

// ---- valid messages

std::uint64_t randomInt(Rng& r) {
  switch (r.below(4)) {
    case 0: return r.below(3);
    case 1: return r.below(300);
    case 2: return r.any() >> r.below(64);
    default: return ~std::uint64_t{0} - r.below(3);
  }
}

Address randomAddress(Rng& r) {
  Address a;
  a.local = r.text(12);
  a.domain = r.text(16);
  if (r.chance(50)) a.notify = static_cast<std::uint32_t>(randomInt(r));
  return a;
}

TestEcho randomEcho(Rng& r) {
  TestEcho m;
  m.flag = r.chance(50);
  m.u8 = static_cast<std::uint8_t>(randomInt(r));
  m.u16 = static_cast<std::uint16_t>(randomInt(r));
  m.u32 = static_cast<std::uint32_t>(randomInt(r));
  m.u64 = randomInt(r);
  m.i8 = static_cast<std::int8_t>(randomInt(r));
  m.i16 = static_cast<std::int16_t>(randomInt(r));
  m.i32 = static_cast<std::int32_t>(randomInt(r));
  m.i64 = static_cast<std::int64_t>(randomInt(r));
  m.mood = static_cast<Mood>(r.below(3));
  m.delta = static_cast<Delta>(static_cast<std::int16_t>(randomInt(r)));
  m.text = r.text(40);
  for (auto n = r.below(5); n > 0; --n) m.numbers.push_back(static_cast<std::uint32_t>(randomInt(r)));
  for (auto n = r.below(4); n > 0; --n) {
    Recipient rc;
    rc.address = randomAddress(r);
    for (auto k = r.below(3); k > 0; --k) rc.orcpt.push_back(r.text(10));
    rc.done = r.chance(50);
    m.rcpts.push_back(rc);
  }
  if (r.chance(50)) m.note = r.text(10);
  if (r.chance(50)) m.from = randomAddress(r);
  for (auto n = r.below(4); n > 0; --n)
    m.sparse.push_back(r.chance(50) ? std::optional<std::int64_t>(static_cast<std::int64_t>(randomInt(r)))
                                    : std::nullopt);
  for (auto n = r.below(4); n > 0; --n) m.attrs[r.text(6)] = r.text(10);
  for (auto n = r.below(3); n > 0; --n) {
    std::vector<std::string> v;
    for (auto k = r.below(3); k > 0; --k) v.push_back(r.text(5));
    m.nested.push_back(v);
  }
  for (auto n = r.below(6); n > 0; --n) m.bits.push_back(r.chance(50));
  return m;
}

std::string randomValidFrame(Rng& r) {
  switch (r.below(10)) {
    case 0: return encodeFrame(TestPing{randomInt(r)});
    case 1: return contentChunkFrame(r.bytes(1 + r.below(200)));
    case 2: return contentEndFrame(randomInt(r));
    default: return encodeFrame(randomEcho(r));
  }
}

// ---- random (mostly invalid) bodies that still look like fields

const char* const kNames[] = {"flag", "u8",     "u16",   "u32",    "u64",   "i8",    "i16",
                              "i32",  "i64",    "mood",  "delta",  "text",  "numbers",
                              "rcpts", "note",  "from",  "sparse", "attrs", "nested",
                              "bits", "address", "local", "domain", "notify", "orcpt",
                              "done", "seq",    "data",  "size",   "kids"};

std::string randomValue(Rng& r, int depth);

std::string randomVarint(Rng& r) {
  std::string s;
  codec::putVarint(s, randomInt(r));
  if (r.chance(5)) {  // non-minimal
    s.back() = static_cast<char>(s.back() | 0x80);
    s.push_back('\0');
  }
  return s;
}

std::string randomValue(Rng& r, int depth) {
  auto tag = static_cast<std::uint8_t>(r.chance(97) ? 1 + r.below(9) : r.below(256));
  std::string s(1, static_cast<char>(tag));
  auto count = [&](std::uint64_t real) {
    std::string c;
    codec::putVarint(c, r.chance(90) ? real : randomInt(r));
    return c;
  };
  switch (static_cast<WireTag>(tag)) {
    case WireTag::Bool: s.push_back(static_cast<char>(r.chance(90) ? r.below(2) : r.below(256))); break;
    case WireTag::Unsigned:
    case WireTag::Signed:
    case WireTag::Enum: s += randomVarint(r); break;
    case WireTag::String: {
      std::string t = r.text(12);
      s += count(t.size()) + t;
      break;
    }
    case WireTag::List: {
      auto n = depth > 3 ? 0 : r.below(4);
      s += count(n);
      for (std::uint64_t i = 0; i < n; ++i) s += randomValue(r, depth + 1);
      break;
    }
    case WireTag::Optional:
      s.push_back(static_cast<char>(r.chance(90) ? r.below(2) : r.below(256)));
      if (s.back() == 1 && depth <= 3) s += randomValue(r, depth + 1);
      break;
    case WireTag::Struct: {
      std::string inner;
      if (depth <= 3)
        for (auto n = r.below(4); n > 0; --n) {
          std::string nm = kNames[r.below(std::size(kNames))];
          codec::putVarint(inner, nm.size());
          inner += nm + randomValue(r, depth + 1);
        }
      s += count(inner.size()) + inner;
      break;
    }
    case WireTag::Map: {
      auto n = depth > 3 ? 0 : r.below(3);
      s += count(n);
      for (std::uint64_t i = 0; i < 2 * n; ++i) s += randomValue(r, depth + 1);
      break;
    }
    default: s += r.bytes(r.below(4)); break;
  }
  return s;
}

std::string randomBody(Rng& r) {
  switch (r.below(3)) {
    case 0: return r.bytes(r.below(300));
    case 1: {  // TestEcho's field names in order, random tags and values
      std::string b;
      auto fields = 1 + r.below(20);
      for (std::uint64_t i = 0; i < fields; ++i) {
        std::string nm = r.chance(90) ? kNames[i] : kNames[r.below(std::size(kNames))];
        codec::putVarint(b, nm.size());
        b += nm + randomValue(r, 0);
      }
      return b;
    }
    default: {  // a valid body with random bytes spliced in
      std::string b = encode(randomEcho(r));
      auto at = r.below(b.size() + 1);
      return b.substr(0, at) + r.bytes(r.below(8)) + b.substr(std::min<std::size_t>(b.size(), at + r.below(8)));
    }
  }
}

std::string randomFrame(Rng& r) {
  std::string body = randomBody(r);
  std::uint32_t type;
  auto t = r.below(100);
  if (t < 40) type = static_cast<std::uint32_t>(MsgType::TestEcho);
  else if (t < 55) type = static_cast<std::uint32_t>(MsgType::TestPing);
  else if (t < 65) type = static_cast<std::uint32_t>(r.chance(50) ? MsgType::ContentChunk : MsgType::ContentEnd);
  else if (t < 75) type = static_cast<std::uint32_t>(MsgType::MapLookupRequest);
  else type = static_cast<std::uint32_t>(r.any());
  std::uint32_t version = r.chance(85) ? (type == static_cast<std::uint32_t>(MsgType::TestEcho) ? 2 : 1)
                                       : static_cast<std::uint32_t>(r.below(5));
  std::string f = frameBytes(type, version, body);
  if (r.chance(10)) {  // a lying length
    std::uint32_t len = r.chance(50) ? static_cast<std::uint32_t>(r.below(body.size() * 2 + 1))
                                     : static_cast<std::uint32_t>(r.any());
    for (int i = 0; i < 4; ++i) f[i] = static_cast<char>(len >> (24 - 8 * i));
  }
  return f;
}

// ---- mutation

std::string mutate(std::string s, Rng& r) {
  for (auto n = 1 + r.below(3); n > 0; --n) {
    std::size_t at = r.below(s.size() + 1);
    switch (r.below(6)) {
      case 0:  // flip a bit
        if (at < s.size()) s[at] = static_cast<char>(s[at] ^ (1 << r.below(8)));
        break;
      case 1:  // insert bytes
        s.insert(at, r.bytes(1 + r.below(3)));
        break;
      case 2:  // delete bytes
        if (at < s.size()) s.erase(at, 1 + r.below(3));
        break;
      case 3:  // overwrite a byte
        if (at < s.size()) s[at] = static_cast<char>(r.below(256));
        break;
      case 4:  // truncate
        s.resize(at);
        break;
      default:  // duplicate a slice
        if (at < s.size()) s.insert(at, s.substr(at, 1 + r.below(16)));
        break;
    }
  }
  return s;
}

// Half the time the mutations hit the first frame's body and its header's
// length is fixed up, so that they reach the decoder rather than only
// shifting the frame boundaries.
std::string mutateFrame(const std::string& wire, Rng& r) {
  if (r.chance(50)) return mutate(wire, r);
  FrameReader reader;
  reader.feed(wire);
  Frame f = *reader.next();
  std::string rest = wire.substr(kFrameHeaderSize + f.body.size());
  return frameBytes(f.type, f.version, mutate(f.body, r)) + rest;
}

// ---- the check

struct Stats {
  int headerRejected = 0;   // FrameReader threw (oversized, unknown type)
  int bodyRejected = 0;     // decode threw
  int truncated = 0;        // stream ended inside a frame
  int valid = 0;            // decoded and re-encoded identically
  int cases = 0;
};

template <class Msg>
void decodeAndReencode(const Frame& f, Stats& st) {
  Msg m = decode<Msg>(f);
  // A frame that decodes is a well-formed message: its canonical encoding
  // is exactly the bytes that were accepted.
  EXPECT_EQ(encode(m), f.body) << "accepted a " << msgTypeName(f.type)
                               << " body that does not re-encode identically";
  ++st.valid;
}

void checkFrame(const Frame& f, Stats& st) {
  try {
    switch (static_cast<MsgType>(f.type)) {
      case MsgType::TestEcho: decodeAndReencode<TestEcho>(f, st); break;
      case MsgType::TestPing: decodeAndReencode<TestPing>(f, st); break;
      case MsgType::ContentChunk: decodeAndReencode<ContentChunk>(f, st); break;
      case MsgType::ContentEnd: decodeAndReencode<ContentEnd>(f, st); break;
      default: decodeAndReencode<TestEcho>(f, st); break;  // a type nobody here expects
    }
  } catch (const ProtocolError&) {
    ++st.bodyRejected;
  }
}

// Feeds wire through a FrameReader in random pieces, as a socket delivers
// it; any exception but ProtocolError fails the test.
void throughReader(const std::string& wire, Rng& r, Stats& st) {
  ++st.cases;
  FrameReader reader;
  std::size_t pos = 0;
  try {
    while (pos < wire.size()) {
      std::size_t n = 1 + r.below(std::min<std::size_t>(wire.size() - pos, 512));
      reader.feed(std::string_view(wire).substr(pos, n));
      pos += n;
      while (auto f = reader.next()) checkFrame(*f, st);
    }
    if (reader.buffered() > 0) ++st.truncated;
  } catch (const ProtocolError&) {
    ++st.headerRejected;
  }
}

// The same bytes through a Channel: ProtocolError, or ChannelClosed only
// for a stream that ends inside a frame or after its last frame.
void throughChannel(const std::string& wire, Stats& st) {
  int fds[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  ASSERT_EQ(::write(fds[0], wire.data(), wire.size()), static_cast<ssize_t>(wire.size()));
  ::close(fds[0]);
  Channel ch(fds[1]);
  ++st.cases;
  try {
    for (;;) checkFrame(ch.receiveFrame(), st);
  } catch (const ProtocolError&) {
    ++st.headerRejected;
  } catch (const ChannelClosed& e) {
    if (std::string(e.what()).find("middle of a frame") != std::string::npos) ++st.truncated;
  }
}

void report(const char* what, std::uint64_t seed, const Stats& st) {
  std::cout << what << " (seed " << seed << "): " << st.cases << " cases, " << st.valid
            << " frames valid, " << st.bodyRejected << " rejected by the decoder, "
            << st.headerRejected << " by the frame header, " << st.truncated << " truncated\n";
}

TEST(IpcFuzz, RandomFrames) {
  std::uint64_t seed = seedFromEnv(0x9057);
  Rng r(seed);
  Stats st;
  for (int i = 0; i < kCases; ++i) {
    std::string wire = randomFrame(r);
    if (r.chance(20)) wire += randomFrame(r);
    throughReader(wire, r, st);
  }
  report("random frames", seed, st);
  EXPECT_EQ(st.cases, kCases);
  // The generator reaches the decoder, not only the header check.
  EXPECT_GT(st.bodyRejected, kCases / 3);
  EXPECT_GT(st.headerRejected, kCases / 20);
}

TEST(IpcFuzz, MutatedValidFrames) {
  std::uint64_t seed = seedFromEnv(0x4d75);
  Rng r(seed);
  Stats st;
  for (int i = 0; i < kCases; ++i) {
    std::string wire = randomValidFrame(r);
    if (r.chance(20)) wire += randomValidFrame(r);
    throughReader(mutateFrame(wire, r), r, st);
  }
  report("mutated frames", seed, st);
  EXPECT_EQ(st.cases, kCases);
  EXPECT_GT(st.bodyRejected, kCases / 4);
  EXPECT_GT(st.valid, 100);  // e.g. a bit flipped inside a string's bytes
}

TEST(IpcFuzz, MutatedFramesThroughAChannel) {
  std::uint64_t seed = seedFromEnv(0xc4a7);
  Rng r(seed);
  Stats st;
  for (int i = 0; i < 2000; ++i) throughChannel(mutateFrame(randomValidFrame(r), r), st);
  report("mutated frames through a channel", seed, st);
  EXPECT_EQ(st.cases, 2000);
  EXPECT_GT(st.bodyRejected, 2000 / 4);
}

TEST(IpcFuzz, ValidFramesAllDecode) {
  // The control: unmutated frames are all accepted.
  Rng r(seedFromEnv(0x600d));
  Stats st;
  for (int i = 0; i < 2000; ++i) throughReader(randomValidFrame(r), r, st);
  EXPECT_EQ(st.valid, 2000);
  EXPECT_EQ(st.bodyRejected + st.headerRejected + st.truncated, 0);
}

}  // namespace
}  // namespace posthorn::ipc::test
