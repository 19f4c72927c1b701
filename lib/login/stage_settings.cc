// stage_settings - reads the parameters popd and imapd share (see stage_settings.h)
#include "lib/login/stage_settings.h"

namespace posthorn::stage {

StageSettings::StageSettings(const config::Config& cfg, std::string_view prefix) {
  const std::string p(prefix);
  queueDirectory = cfg.get("queue_directory");
  homeMailbox = cfg.get("home_mailbox");
  mailboxService = cfg.get(p + "_mailbox_service");
  if (mailboxService.empty() || mailboxService.find('/') != std::string::npos)
    throw config::ConfigError(p + "_mailbox_service: a service name without '/' is needed");
  tlsWrapperMode = cfg.getBool(p + "_tls_wrappermode");
  tlsCertFile = cfg.get(p + "_tls_cert_file");
  tlsKeyFile = cfg.get(p + "_tls_key_file");
  tlsProtocols = cfg.get(p + "_tls_protocols");
  tlsCiphers = cfg.get(p + "_tls_ciphers");
  if (tlsWrapperMode && tlsCertFile.empty())
    throw config::ConfigError(p + "_tls_wrappermode = yes needs " + p + "_tls_cert_file");
  disablePlaintextAuth = cfg.getBool(p + "_disable_plaintext_auth");
}

}  // namespace posthorn::stage
