// smtp_settings - reading smtp_* parameters (see smtp(8), posthorn.conf(5))
#include "smtp/smtp_settings.h"

#include "lib/config/config.h"
#include "smtp/smtp_destination.h"

namespace posthorn::smtp {

namespace {

std::chrono::seconds positiveTime(const config::Config& cfg, const char* name) {
  const auto t = cfg.getTime(name);
  if (t.count() <= 0) throw config::ConfigError(std::string(name) + ": must be at least 1s");
  return t;
}

int nonNegative(const config::Config& cfg, const char* name) {
  const long long n = cfg.getInt(name);
  if (n < 0 || n > 1000000) throw config::ConfigError(std::string(name) + ": out of range: " + std::to_string(n));
  return static_cast<int>(n);
}

}  // namespace

Settings::Settings(const config::Config& cfg) {
  queueDirectory = cfg.get("queue_directory");
  heloName = cfg.get("smtp_helo_name");
  if (heloName.empty()) throw config::ConfigError("smtp_helo_name: must not be empty");
  tcpPort = servicePort(cfg.get("smtp_tcp_port"));
  if (tcpPort == 0) throw config::ConfigError("smtp_tcp_port: not a port number or known service: \"" + cfg.get("smtp_tcp_port") + "\"");
  timeouts.connect = positiveTime(cfg, "smtp_connect_timeout");
  timeouts.helo = positiveTime(cfg, "smtp_helo_timeout");
  timeouts.starttls = positiveTime(cfg, "smtp_starttls_timeout");
  timeouts.mail = positiveTime(cfg, "smtp_mail_timeout");
  timeouts.rcpt = positiveTime(cfg, "smtp_rcpt_timeout");
  timeouts.dataInit = positiveTime(cfg, "smtp_data_init_timeout");
  timeouts.dataXfer = positiveTime(cfg, "smtp_data_xfer_timeout");
  timeouts.dataDone = positiveTime(cfg, "smtp_data_done_timeout");
  timeouts.rset = positiveTime(cfg, "smtp_rset_timeout");
  timeouts.quit = positiveTime(cfg, "smtp_quit_timeout");
  mxAddressLimit = nonNegative(cfg, "smtp_mx_address_limit");
  mxSessionLimit = nonNegative(cfg, "smtp_mx_session_limit");
  connectionCache = cfg.getBool("smtp_connection_cache_on_demand");
  cacheTimeLimit = cfg.getTime("smtp_connection_cache_time_limit");
  reuseCountLimit = nonNegative(cfg, "smtp_connection_reuse_count_limit");
  const std::string level = cfg.get("smtp_tls_security_level");
  if (level.empty() || level == "none") tlsLevel = TlsLevel::None;
  else if (level == "may") tlsLevel = TlsLevel::May;
  else if (level == "encrypt") tlsLevel = TlsLevel::Encrypt;
  else if (level == "verify" || level == "secure") tlsLevel = TlsLevel::Verify;
  else if (level == "dane") tlsLevel = TlsLevel::Dane;
  else
    throw config::ConfigError("smtp_tls_security_level: unknown level \"" + level +
                              "\" (expected none, may, encrypt, dane, verify or secure)");
  mtaSts = cfg.getBool("smtp_mta_sts");
  const long long stsPort = cfg.getInt("smtp_mta_sts_port");
  if (stsPort < 1 || stsPort > 65535) throw config::ConfigError("smtp_mta_sts_port: must be 1 to 65535");
  mtaStsPort = static_cast<int>(stsPort);
  tlsCaFile = cfg.get("smtp_tls_CAfile");
  tlsCaPath = cfg.get("smtp_tls_CApath");
  tlsCertFile = cfg.get("smtp_tls_cert_file");
  tlsKeyFile = cfg.get("smtp_tls_key_file");
  tlsProtocols = cfg.get("smtp_tls_protocols");
  saslEnabled = cfg.getBool("smtp_sasl_auth_enable");
  saslPasswordMaps = cfg.getList("smtp_sasl_password_maps");
  saslNoPlaintext = false;
  for (const auto& o : cfg.getList("smtp_sasl_security_options")) {
    if (o == "noplaintext") saslNoPlaintext = true;
    else if (o != "noanonymous" && o != "noactive" && o != "nodictionary" && o != "mutual_auth" &&
             o != "forward_secrecy")
      throw config::ConfigError("smtp_sasl_security_options: unknown option \"" + o + "\"");
  }
  saslMechanismFilter = cfg.getKeywordList("smtp_sasl_mechanism_filter");
  if (saslEnabled && saslPasswordMaps.empty())
    throw config::ConfigError("smtp_sasl_auth_enable = yes needs smtp_sasl_password_maps");
}

tls::ClientSettings Settings::tlsClient() const {
  tls::ClientSettings ts;
  ts.caFile = tlsCaFile;
  ts.caPath = tlsCaPath;
  ts.certFile = tlsCertFile;
  ts.keyFile = tlsKeyFile;
  ts.protocols = tlsProtocols;
  ts.verifyPeer = tlsLevel == TlsLevel::Verify;
  ts.dane = tlsLevel == TlsLevel::Dane;
  return ts;
}

}  // namespace posthorn::smtp
