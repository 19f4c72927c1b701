// pop3_settings - popd's parameters from posthorn.conf (see popd(8))
#include "popd/pop3_settings.h"

namespace posthorn::popd {

Settings::Settings(const config::Config& cfg) {
  queueDirectory = cfg.get("queue_directory");
  mailOwner = cfg.get("mail_owner");
  homeMailbox = cfg.get("home_mailbox");
  mailboxService = cfg.get("popd_mailbox_service");
  if (mailboxService.empty() || mailboxService.find('/') != std::string::npos)
    throw config::ConfigError("popd_mailbox_service: a service name without '/' is needed");
  tlsWrapperMode = cfg.getBool("popd_tls_wrappermode");
  tlsCertFile = cfg.get("popd_tls_cert_file");
  tlsKeyFile = cfg.get("popd_tls_key_file");
  tlsProtocols = cfg.get("popd_tls_protocols");
  tlsCiphers = cfg.get("popd_tls_ciphers");
  if (tlsWrapperMode && tlsCertFile.empty())
    throw config::ConfigError("popd_tls_wrappermode = yes needs popd_tls_cert_file");
  disablePlaintextAuth = cfg.getBool("popd_disable_plaintext_auth");
  timeout = cfg.getTime("popd_timeout");
  if (timeout.count() <= 0) throw config::ConfigError("popd_timeout: must be more than 0");
  const long long limit = cfg.getInt("popd_line_length_limit");
  if (limit < 255 || limit > 1048576)
    throw config::ConfigError("popd_line_length_limit: must be between 255 and 1048576");
  lineLengthLimit = static_cast<std::size_t>(limit);
  const long long bad = cfg.getInt("popd_max_bad_commands");
  if (bad < 1) throw config::ConfigError("popd_max_bad_commands: must be at least 1");
  maxBadCommands = static_cast<int>(bad);
  maxUse = static_cast<int>(cfg.getInt("max_use"));
  if (maxUse < 0) maxUse = 0;
  maxIdle = cfg.getTime("max_idle");
}

}  // namespace posthorn::popd
