// service_table - what master runs: master.conf entries resolved against
// posthorn.conf
//
// A ServiceSpec is everything master needs to run one master.conf service,
// fixed when the files are read: the program path under daemon_directory,
// the exact argv (lib/server/server.h), the socket addresses and the socket mode
// and owner. Two specs that compare equal describe the same service, so a
// reload keeps that service's listeners and workers untouched.
#pragma once

#include <string>
#include <vector>

#include "lib/config/config.h"
#include "lib/config/master_conf.h"
#include "master/listener.h"

namespace posthorn::master {

struct ServiceSpec {
  std::string name;         // master.conf's first field
  std::string type;         // "inet" or "unix"
  std::string command;      // as written in master.conf
  std::string program;      // daemon_directory/command
  std::vector<std::string> argv;  // argv[0] = command
  std::vector<ListenAddress> addresses;
  UnixSocketAccess access;  // unix sockets only
  int maxproc = 0;          // 0 = no limit
  int wakeupSeconds = 0;    // 0 = none
  bool wakeupIfUsed = false;
  std::string where;        // "master.conf:12"

  // "name/type", the identity a reload matches services by.
  std::string key() const { return name + "/" + type; }
  // Everything but `where` equal: the same service.
  bool sameAs(const ServiceSpec& other) const;
  // "smtp/inet (master.conf:12)"
  std::string describe() const { return key() + " (" + where + ")"; }
};

// What master needs from posthorn.conf to resolve services.
struct TableSettings {
  std::string configDir;
  std::string queueDir;
  std::string daemonDir;
  std::vector<std::string> inetInterfaces;
  std::vector<std::string> inetProtocols;
  int defaultProcessLimit{};  // default_process_limit
  bool verbose = false;  // pass -v to every worker
  bool root = false;     // master runs as root: private sockets go to mail_owner
  uid_t ownerUid = static_cast<uid_t>(-1);
  gid_t ownerGid = static_cast<gid_t>(-1);

  // Reads the settings above from posthorn.conf (mail_owner is looked up
  // when running as root). Throws config::ConfigError or
  // privilege::PrivilegeError.
  static TableSettings fromConfig(const config::Config& cfg, bool verbose);
};

// Resolves every entry. Throws std::runtime_error "master.conf:LINE:
// service NAME: why" on the first entry that cannot run (duplicate name,
// bad address, bad command name).
std::vector<ServiceSpec> buildServiceTable(const TableSettings& settings,
                                           const std::vector<config::ServiceEntry>& entries);

}  // namespace posthorn::master
