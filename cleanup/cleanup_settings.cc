// cleanup_settings - reads cleanup's parameters from posthorn.conf
#include "cleanup/cleanup_settings.h"

#include <string_view>

namespace posthorn::cleanup {
namespace {

// header_size_limit and hopcount_limit keep their Postfix defaults even in
// a build whose parameter table does not list them yet.
std::uint64_t sizeParam(const config::Config& cfg, std::string_view name, std::uint64_t fallback) {
  if (!cfg.isSet(name) && !cfg.defaultValue(name)) return fallback;
  return cfg.getSize(name);
}

long long intParam(const config::Config& cfg, std::string_view name, long long fallback) {
  if (!cfg.isSet(name) && !cfg.defaultValue(name)) return fallback;
  return cfg.getInt(name);
}

[[noreturn]] void bad(std::string_view name, const std::string& why) {
  throw config::ConfigError(std::string(name) + ": " + why);
}

}  // namespace

Settings::Settings(const config::Config& cfg) {
  queueDirectory = cfg.get("queue_directory");
  mailOwner = cfg.get("mail_owner");
  maxUse = static_cast<int>(cfg.getInt("max_use"));
  if (maxUse < 0) maxUse = 0;
  maxIdle = cfg.getTime("max_idle");
  if (queueDirectory.empty()) bad("queue_directory", "must not be empty");

  session.myhostname = cfg.get("myhostname");
  session.myorigin = cfg.get("myorigin");
  if (session.myhostname.empty()) bad("myhostname", "must not be empty");
  if (session.myorigin.empty()) session.myorigin = session.myhostname;
  session.messageSizeLimit = cfg.getSize("message_size_limit");
  const std::uint64_t headerLimit = sizeParam(cfg, "header_size_limit", 102400);
  if (headerLimit < 1024) bad("header_size_limit", "must be at least 1024 bytes");
  session.headerSizeLimit = static_cast<std::size_t>(headerLimit);
  const long long hops = intParam(cfg, "hopcount_limit", 50);
  if (hops < 1 || hops > 100000) bad("hopcount_limit", "must be between 1 and 100000");
  session.hopcountLimit = static_cast<int>(hops);
  session.ipcTimeout = cfg.getTime("ipc_timeout");
  session.messageTimeout = cfg.getTime("daemon_timeout");
  session.idleTimeout = maxIdle.count() > 0 ? maxIdle : std::chrono::seconds(100);
  if (session.ipcTimeout.count() <= 0) bad("ipc_timeout", "must be positive");
  if (session.messageTimeout.count() <= 0) bad("daemon_timeout", "must be positive");
}

}  // namespace posthorn::cleanup
