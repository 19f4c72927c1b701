// ipc_test_messages - message structs used only by the ipc unit tests: one
// of every field type the codec supports
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lib/ipc/ipc.h"

namespace posthorn::ipc::test {

enum class Mood : std::uint8_t { Calm = 0, Busy = 1, Gone = 2 };
inline bool ipcEnumValid(Mood m) { return m <= Mood::Gone; }

enum class Delta : std::int16_t { Down = -1, Same = 0, Up = 1 };  // no check: any int16

struct Address {
  std::string local;
  std::string domain;
  std::optional<std::uint32_t> notify;
  bool operator==(const Address&) const = default;
  template <class V>
  void fields(V& v) {
    v("local", local);
    v("domain", domain);
    v("notify", notify);
  }
};

struct Recipient {
  Address address;
  std::vector<std::string> orcpt;
  bool done = false;
  bool operator==(const Recipient&) const = default;
  template <class V>
  void fields(V& v) {
    v("address", address);
    v("orcpt", orcpt);
    v("done", done);
  }
};

struct TestPing {
  static constexpr MsgType kType = MsgType::TestPing;
  static constexpr std::uint32_t kVersion = 1;
  std::uint64_t seq = 0;
  bool operator==(const TestPing&) const = default;
  template <class V>
  void fields(V& v) {
    v("seq", seq);
  }
};

struct TestEcho {
  static constexpr MsgType kType = MsgType::TestEcho;
  static constexpr std::uint32_t kVersion = 2;
  bool flag = false;
  std::uint8_t u8 = 0;
  std::uint16_t u16 = 0;
  std::uint32_t u32 = 0;
  std::uint64_t u64 = 0;
  std::int8_t i8 = 0;
  std::int16_t i16 = 0;
  std::int32_t i32 = 0;
  std::int64_t i64 = 0;
  Mood mood = Mood::Calm;
  Delta delta = Delta::Same;
  std::string text;
  std::vector<std::uint32_t> numbers;
  std::vector<Recipient> rcpts;
  std::optional<std::string> note;
  std::optional<Address> from;
  std::vector<std::optional<std::int64_t>> sparse;
  std::map<std::string, std::string> attrs;
  std::vector<std::vector<std::string>> nested;
  std::vector<bool> bits;
  bool operator==(const TestEcho&) const = default;
  template <class V>
  void fields(V& v) {
    v("flag", flag);
    v("u8", u8);
    v("u16", u16);
    v("u32", u32);
    v("u64", u64);
    v("i8", i8);
    v("i16", i16);
    v("i32", i32);
    v("i64", i64);
    v("mood", mood);
    v("delta", delta);
    v("text", text);
    v("numbers", numbers);
    v("rcpts", rcpts);
    v("note", note);
    v("from", from);
    v("sparse", sparse);
    v("attrs", attrs);
    v("nested", nested);
    v("bits", bits);
  }
};

// A recursive type, to reach the nesting limit.
struct Tree {
  std::vector<Tree> kids;
  bool operator==(const Tree&) const = default;
  template <class V>
  void fields(V& v) {
    v("kids", kids);
  }
};

struct TestTree {
  static constexpr MsgType kType = MsgType::TestPing;
  static constexpr std::uint32_t kVersion = 7;
  Tree root;
  template <class V>
  void fields(V& v) {
    v("root", root);
  }
};

}  // namespace posthorn::ipc::test
