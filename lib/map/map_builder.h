// map_builder - builds a `hash:` table's .db file from its text source
//
// The rebuild is atomic: the new table is written to a temporary file with a
// unique name (created with O_EXCL) in the same directory as SOURCE.db,
// synced (DB->sync, then fsync), closed, renamed over SOURCE.db, and the
// directory is fsynced. Readers (lib/map/hash_map.h) see either the old complete
// table or the new complete one. Any failure (unreadable source, a syntax
// error, a full disk) removes the temporary file and leaves the old table as
// it was.
//
// The .db file gets the source file's permission bits (a private table stays
// private) and, when the builder runs as root, the source file's owner and
// group, so the table is readable by whoever could read its source.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <sys/types.h>
#include <vector>

#include "lib/map/map_source.h"

namespace posthorn::map {

struct BuildReport {
  std::string dbPath;
  std::size_t entries = 0;
  std::vector<std::string> warnings;  // duplicate keys, "FILE:LINE: ..."
};

// Reads sourcePath in the given format and writes sourcePath + ".db".
// Throws MapError (naming the file, and FILE:LINE for syntax errors).
BuildReport buildHashMap(const std::string& sourcePath, SourceFormat format);

struct DbFileAttributes {
  mode_t mode = 0644;
  std::optional<uid_t> uid;  // chown only when set
  std::optional<gid_t> gid;
};

// Writes entries (keys already folded, no duplicates) to dbPath atomically.
void writeHashMap(const std::string& dbPath, const std::vector<SourceEntry>& entries,
                  const DbFileAttributes& attributes = {});

}  // namespace posthorn::map
