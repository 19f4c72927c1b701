// check_command - `posthorn check`: validate the configuration (see check_command.h)
#include "tools/check_command.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "lib/access/restriction_list.h"
#include "lib/address/srs.h"
#include "lib/config/config.h"
#include "lib/config/master_conf.h"
#include "lib/dns/dns_resolver.h"
#include "lib/mailauth/dkim_signing_table.h"
#include "lib/mailauth/sender_checks.h"
#include "lib/tls/tls_check.h"
#include "tools/command.h"
#include "tools/map_command.h"

namespace posthorn::tools {

namespace {

constexpr const char* kUsage = "posthorn: fatal: usage: posthorn check [-c DIR]";

class Report {
 public:
  explicit Report(std::ostream& err) : err_(err) {}
  void fatal(const std::string& msg) {
    if (seen_.insert(msg).second) {
      err_ << "posthorn: fatal: " << msg << "\n";
      ++errors_;
    }
  }
  void warning(const std::string& msg) {
    if (seen_.insert(msg).second) err_ << "posthorn: " << msg << "\n";
  }
  int errors() const { return errors_; }

 private:
  std::ostream& err_;
  std::set<std::string> seen_;
  int errors_ = 0;
};

void checkServices(const config::Config& base, const std::vector<config::ServiceEntry>& services,
                   Report& report) {
  for (const config::ServiceEntry& s : services) {
    config::Config cfg = base;
    config::applyOverrides(s, cfg);
    for (const auto& [name, value] : s.overrides) {
      if (config::findParameter(name) == nullptr && !base.isSet(name)) {
        report.warning(s.where() + ": warning: unknown parameter " + name + " in -o override");
      }
    }
    for (const std::string& problem : cfg.validate()) report.fatal(problem);
    try {
      const std::string path = cfg.get("daemon_directory") + "/" + s.command;
      if (s.command.find('/') != std::string::npos) {
        report.fatal(s.where() + ": service " + s.name + ": command \"" + s.command +
                     "\" must be a program name in daemon_directory, not a path");
      } else if (::access(path.c_str(), X_OK) != 0) {
        report.fatal(s.where() + ": service " + s.name + ": command " + s.command +
                     ": no executable " + path);
      }
    } catch (const config::ConfigError& e) {
      report.fatal(e.what());
    }
  }
}

}  // namespace

int runCheck(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  std::string configDir;
  try {
    ArgCursor arg(args, {.permute = false, .endMarker = false});
    while (arg.next()) {
      if (arg.option() != 'c') arg.unknown();
      configDir = arg.value();
    }
    if (!arg.operands().empty()) throw UsageError("no operands");
  } catch (const UsageError&) {
    err << kUsage << "\n";  // the usage says it all
    return 1;
  }
  configDir = configDirectory(configDir);

  Report report(err);
  std::optional<config::Config> cfg;
  try {
    std::vector<std::string> warnings;
    cfg = config::Config::load(configDir, &warnings);
    for (const std::string& w : warnings) report.warning(w);
    for (const std::string& problem : cfg->validate()) report.fatal(problem);
  } catch (const config::ConfigError& e) {
    report.fatal(e.what());
    cfg.reset();
  }

  std::vector<config::ServiceEntry> services;
  try {
    services = config::loadMasterConf(configDir);
  } catch (const config::ConfigError& e) {
    report.fatal(e.what());
  }
  if (cfg) {
    checkServices(*cfg, services, report);
    // smtpd starts at the first client: load its keys now, so that a
    // missing or unreadable one is reported here, not to a client.
    for (const std::string& problem : tls::checkServiceTls(*cfg, services))
      report.fatal(problem);
    // Files the workers read at their start, before the jail: the DNS
    // trust anchors and the Public Suffix List.
    // The resolver is set up as the workers set it up, so that a trust
    // anchor libunbound cannot use is named here.
    try {
      dns::Resolver resolver(dns::ResolverConfig::fromConfig(*cfg));
    } catch (const config::ConfigError& e) {
      report.fatal(e.what());
    } catch (const std::runtime_error& e) {
      report.fatal(cfg->origin("dns_trust_anchor_file").describe() + ": DNS resolver: " + e.what());
    }
    try {
      mailauth::CheckOptions::fromConfig(*cfg);
    } catch (const config::ConfigError& e) {
      report.fatal(e.what());
    }
    // smtpd refuses to start on a restriction list it cannot read, or one
    // that lets any client relay anywhere (Postfix's own check).
    try {
      for (std::string_view param : access::kRestrictionParams) (void)access::parseRestrictions(*cfg, param);
      if (auto problem = access::openRelayProblem(*cfg)) report.fatal(*problem);
    } catch (const config::ConfigError& e) {
      report.fatal(e.what());
    }
    // smtpd, cleanup and local read the SRS secrets at their start.
    try {
      address::SrsCodec::fromConfig(*cfg);
    } catch (const config::ConfigError& e) {
      report.fatal(e.what());
    }
    // mapd reads cidr:, regexp:, pcre:, texthash: and pgsql: files when it
    // opens them: a syntax error is named here, FILE:LINE.
    for (const std::string& problem : tableFileProblems(*cfg)) report.fatal(problem);
    // cleanup reads the DKIM signing table and its keys at its start.
    try {
      if (const std::string table = cfg->get("dkim_signing_maps"); !table.empty())
        mailauth::DkimSigningTable::load(table, cfg->get("config_directory"));
    } catch (const config::ConfigError& e) {
      report.fatal(e.what());
    }
    try {
      const std::string owner = cfg->get("mail_owner");
      if (getpwnam(owner.c_str()) == nullptr) {
        report.warning(cfg->origin("mail_owner").describe() + ": warning: mail_owner " + owner +
                       ": no such user");
      }
      const std::string group = cfg->get("setgid_group");
      if (getgrnam(group.c_str()) == nullptr) {
        report.warning(cfg->origin("setgid_group").describe() + ": warning: setgid_group " +
                       group + ": no such group");
      }
    } catch (const config::ConfigError& e) {
      report.fatal(e.what());
    }
  }
  out.flush();
  return report.errors() == 0 ? 0 : 1;
}

}  // namespace posthorn::tools
