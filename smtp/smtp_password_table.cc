// smtp_password_table - a Berkeley DB hash table copied into memory
#include "smtp/smtp_password_table.h"

#include <db.h>

#include <cstring>

#include "lib/config/config.h"
#include "lib/map/lookup_table.h"

namespace posthorn::smtp {

namespace {

std::map<std::string, std::string> readHash(const std::string& spec, const std::string& path) {
  DB* db = nullptr;
  int ret = db_create(&db, nullptr, 0);
  if (ret != 0) throw config::ConfigError(spec + ": " + db_strerror(ret));
  ret = db->open(db, nullptr, path.c_str(), nullptr, DB_HASH, DB_RDONLY, 0);
  if (ret != 0) {
    db->close(db, 0);
    throw config::ConfigError("smtp_sasl_password_maps: cannot open " + path + ": " + db_strerror(ret) +
                              " (build it with posthorn map " + spec + ")");
  }
  std::map<std::string, std::string> out;
  DBC* cursor = nullptr;
  ret = db->cursor(db, nullptr, &cursor, 0);
  if (ret == 0) {
    DBT k, v;
    std::memset(&k, 0, sizeof k);
    std::memset(&v, 0, sizeof v);
    while ((ret = cursor->get(cursor, &k, &v, DB_NEXT)) == 0)
      out.emplace(std::string(static_cast<const char*>(k.data), k.size),
                  std::string(static_cast<const char*>(v.data), v.size));
    cursor->close(cursor);
  }
  db->close(db, 0);
  if (ret != DB_NOTFOUND)
    throw config::ConfigError("smtp_sasl_password_maps: cannot read " + path + ": " + db_strerror(ret));
  return out;
}

}  // namespace

PasswordTables PasswordTables::load(const std::vector<std::string>& specs) {
  PasswordTables t;
  for (const auto& spec : specs) {
    if (spec.rfind("hash:", 0) != 0)
      throw config::ConfigError("smtp_sasl_password_maps: only hash: tables are supported, not \"" + spec + "\"");
    t.tables_[spec] = readHash(spec, spec.substr(5) + ".db");
  }
  return t;
}

std::optional<std::string> PasswordTables::lookup(std::string_view table, std::string_view key) {
  auto t = tables_.find(table);
  if (t == tables_.end()) throw address::TableLookupError("table " + std::string(table) + " was not loaded");
  auto v = t->second.find(map::foldKey(key));
  if (v == t->second.end()) return std::nullopt;
  return v->second;
}

}  // namespace posthorn::smtp
