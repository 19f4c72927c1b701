// lookup_table - "type:name" table names and opening a table by its type.
#include "lib/map/lookup_table.h"

#include "lib/map/cidr_map.h"
#include "lib/map/hash_map.h"
#include "lib/map/memory_map.h"
#include "lib/map/pgsql_map.h"
#include "lib/map/regexp_map.h"
#include "lib/util/ascii.h"

namespace posthorn::map {

namespace {

bool isTypeChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

// The length of a "type:" prefix, or npos when spec has none.
std::size_t typePrefixLength(std::string_view spec) {
  std::size_t colon = spec.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::string_view::npos;
  for (std::size_t i = 0; i < colon; ++i) {
    if (!isTypeChar(spec[i])) return std::string_view::npos;
  }
  return colon;
}

}  // namespace

TableSpec TableSpec::parse(std::string_view spec) {
  std::size_t colon = typePrefixLength(spec);
  if (colon == std::string_view::npos) {
    throw MapError("bad table name \"" + std::string(spec) +
                   "\": expected type:name, for example hash:/etc/mail/aliases");
  }
  TableSpec result{std::string(spec.substr(0, colon)), std::string(spec.substr(colon + 1))};
  if (result.name.empty()) {
    throw MapError("bad table name \"" + std::string(spec) + "\": the name after \"" +
                   result.type + ":\" is empty");
  }
  return result;
}

TableSpec TableSpec::parseOrDefault(std::string_view spec, std::string_view defaultType) {
  if (typePrefixLength(spec) != std::string_view::npos) return parse(spec);
  if (spec.empty()) throw MapError("empty table name");
  return TableSpec{std::string(defaultType), std::string(spec)};
}

namespace {

constexpr std::string_view kTypes[] = {"cidr",   "hash",  "inline",  "pcre",
                                       "pgsql",  "regexp", "texthash"};

}  // namespace

bool isSupportedType(std::string_view type) {
  for (std::string_view t : kTypes) {
    if (t == type) return true;
  }
  return false;
}

std::string supportedTypes() {
  std::string out;
  for (std::string_view t : kTypes) {
    if (!out.empty()) out += " ";
    out += t;
  }
  return out;
}

std::unique_ptr<LookupTable> openTable(const TableSpec& spec) {
  if (spec.type == "hash") return std::make_unique<HashMap>(spec.name);
  if (spec.type == "texthash") return MemoryMap::texthash(spec.name);
  if (spec.type == "inline") return MemoryMap::inlineTable(spec.name);
  if (spec.type == "cidr") return std::make_unique<CidrMap>(spec.name);
  if (spec.type == "regexp") return std::make_unique<RegexpMap>(RegexDialect::Posix, spec.name);
  if (spec.type == "pcre") return std::make_unique<RegexpMap>(RegexDialect::Pcre, spec.name);
  if (spec.type == "pgsql") return std::make_unique<PgsqlMap>(spec.name);
  throw MapError("unsupported table type \"" + spec.type + "\" in \"" + spec.str() +
                 "\" (supported: " + supportedTypes() + ")");
}

std::unique_ptr<LookupTable> openTable(std::string_view spec) {
  return openTable(TableSpec::parse(spec));
}

std::string foldKey(std::string_view key) { return util::lower(key); }

}  // namespace posthorn::map
