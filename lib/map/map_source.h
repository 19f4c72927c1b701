// map_source - the text files that lookup tables are built from
//
// Two formats, as in Postfix:
//  - Postmap (postmap(1), posthorn-map(1)): "key<white space>value".
//  - Aliases (aliases(5), newaliases(1)): "name: value, value, ...". The
//    name may be quoted ("first last": ...) to hold white space or a colon;
//    the quotes are removed and \" and \\ unescaped.
// In both, lines whose first non-blank character is `#` and blank lines are
// ignored, a line that starts with white space continues the previous
// logical line (joined with one space), and trailing white space (also a
// CR) is dropped. Keys are folded to lower case; values are kept as written.
//
// A syntax error throws MapError "FILE:LINE: what: "the text"". A key that
// appears twice is a warning "FILE:LINE: duplicate entry ..." and the first
// entry is kept, as Postfix's postmap does.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/map/lookup_table.h"
#include "lib/util/logical_lines.h"

namespace posthorn::map {

enum class SourceFormat { Postmap, Aliases };

struct SourceEntry {
  std::string key;    // folded to lower case
  std::string value;
  int line = 0;       // where the entry's logical line starts
};

struct MapSource {
  std::string file;
  std::vector<SourceEntry> entries;   // in file order, without duplicates
  std::vector<std::string> warnings;  // "FILE:LINE: ..." lines
};

MapSource parseMapSource(std::string_view text, const std::string& file, SourceFormat format);
// Reads and parses the file; MapError when it cannot be read.
MapSource readMapSource(const std::string& path, SourceFormat format);

// What every table file parser shares (cidr:, regexp:, pcre:, pgsql: too):
// the whole file (MapError "cannot open/read PATH: why"); its logical
// lines as above; and the error "FILE:LINE: what: "text"".
std::string readSourceText(const std::string& path);
std::vector<util::LogicalLine> sourceLines(std::string_view text, const std::string& file);
[[noreturn]] void syntaxError(const std::string& file, int line, const std::string& what,
                              std::string_view text);

}  // namespace posthorn::map
