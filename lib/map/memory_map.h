// memory_map - tables read into memory when they are opened: texthash: and
// inline:, as Postfix has them (postconf(5), "texthash:" and "inline:")
//
//  - "texthash:/etc/mail/virtual" reads the postmap(1)-format source file
//    itself (map_source.h), without a .db: no `posthorn map` is needed.
//    Like Postfix's texthash, the file is read once, when the table is
//    opened; a process sees changes when it opens the table again.
//  - "inline:{ key=value, { key = text with spaces } }": the table is its
//    own name. Elements are separated by commas or white space; an element
//    in braces may hold white space around the '=' and in the value.
//
// Keys are case-insensitive, as in hash: tables: stored and looked up
// folded to lower case. A key given twice keeps its first value.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "lib/map/lookup_table.h"

namespace posthorn::map {

class MemoryMap : public LookupTable {
 public:
  // texthash:PATH; MapError "PATH:LINE: ..." for a syntax error.
  static std::unique_ptr<MemoryMap> texthash(const std::string& path);
  // inline:{...}; name is what follows "inline:", braces included.
  static std::unique_ptr<MemoryMap> inlineTable(const std::string& name);

  std::optional<std::string> lookup(std::string_view key) override;
  std::string spec() const override { return spec_; }
  std::size_t size() const { return entries_.size(); }

 private:
  explicit MemoryMap(std::string spec) : spec_(std::move(spec)) {}
  std::string spec_;
  std::map<std::string, std::string, std::less<>> entries_;
};

}  // namespace posthorn::map
