// table_lookup - the mapd and the direct adapters of TableLookup
#include "lib/map/table_lookup.h"

#include "lib/map/lookup_table.h"
#include "lib/proto/map_client.h"

namespace posthorn::address {

std::optional<std::string> MapdTableLookup::lookup(std::string_view table, std::string_view key) {
  try {
    return client_.lookup(table, key);  // mapd's table folds it, if its type does
  } catch (const mapd::MapError& e) {
    throw TableLookupError(std::string(table) + ": " + e.what());
  }
}

DirectTableLookup::DirectTableLookup() = default;
DirectTableLookup::~DirectTableLookup() = default;

std::optional<std::string> DirectTableLookup::lookup(std::string_view table,
                                                     std::string_view key) {
  try {
    auto it = tables_.find(table);
    if (it == tables_.end()) {
      it = tables_.emplace(std::string(table), map::openTable(table)).first;
    }
    return it->second->lookup(key);
  } catch (const map::MapError& e) {
    throw TableLookupError(e.what());  // names the table file already
  }
}

}  // namespace posthorn::address
