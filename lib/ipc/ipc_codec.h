// ipc_codec - the one codec for every IPC message, driven by fields()
//
// A message body is the sequence of the fields that Msg::fields() names, in
// that order, each written as
//     name (varint length + bytes)  tag (1 byte)  value
// and a value is, by tag:
//     Bool      1 byte, 0 or 1
//     Unsigned  varint (LEB128)                    any unsigned integer width
//     Signed    zigzag varint                      any signed integer width
//     Enum      varint, zigzag if the underlying type is signed
//     String    varint length + bytes
//     List      varint count + count tagged values (std::vector)
//     Optional  1 byte 0 (absent) or 1 + a tagged value (std::optional)
//     Struct    varint length + that many bytes of fields (a nested fields())
//     Map       varint count + count (key, value) tagged value pairs, keys in
//               ascending order (std::map)
// The encoding is canonical: varints are minimal, map keys strictly
// ascending, so a body that decodes re-encodes to the same bytes.
//
// The decoder checks everything a hostile or mismatched peer could get
// wrong and throws ProtocolError naming the message, the field path
// ("rcpts[2].address") and the problem: another field name than expected,
// a missing field, a wrong tag, a length or count beyond the bytes left, an
// integer out of the field's range, nesting deeper than kMaxNesting,
// trailing bytes. It never allocates more than the input can justify (see
// kMaxDecodedBytes).
//
// An enum field is range-checked against its underlying type only; give the
// enum an ADL-visible `bool ipcEnumValid(E)` and the decoder rejects values
// for which it returns false.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <unistd.h>

#include "lib/ipc/ipc.h"

namespace posthorn::ipc {

enum class WireTag : std::uint8_t {
  Bool = 1,
  Unsigned = 2,
  Signed = 3,
  Enum = 4,
  String = 5,
  List = 6,
  Optional = 7,
  Struct = 8,
  Map = 9,
};

// "string", "list", ... or "tag 77".
std::string wireTagName(std::uint8_t tag);

// Lists, optionals, maps and nested structs each count one level.
inline constexpr int kMaxNesting = 16;
// What decoding one body may allocate, roughly (element sizes + string
// bytes): a small frame cannot expand into a huge object tree.
inline constexpr std::size_t kMaxDecodedBytes = 64u << 20;

namespace codec {

template <class T>
struct IsVector : std::false_type {};
template <class T, class A>
struct IsVector<std::vector<T, A>> : std::true_type {};

template <class T>
struct IsOptional : std::false_type {};
template <class T>
struct IsOptional<std::optional<T>> : std::true_type {};

template <class T>
struct IsMap : std::false_type {};
template <class K, class V, class C, class A>
struct IsMap<std::map<K, V, C, A>> : std::true_type {};

struct FieldProbe {
  template <class T>
  void operator()(const char*, T&) {}
};

template <class T>
concept HasFields = requires(T& t, FieldProbe& p) { t.fields(p); };

template <class Msg>
concept Message = HasFields<Msg> && requires {
  { Msg::kType } -> std::convertible_to<MsgType>;
  { Msg::kVersion } -> std::convertible_to<std::uint32_t>;
};

template <class E>
concept HasEnumCheck = std::is_enum_v<E> && requires(E e) {
  { ipcEnumValid(e) } -> std::convertible_to<bool>;
};

inline void putVarint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(static_cast<std::uint8_t>(v) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline std::uint64_t zigzag(std::int64_t v) {
  return (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63);
}

inline std::int64_t unzigzag(std::uint64_t u) {
  return static_cast<std::int64_t>(u >> 1) ^ -static_cast<std::int64_t>(u & 1);
}

class Encoder {
 public:
  explicit Encoder(std::string& out, int depth = 0) : out_(out), depth_(depth) {}

  template <class T>
  void operator()(const char* name, const T& value) {
    std::string_view n(name);
    putVarint(out_, n.size());
    out_.append(n);
    put(value);
  }

  template <class T>
  void put(const T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      tag(WireTag::Bool);
      out_.push_back(v ? 1 : 0);
    } else if constexpr (std::is_enum_v<T>) {
      tag(WireTag::Enum);
      putInteger(static_cast<std::underlying_type_t<T>>(v));
    } else if constexpr (std::is_integral_v<T>) {
      tag(std::is_signed_v<T> ? WireTag::Signed : WireTag::Unsigned);
      putInteger(v);
    } else if constexpr (std::is_same_v<T, std::string>) {
      tag(WireTag::String);
      putVarint(out_, v.size());
      out_.append(v);
    } else if constexpr (IsVector<T>::value) {
      tag(WireTag::List);
      enter();
      putVarint(out_, v.size());
      for (const auto& e : v) put(static_cast<const typename T::value_type&>(e));
      --depth_;
    } else if constexpr (IsOptional<T>::value) {
      tag(WireTag::Optional);
      enter();
      out_.push_back(v ? 1 : 0);
      if (v) put(*v);
      --depth_;
    } else if constexpr (IsMap<T>::value) {
      tag(WireTag::Map);
      enter();
      putVarint(out_, v.size());
      for (const auto& [k, val] : v) {
        put(k);
        put(val);
      }
      --depth_;
    } else if constexpr (HasFields<T>) {
      tag(WireTag::Struct);
      enter();
      std::string nested;
      Encoder sub(nested, depth_);
      const_cast<T&>(v).fields(sub);  // fields() only reads for an Encoder
      putVarint(out_, nested.size());
      out_.append(nested);
      --depth_;
    } else {
      static_assert(sizeof(T) == 0, "ipc: this field type has no wire encoding");
    }
  }

 private:
  void tag(WireTag t) { out_.push_back(static_cast<char>(t)); }

  template <class I>
  void putInteger(I v) {
    if constexpr (std::is_signed_v<I>)
      putVarint(out_, zigzag(static_cast<std::int64_t>(v)));
    else
      putVarint(out_, static_cast<std::uint64_t>(v));
  }

  void enter() {
    if (++depth_ > kMaxNesting)
      throw ProtocolError("ipc encode: nesting deeper than " + std::to_string(kMaxNesting));
  }

  std::string& out_;
  int depth_;
};

class Decoder {
 public:
  Decoder(std::string_view in, std::string what) : in_(in), end_(in.size()), what_(std::move(what)) {}

