// fake_table_lookup - an in-memory address::TableLookup for tests: tables
// by name, keys folded to lower case as the real lookups fold them, and
// tables that fail (TableLookupError) on purpose
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "lib/address/address.h"
#include "lib/map/table_lookup.h"

namespace posthorn::testing {

class FakeTableLookup : public address::TableLookup {
 public:
  void set(const std::string& table, const std::string& key, const std::string& value) {
    tables_[table][address::foldCase(key)] = value;
  }
  void breakTable(const std::string& table) { broken_.insert(table); }
  int lookups() const { return lookups_; }

  std::optional<std::string> lookup(std::string_view table, std::string_view key) override {
    ++lookups_;
    if (broken_.count(std::string(table)))
      throw address::TableLookupError(std::string(table) + ": cannot open");
    const auto t = tables_.find(std::string(table));
    if (t == tables_.end()) return std::nullopt;
    const auto v = t->second.find(address::foldCase(key));
    if (v == t->second.end()) return std::nullopt;
    return v->second;
  }

 private:
  std::map<std::string, std::map<std::string, std::string>> tables_;
  std::set<std::string> broken_;
  int lookups_ = 0;
};

}  // namespace posthorn::testing
