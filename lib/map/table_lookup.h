// table_lookup - how the address resolver (and others) read "type:name" tables
//
// One small interface over two ways to reach a table:
//  - MapdTableLookup goes through mapd (lib/proto/map_client.h): for chrooted
//    workers such as smtpd, which cannot open /etc/mail files themselves.
//  - DirectTableLookup opens the tables itself (lib/map/lookup_table.h): for
//    processes that are not chrooted, commands, and tests.
// Both pass keys unchanged (a hash: table folds them to lower case itself,
// a regexp: or cidr: table must see them as given) and report any
// failure other than "no such key" as TableLookupError, so that a caller
// answers with a temporary error instead of mistaking an outage for a miss.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace posthorn::mapd {
class MapClient;
}
namespace posthorn::map {
class LookupTable;
}

namespace posthorn::address {

// A table could not be read (mapd unreachable, table missing or refused).
class TableLookupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class TableLookup {
 public:
  virtual ~TableLookup() = default;
  // The value stored for key in table ("hash:/etc/mail/transport"), or
  // nullopt when the table has no such key. Throws TableLookupError.
  virtual std::optional<std::string> lookup(std::string_view table, std::string_view key) = 0;
};

// Through mapd. The client is borrowed and must outlive this object.
class MapdTableLookup : public TableLookup {
 public:
  explicit MapdTableLookup(mapd::MapClient& client) : client_(client) {}
  std::optional<std::string> lookup(std::string_view table, std::string_view key) override;

 private:
  mapd::MapClient& client_;
};

// Opens each table on first use and keeps it open; an open hash table
// notices a rebuild by itself (lib/map/hash_map.h). Not thread-safe.
class DirectTableLookup : public TableLookup {
 public:
  DirectTableLookup();
  ~DirectTableLookup() override;
  DirectTableLookup(const DirectTableLookup&) = delete;
  DirectTableLookup& operator=(const DirectTableLookup&) = delete;

  std::optional<std::string> lookup(std::string_view table, std::string_view key) override;

 private:
  std::map<std::string, std::unique_ptr<map::LookupTable>, std::less<>> tables_;
};

}  // namespace posthorn::address
