// service_table - master.conf entries resolved against posthorn.conf
// (see service_table.h)
#include "master/service_table.h"

#include <set>
#include <stdexcept>

#include "lib/util/privilege.h"

namespace posthorn::master {

bool ServiceSpec::sameAs(const ServiceSpec& o) const {
  return name == o.name && type == o.type && command == o.command && program == o.program &&
         argv == o.argv && addresses == o.addresses && access.mode == o.access.mode &&
         access.uid == o.access.uid && access.gid == o.access.gid && maxproc == o.maxproc &&
         wakeupSeconds == o.wakeupSeconds && wakeupIfUsed == o.wakeupIfUsed;
}

TableSettings TableSettings::fromConfig(const config::Config& cfg, bool verbose) {
  TableSettings s;
  s.configDir = cfg.configDir();
  s.queueDir = cfg.get("queue_directory");
  s.daemonDir = cfg.get("daemon_directory");
  s.inetInterfaces = cfg.getList("inet_interfaces");
  s.inetProtocols = cfg.getList("inet_protocols");
  long long limit = cfg.getInt("default_process_limit");
  if (limit < 0 || limit > 100000)
    throw config::ConfigError(cfg.origin("default_process_limit").describe() +
                              ": default_process_limit: bad value " + std::to_string(limit));
  s.defaultProcessLimit = static_cast<int>(limit);
  s.verbose = verbose;
  s.root = privilege::runningAsRoot();
  if (s.root) {
    privilege::Identity owner = privilege::lookupUser(cfg.get("mail_owner"));
    if (owner.uid == 0)
      throw config::ConfigError(cfg.origin("mail_owner").describe() + ": mail_owner " +
                                owner.name + " must not be a privileged account (uid 0)");
    s.ownerUid = owner.uid;
    s.ownerGid = owner.gid;
  }
  if (s.queueDir.empty() || s.queueDir.front() != '/')
    throw config::ConfigError(cfg.origin("queue_directory").describe() +
                              ": queue_directory must be an absolute path, not \"" +
                              s.queueDir + "\"");
  if (s.daemonDir.empty() || s.daemonDir.front() != '/')
    throw config::ConfigError(cfg.origin("daemon_directory").describe() +
                              ": daemon_directory must be an absolute path, not \"" +
                              s.daemonDir + "\"");
  return s;
}

namespace {

ServiceSpec resolve(const TableSettings& settings, const config::ServiceEntry& e) {
  ServiceSpec spec;
  spec.name = e.name;
  spec.type = std::string(config::serviceTypeName(e.type));
  spec.command = e.command;
  spec.where = e.where();
  if (e.command.empty() || e.command.find('/') != std::string::npos || e.command == "." ||
      e.command == "..")
    throw std::runtime_error("command \"" + e.command +
                             "\" must be a program name in daemon_directory");
  spec.program = settings.daemonDir + "/" + e.command;
  spec.maxproc = e.maxproc ? *e.maxproc : settings.defaultProcessLimit;
  if (spec.maxproc < 0) throw std::runtime_error("maxproc must not be negative");
  spec.wakeupSeconds = e.wakeupSeconds;
  spec.wakeupIfUsed = e.wakeupIfUsed;
  if (spec.wakeupSeconds < 0) throw std::runtime_error("wakeup must not be negative");

  if (e.type == config::ServiceType::Inet) {
    spec.addresses = inetListenAddresses(e.name, e.host, e.port, settings.inetInterfaces,
                                         settings.inetProtocols);
  } else {
    spec.addresses.push_back(unixListenAddress(settings.queueDir, e.name, e.privateService));
    if (e.privateService) {
      spec.access.mode = 0600;
      if (settings.root) {
        spec.access.uid = settings.ownerUid;
        spec.access.gid = settings.ownerGid;
      }
    } else {
      spec.access.mode = 0666;
    }
  }

  spec.argv = {e.command, "-n", e.name, "-t", spec.type, "-c", settings.configDir};
  if (settings.verbose) spec.argv.push_back("-v");
  spec.argv.insert(spec.argv.end(), {"-u", e.unprivileged ? "y" : "n"});
  spec.argv.insert(spec.argv.end(), {"-j", e.chroot ? "y" : "n"});
  for (const auto& [name, value] : e.overrides) {
    spec.argv.push_back("-o");
    spec.argv.push_back(name + "=" + value);
  }
  // A lone "--" keeps arguments that start with '-' from being read as
  // options by the worker.
  if (!e.args.empty() && !e.args.front().empty() && e.args.front().front() == '-')
    spec.argv.push_back("--");
  spec.argv.insert(spec.argv.end(), e.args.begin(), e.args.end());
  return spec;
}

}  // namespace

std::vector<ServiceSpec> buildServiceTable(const TableSettings& settings,
                                           const std::vector<config::ServiceEntry>& entries) {
  std::vector<ServiceSpec> out;
  std::set<std::string> keys;
  for (const auto& e : entries) {
    ServiceSpec spec;
    try {
      spec = resolve(settings, e);
    } catch (const std::exception& ex) {
      throw std::runtime_error(e.where() + ": service " + e.name + ": " + ex.what());
    }
    if (!keys.insert(spec.key()).second)
      throw std::runtime_error(e.where() + ": service " + e.name + "/" + spec.type +
                               " is defined twice");
    out.push_back(std::move(spec));
  }
  return out;
}

}  // namespace posthorn::master
