// pgsql_map - `pgsql:` tables: lookups in PostgreSQL through libpq, with
// the configuration file of Postfix's pgsql_table(5)
//
//   # /etc/mail/pgsql-aliases.cf, "pgsql:/etc/mail/pgsql-aliases.cf"
//   hosts = inet:127.0.0.1:5432 unix:/var/run/postgresql
//   user = mail
//   password = secret
//   dbname = mail
//   query = SELECT goto FROM alias WHERE address = '%s' AND active
//   result_format = %s
//   domain = example.com, example.net
//   expansion_limit = 0
//
// The file ("name = value" lines, # comments, continuation lines) is read
// when the table is opened, by a process that may read it (mapd, as
// mail_owner, before any lookup; `posthorn map -q`). Parameters:
//  - hosts: tried in the order given until one connects; each is a host
//    name or address ("host", "host:port", "inet:host:port",
//    "inet:[::1]:port") or "unix:/directory" (libpq's socket directory; a
//    path to the socket file ".s.PGSQL.PORT" itself also works).
//  - user, password, dbname: as libpq takes them.
//  - query: the SQL, with %s (the key), %u (the local part of user@domain;
//    the whole key when it has no @), %d (the domain; no query when the
//    key has no @), %1 .. %9 (the domain's labels counted from the right;
//    no query when absent), %% (a %). Every expansion is quoted with
//    PQescapeStringConn for use inside '...'. An empty %u or %d means no
//    query: a miss, as in Postfix.
//  - result_format: how each value is printed; %s %u %d %1-%9 of the value,
//    %S %U %D of the key; default "%s".
//  - domain: when set, only keys user@domain with a non-empty user and a
//    listed domain (a name, or a "type:name" table holding the domain) are
//    looked up; other keys are misses without a query.
//  - expansion_limit: more values than this (0: no limit) is an error.
// Keys are folded to lower case first, as Postfix does for pgsql:. Every
// non-NULL, non-empty column of every row is a value; the values are joined
// with ", "; no value is a miss.
//
// A failure to connect or to run the query throws MapError (a temporary
// failure for the caller), never a miss; the connection is closed and the
// next lookup connects again.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/map/lookup_table.h"

namespace posthorn::map {

struct PgsqlSettings {
  std::vector<std::string> hosts;
  std::string user;
  std::string password;
  std::string dbname;
  std::string query;
  std::string resultFormat = "%s";
  std::vector<std::string> domains;
  long expansionLimit = 0;

  // Parses the .cf text; MapError "FILE:LINE: ..." for a bad line, a
  // parameter we do not know or a bad % expansion, and "FILE: ..." when
  // hosts, dbname or query is missing.
  static PgsqlSettings parse(std::string_view text, const std::string& file);
};

// Expands Postfix's % sequences of query / result_format (see above);
// `quote` is applied to each expanded part. key is the lookup key; value
// is the result value for result_format (nullopt when expanding a query).
// Returns nullopt when the expansion suppresses the query or the result.
std::optional<std::string> expandPgsqlFormat(std::string_view format, std::string_view key,
                                             const std::optional<std::string>& value,
                                             const std::function<std::string(std::string_view)>& quote);

// One libpq host parameter set: "inet:host:port" -> {host, port}.
struct PgsqlHost {
  std::string host;
  std::string port;  // "" for libpq's default
};
PgsqlHost parsePgsqlHost(std::string_view spec);

class PgsqlMap : public LookupTable {
 public:
  // Reads the .cf file; does not connect yet (the first lookup does).
  explicit PgsqlMap(const std::string& path);
  ~PgsqlMap() override;
  PgsqlMap(const PgsqlMap&) = delete;
  PgsqlMap& operator=(const PgsqlMap&) = delete;

  std::optional<std::string> lookup(std::string_view key) override;
  std::string spec() const override { return "pgsql:" + file_; }

 private:
  struct Connection;
  Connection& connection();
  bool domainAllowed(std::string_view key);

  std::string file_;
  PgsqlSettings settings_;
  std::unique_ptr<Connection> conn_;
  std::vector<std::unique_ptr<LookupTable>> domainTables_;
};

}  // namespace posthorn::map
