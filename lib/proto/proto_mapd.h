// proto_mapd - the mapd protocol: table lookups for chrooted workers
//
// A client connects to mapd's private socket and sends any number of
// MapLookupRequest frames; mapd answers each with one MapLookupReply, in
// order. `table` is a map spec as written in posthorn.conf ("hash:/etc/mail/
// aliases"); mapd serves only the tables listed in proxy_read_maps and
// answers Refused for any other. See mapd(8).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "lib/ipc/ipc.h"

namespace posthorn::ipc {

// Bump on any change to the messages below.
inline constexpr std::uint32_t kMapdProtoVersion = 1;

// The outcome of one lookup.
enum class MapStatus : std::uint32_t {
  Found = 0,     // value holds the table's value for the key
  NotFound = 1,  // the table has no such key
  Refused = 2,   // the table is not listed in proxy_read_maps
  TempFail = 3,  // the table could not be opened or read: try again later
};

// The status as a word for logs and errors ("found", "notfound", ...).
std::string_view mapStatusName(MapStatus status);
// The codec rejects a reply whose status is none of the above.
bool ipcEnumValid(MapStatus status);

struct MapLookupRequest {
  static constexpr MsgType kType = MsgType::MapLookupRequest;
  static constexpr std::uint32_t kVersion = kMapdProtoVersion;
  std::string table;  // "hash:/etc/mail/aliases"
  std::string key;    // looked up case-insensitively by the table
  template <class V>
  void fields(V& v) {
    v("table", table);
    v("key", key);
  }
};

struct MapLookupReply {
  static constexpr MsgType kType = MsgType::MapLookupReply;
  static constexpr std::uint32_t kVersion = kMapdProtoVersion;
  MapStatus status = MapStatus::TempFail;
  std::string value;  // the value when Found, else a short reason (may be empty)
  template <class V>
  void fields(V& v) {
    v("status", status);
    v("value", value);
  }
};

inline std::string_view mapStatusName(MapStatus status) {
  switch (status) {
    case MapStatus::Found: return "found";
    case MapStatus::NotFound: return "notfound";
    case MapStatus::Refused: return "refused";
    case MapStatus::TempFail: return "tempfail";
  }
  return "unknown";
}

inline bool ipcEnumValid(MapStatus status) {
  switch (status) {
    case MapStatus::Found:
    case MapStatus::NotFound:
    case MapStatus::Refused:
    case MapStatus::TempFail:
      return true;
  }
  return false;
}

}  // namespace posthorn::ipc
