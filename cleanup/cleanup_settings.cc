// cleanup_settings - reads cleanup's parameters from posthorn.conf
#include "cleanup/cleanup_settings.h"

#include <string_view>

#include "lib/queue/queue_dirs.h"

namespace posthorn::cleanup {
namespace {

[[noreturn]] void bad(std::string_view name, const std::string& why) {
  throw config::ConfigError(std::string(name) + ": " + why);
}

// The first rsa-sha256 key the signing table names for the sealing domain.
std::shared_ptr<const mailauth::ArcSealer> arcSealerFor(const config::Config& cfg,
                                                       const mailauth::DkimSigningTable* table) {
  std::string domain = cfg.get("arc_sealing_domain");
  for (char& c : domain) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  if (domain.empty() || table == nullptr) return nullptr;
  for (const auto& key : table->keysFor(domain))
    if (key->algorithm == "rsa-sha256") return std::make_shared<const mailauth::ArcSealer>(key);
  return nullptr;
}

}  // namespace

Settings::Settings(const config::Config& cfg) {
  queueDirectory = cfg.get("queue_directory");
  if (queueDirectory.empty()) bad("queue_directory", "must not be empty");

  session.myhostname = cfg.get("myhostname");
  session.myorigin = cfg.get("myorigin");
  if (session.myhostname.empty()) bad("myhostname", "must not be empty");
  if (session.myorigin.empty()) session.myorigin = cfg.without("myorigin").get("myorigin");
  session.authservId = cfg.get("authserv_id");
  if (session.authservId.empty()) session.authservId = session.myhostname;
  session.messageSizeLimit = cfg.getSize("message_size_limit");
  const std::uint64_t headerLimit = cfg.getSize("header_size_limit");
  if (headerLimit < 1024) bad("header_size_limit", "must be at least 1024 bytes");
  session.headerSizeLimit = static_cast<std::size_t>(headerLimit);
  const long long hops = cfg.getInt("hopcount_limit");
  if (hops < 1 || hops > 100000) bad("hopcount_limit", "must be between 1 and 100000");
  session.hopcountLimit = static_cast<int>(hops);
  session.ipcTimeout = cfg.getTime("ipc_timeout");
  session.messageTimeout = cfg.getTime("daemon_timeout");
  // max_idle = 0 keeps the worker forever; a connection still idles out
  // after max_idle's default.
  const std::chrono::seconds maxIdle = cfg.getTime("max_idle");
  session.idleTimeout =
      maxIdle.count() > 0 ? maxIdle : cfg.without("max_idle").getTime("max_idle");
  if (session.ipcTimeout.count() <= 0) bad("ipc_timeout", "must be positive");
  if (session.messageTimeout.count() <= 0) bad("daemon_timeout", "must be positive");
  session.srs = address::SrsCodec::fromConfig(cfg);
  const std::string signing = cfg.get("dkim_signing_maps");
  if (!signing.empty()) {
    auto table = mailauth::DkimSigningTable::load(signing, cfg.get("config_directory"));
    if (!table.empty()) {
      session.dkimTable = std::make_shared<const mailauth::DkimSigningTable>(std::move(table));
      session.dkimSigner = std::make_shared<mailauth::DkimSigner>();
    }
  }
  session.arcSealer = arcSealerFor(cfg, session.dkimTable.get());
}

void Settings::connectRewriting(const config::Config& cfg, const std::string& mapdSocket) {
  if (Rewriting::wanted(cfg)) session.rewriting = std::make_shared<Rewriting>(cfg, mapdSocket);
}

void Settings::placeIn(const std::string& root) {
  session.incomingDir = root + "/" + std::string(queue::queueDirName(queue::QueueDir::Incoming));
  session.qmgrTrigger = root + "/" + std::string(queue::queueDirName(queue::QueueDir::Public)) + "/qmgr";
}

}  // namespace posthorn::cleanup