  // Decodes a whole body into msg; the body must end with its last field.
  template <class T>
  void top(T& msg) {
    msg.fields(*this);
    if (pos_ != end_) failTrailing();
  }

  template <class T>
  void operator()(const char* name, T& value) {
    path_.push_back({name, 0});
    if (pos_ == end_) fail("missing (the body ends before it)");
    std::string_view got = readBytes("field name");
    if (got != std::string_view(name)) fail("found field '" + printable(got) + "' instead");
    get(value);
    path_.pop_back();
  }

  template <class T>
  void get(T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      expectTag(WireTag::Bool);
      std::uint8_t b = readByte("bool");
      if (b > 1) fail("bool byte is " + std::to_string(b) + ", not 0 or 1");
      v = b == 1;
    } else if constexpr (std::is_enum_v<T>) {
      expectTag(WireTag::Enum);
      std::underlying_type_t<T> u;
      getInteger(u);
      v = static_cast<T>(u);
      if constexpr (HasEnumCheck<T>) {
        if (!ipcEnumValid(v)) fail("enum value " + std::to_string(u) + " is not valid");
      }
    } else if constexpr (std::is_integral_v<T>) {
      expectTag(std::is_signed_v<T> ? WireTag::Signed : WireTag::Unsigned);
      getInteger(v);
    } else if constexpr (std::is_same_v<T, std::string>) {
      expectTag(WireTag::String);
      std::string_view s = readBytes("string");
      charge(s.size());
      v.assign(s);
    } else if constexpr (IsVector<T>::value) {
      expectTag(WireTag::List);
      enter();
      std::uint64_t n = readCount("list");
      v.clear();
      for (std::uint64_t i = 0; i < n; ++i) {
        path_.push_back({nullptr, i});
        charge(sizeof(typename T::value_type));
        typename T::value_type e{};
        get(e);
        v.push_back(std::move(e));
        path_.pop_back();
      }
      --depth_;
    } else if constexpr (IsOptional<T>::value) {
      expectTag(WireTag::Optional);
      enter();
      std::uint8_t b = readByte("optional");
      if (b == 0) {
        v.reset();
      } else if (b == 1) {
        v.emplace();
        get(*v);
      } else {
        fail("optional presence byte is " + std::to_string(b) + ", not 0 or 1");
      }
      --depth_;
    } else if constexpr (IsMap<T>::value) {
      expectTag(WireTag::Map);
      enter();
      std::uint64_t n = readCount("map");
      v.clear();
      for (std::uint64_t i = 0; i < n; ++i) {
        path_.push_back({nullptr, i});
        charge(sizeof(typename T::value_type) + 32);
        typename T::key_type k{};
        get(k);
        typename T::mapped_type val{};
        get(val);
        if (!v.empty() && !v.key_comp()(v.rbegin()->first, k))
          fail("map key out of order or repeated");
        v.emplace_hint(v.end(), std::move(k), std::move(val));
        path_.pop_back();
      }
      --depth_;
    } else if constexpr (HasFields<T>) {
      expectTag(WireTag::Struct);
      enter();
      std::uint64_t len = readVarint("struct length");
      if (len > end_ - pos_)
        fail("struct of " + std::to_string(len) + " bytes but only " +
             std::to_string(end_ - pos_) + " left");
      std::size_t savedEnd = end_;
      end_ = pos_ + len;
      v.fields(*this);
      if (pos_ != end_) failTrailing();
      end_ = savedEnd;
      --depth_;
    } else {
      static_assert(sizeof(T) == 0, "ipc: this field type has no wire encoding");
    }
  }

 private:
  struct PathPart {
    const char* name;  // nullptr: a list or map index
    std::uint64_t index;
  };

