// hash_map - the read side of a `hash:` table (a Berkeley DB DB_HASH file)
//
// "hash:/etc/mail/aliases" is the file /etc/mail/aliases.db, built from the
// text file /etc/mail/aliases by `posthorn map` or `newaliases`
// (lib/map/map_builder.h). A HashMap opens the .db read-only and answers
// lookups. Rebuilds replace the .db by rename(2), so an open HashMap keeps
// reading the complete old file; before each lookup it stats the path and,
// when the file there is another one (inode, size or mtime changed), opens
// the new file first. A long-running process (mapd) therefore sees a rebuilt
// table on its next lookup, without a restart, and never a half-built one.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "lib/map/lookup_table.h"

namespace posthorn::map {

class HashMap : public LookupTable {
 public:
  // Opens SOURCE.db, where sourcePath is the table name ("hash:SOURCE").
  // Throws MapError naming the .db path when it is missing or unreadable.
  explicit HashMap(std::string sourcePath);
  ~HashMap() override;
  HashMap(const HashMap&) = delete;
  HashMap& operator=(const HashMap&) = delete;

  std::optional<std::string> lookup(std::string_view key) override;
  std::string spec() const override { return "hash:" + sourcePath_; }

  const std::string& dbPath() const { return dbPath_; }
  // How many times the .db was opened (1 + reopens after rebuilds).
  unsigned opens() const { return opens_; }

 private:
  struct Handle;
  void reopenIfChanged();

  std::string sourcePath_;
  std::string dbPath_;
  std::unique_ptr<Handle> handle_;
  unsigned opens_ = 0;
};

// The .db file that holds the table named sourcePath.
inline std::string hashDbPath(const std::string& sourcePath) { return sourcePath + ".db"; }

}  // namespace posthorn::map
