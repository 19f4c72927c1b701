// smtp_password_table - smtp_sasl_password_maps, read before the jail
//
// The agent runs chrooted, where /etc/mail is out of reach, and a hash:
// table there cannot be reopened or even stat'ed. So the password tables
// are read whole before the jail (they are small: one line per relay) and
// answered from memory; a rebuilt table is seen by the next agent process
// (agents exit after max_use requests or max_idle).
//
//   auto tables = PasswordTables::load(settings.saslPasswordMaps);  // throws
//   tables.lookup("hash:/etc/mail/sasl_passwd", "[relay.example.com]:587");
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/map/table_lookup.h"

namespace posthorn::smtp {

class PasswordTables : public address::TableLookup {
 public:
  // "hash:PATH" tables (PATH.db). Throws config::ConfigError naming the
  // table for another type or a file that cannot be read.
  static PasswordTables load(const std::vector<std::string>& specs);

  std::optional<std::string> lookup(std::string_view table, std::string_view key) override;

 private:
  std::map<std::string, std::map<std::string, std::string>, std::less<>> tables_;
};

}  // namespace posthorn::smtp