  template <class I>
  void getInteger(I& v) {
    std::uint64_t u = readVarint("integer");
    if constexpr (std::is_signed_v<I>) {
      std::int64_t s = unzigzag(u);
      if (s < std::numeric_limits<I>::min() || s > std::numeric_limits<I>::max())
        fail("value " + std::to_string(s) + " out of range for a " +
             std::to_string(sizeof(I) * 8) + "-bit signed integer");
      v = static_cast<I>(s);
    } else {
      if (u > std::numeric_limits<I>::max())
        fail("value " + std::to_string(u) + " out of range for a " +
             std::to_string(sizeof(I) * 8) + "-bit unsigned integer");
      v = static_cast<I>(u);
    }
  }

  std::uint8_t readByte(const char* what) {
    if (pos_ >= end_) fail(std::string("truncated: no byte left for ") + what);
    return static_cast<std::uint8_t>(in_[pos_++]);
  }

  std::uint64_t readVarint(const char* what) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      std::uint8_t b = readByte(what);
      if (shift == 63 && b > 1) fail(std::string(what) + ": varint overflows 64 bits");
      v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        if (b == 0 && shift > 0) fail(std::string(what) + ": varint is not minimal");
        return v;
      }
    }
    fail(std::string(what) + ": varint longer than 10 bytes");
  }

  std::string_view readBytes(const char* what) {
    std::uint64_t len = readVarint(what);
    if (len > end_ - pos_)
      fail(std::string(what) + " of " + std::to_string(len) + " bytes but only " +
           std::to_string(end_ - pos_) + " left");
    std::string_view s = in_.substr(pos_, len);
    pos_ += len;
    return s;
  }

  // Every list element or map entry takes at least 2 bytes on the wire.
  std::uint64_t readCount(const char* what) {
    std::uint64_t n = readVarint(what);
    if (n > (end_ - pos_) / 2)
      fail(std::string(what) + " of " + std::to_string(n) + " entries cannot fit in the " +
           std::to_string(end_ - pos_) + " bytes left");
    return n;
  }

  void expectTag(WireTag want) {
    std::uint8_t got = readByte("type tag");
    if (got != static_cast<std::uint8_t>(want))
      fail("type " + wireTagName(got) + " where " +
           wireTagName(static_cast<std::uint8_t>(want)) + " was expected");
  }

  void enter() {
    if (++depth_ > kMaxNesting) fail("nesting deeper than " + std::to_string(kMaxNesting));
  }

  void charge(std::size_t n) {
    if (n > budget_) fail("decoded size exceeds " + std::to_string(kMaxDecodedBytes) + " bytes");
    budget_ -= n;
  }

  [[noreturn]] void failTrailing();
  [[noreturn]] void fail(const std::string& reason);
  static std::string printable(std::string_view s);

  std::string_view in_;
  std::size_t pos_ = 0;
  std::size_t end_;
  std::string what_;
  int depth_ = 0;
  std::size_t budget_ = kMaxDecodedBytes;
  std::vector<PathPart> path_;
};

// "MapLookupRequest v1"
std::string messageLabel(MsgType type, std::uint32_t version);

}  // namespace codec

template <class Msg>
  requires codec::Message<Msg>
std::string encode(const Msg& msg) {
  std::string out;
  codec::Encoder enc(out);
  const_cast<Msg&>(msg).fields(enc);  // fields() only reads for an Encoder
  return out;
}

template <class Msg>
  requires codec::Message<Msg>
std::string encodeFrame(const Msg& msg) {
  return frameBytes(static_cast<std::uint32_t>(Msg::kType), Msg::kVersion, encode(msg));
}

template <class Msg>
  requires codec::Message<Msg>
Msg decodeBody(std::string_view body) {
  Msg msg{};
  codec::Decoder dec(body, codec::messageLabel(Msg::kType, Msg::kVersion));
  dec.top(msg);
  return msg;
}

// Throws ProtocolError saying what differs when frame is not a Msg frame.
void checkFrameHeader(const Frame& frame, MsgType type, std::uint32_t version);

template <class Msg>
  requires codec::Message<Msg>
Msg decode(const Frame& frame) {
  checkFrameHeader(frame, Msg::kType, Msg::kVersion);
  return decodeBody<Msg>(frame.body);
}

template <class Msg>
void Channel::send(const Msg& msg, int passFd) {
  std::string body = encode(msg);
  sendFrame(static_cast<std::uint32_t>(Msg::kType), Msg::kVersion, body, passFd);
}

template <class Msg>
Msg Channel::receive() {
  Frame frame = receiveFrame();
  if (frame.fd >= 0) {
    ::close(frame.fd);
    throw ProtocolError(codec::messageLabel(Msg::kType, Msg::kVersion) +
                        ": the peer passed an unexpected file descriptor");
  }
  return decode<Msg>(frame);
}

template <class Msg>
Msg Channel::receive(int* passedFd) {
  *passedFd = -1;
  Frame frame = receiveFrame();
  try {
    Msg msg = decode<Msg>(frame);
    *passedFd = frame.fd;
    return msg;
  } catch (...) {
    if (frame.fd >= 0) ::close(frame.fd);
    throw;
  }
}

}  // namespace posthorn::ipc
