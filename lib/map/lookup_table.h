// lookup_table - lookup tables named "type:name", as Postfix names them
//
// Every table setting (alias_database, virtual_alias_maps, transport_maps,
// access maps...) names tables as "type:name", for example
// "hash:/etc/mail/aliases". This file parses such a name and opens the table
// by its type, as Postfix has them (posthorn-tables(5)):
//   hash      Berkeley DB, built by posthorn map (lib/map/hash_map.h)
//   texthash  a postmap source read directly; inline:{ k=v, ... } (memory_map.h)
//   cidr      network blocks, first match wins (cidr_map.h)
//   regexp    POSIX regular expressions; pcre: PCRE2 (regexp_map.h)
//   pgsql     PostgreSQL queries through libpq (pgsql_map.h)
// Any other type is a MapError that says which types are supported.
//
// Keys of hash, texthash, inline and pgsql tables are case-insensitive:
// those tables fold the key they are given to lower case themselves.
// cidr, regexp and pcre tables see the key as given (a regexp pattern is
// case-insensitive by its `i` flag, on by default). So callers, mapd
// included, pass keys through unchanged.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace posthorn::map {

// Any failure to parse, build, open or read a table. The message names the
// file (and line, for syntax errors) and what was wrong.
class MapError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "hash:/etc/mail/aliases" -> {type "hash", name "/etc/mail/aliases"}.
struct TableSpec {
  std::string type;
  std::string name;

  // Requires "type:name" with a non-empty type made of [a-z0-9_] and a
  // non-empty name; throws MapError otherwise. The type is not checked
  // against the supported types here (openTable does that).
  static TableSpec parse(std::string_view spec);
  // As parse(), but text without a "type:" prefix names a table of
  // defaultType ("posthorn map /etc/mail/virtual" means hash:).
  static TableSpec parseOrDefault(std::string_view spec, std::string_view defaultType);

  std::string str() const { return type + ":" + name; }
};

// True for the table types this build can open.
bool isSupportedType(std::string_view type);
// "cidr hash inline pcre pgsql regexp texthash"; for error messages.
std::string supportedTypes();

// An open table. Implementations are not thread-safe: one per thread.
class LookupTable {
 public:
  virtual ~LookupTable() = default;
  // The value for key (folded to lower case first where the type does
  // that), or nullopt when the table has no such key. A table that cannot be read throws MapError;
  // a failure is never reported as a miss.
  virtual std::optional<std::string> lookup(std::string_view key) = 0;
  // The table's "type:name", for logs.
  virtual std::string spec() const = 0;
};

// Opens a table by its type; MapError when the type is unknown or the table
// cannot be opened (a hash table whose .db file is missing, for example).
std::unique_ptr<LookupTable> openTable(const TableSpec& spec);
std::unique_ptr<LookupTable> openTable(std::string_view spec);

// ASCII lower case: how keys of folding tables are stored and looked up.
std::string foldKey(std::string_view key);

}  // namespace posthorn::map
