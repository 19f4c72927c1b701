// master_conf - master.conf, the service table, in Postfix master.cf syntax
//
// One service per logical line:
//   service type private unpriv chroot wakeup maxproc command [args...]
// `-` selects a field's default; `#` starts a comment line; a line that
// starts with white space continues the previous one. Among the arguments,
// the leading options `-o name=value` (or `-o { name = value with spaces }`)
// become per-service parameter overrides; every other argument is passed to
// the command in order. An argument written `{ text }` is one argument with
// the braces and surrounding spaces removed. See master.conf(5).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace posthorn::config {

class Config;

enum class ServiceType { Inet, Unix };

std::string_view serviceTypeName(ServiceType type);  // "inet" / "unix"

struct ServiceEntry {
  std::string name;              // the first field as written
  ServiceType type = ServiceType::Unix;
  bool privateService = true;    // unix: socket in private/ (y) or public/ (n)
  bool unprivileged = true;      // runs as mail_owner
  bool chroot = true;            // chroots to queue_directory
  int wakeupSeconds = 0;         // 0 = no wakeup
  bool wakeupIfUsed = false;     // "60?": wake only once the service was used
  std::optional<int> maxproc;    // nullopt = default_process_limit; 0 = no limit
  std::string command;           // program name in daemon_directory
  std::vector<std::string> args;  // everything after command except -o pairs
  std::vector<std::pair<std::string, std::string>> overrides;  // -o, in order

  // inet services only: the address part ("" = every inet_interfaces
  // address) and the port number (resolved through getservbyname).
  std::string host;
  int port = 0;

  std::string file;
  int line = 0;

  std::string where() const { return file + ":" + std::to_string(line); }
};

// Parses master.conf text as if it were the file `filename`. Throws
// ConfigError "FILE:LINE: ..." on the first problem.
std::vector<ServiceEntry> parseMasterConf(std::string_view text, const std::string& filename);

// Reads DIR/master.conf.
std::vector<ServiceEntry> loadMasterConf(const std::string& configDir);

// Applies the service's -o overrides to cfg (they win over posthorn.conf);
// their origin is the master.conf line.
void applyOverrides(const ServiceEntry& service, Config& cfg);

// Resolves an inet service's port field: a number or a name from
// /etc/services (with a built-in fallback for the mail ports). nullopt when
// neither.
std::optional<int> resolvePort(std::string_view port);

}  // namespace posthorn::config
