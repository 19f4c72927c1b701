// smtp_settings - the smtp(8) client's parameters, read and checked once
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "lib/tls/tls.h"

namespace posthorn::config {
class Config;
}
namespace posthorn::tls {
class Context;
}

namespace posthorn::smtp {

// Dane: per MX host, from its TLSA records (smtp_dane.h).
enum class TlsLevel { None, May, Encrypt, Verify, Dane };

// smtp_*_timeout
struct Timeouts {
  std::chrono::seconds connect{}, helo{}, starttls{}, mail{}, rcpt{}, dataInit{}, dataXfer{},
      dataDone{}, rset{}, quit{};
};

// Built only from a config::Config: every default comes from the parameter
// table (lib/config/config_defaults.cc), none is written here.
struct Settings {
  explicit Settings(const config::Config& cfg);  // throws config::ConfigError

  std::string queueDirectory;
  std::string heloName;
  int tcpPort{};  // smtp_tcp_port: for next hops without a port
  Timeouts timeouts;
  int mxAddressLimit{};  // 0 = no limit
  int mxSessionLimit{};
  bool connectionCache{};
  std::chrono::seconds cacheTimeLimit{};
  int reuseCountLimit{};  // 0 = no limit
  bool mtaSts{};     // smtp_mta_sts: honour the MX domains' MTA-STS policies
  int mtaStsPort{};  // smtp_mta_sts_port: the HTTPS port policies are fetched from
  TlsLevel tlsLevel{};
  std::string tlsCaFile, tlsCaPath, tlsCertFile, tlsKeyFile, tlsProtocols;
  bool saslEnabled{};
  std::vector<std::string> saslPasswordMaps;
  bool saslNoPlaintext{};  // smtp_sasl_security_options: PLAIN/LOGIN only over TLS
  std::vector<std::string> saslMechanismFilter;  // upper case; empty = any

  // The client TLS context's settings (smtp_tls_*).
  tls::ClientSettings tlsClient() const;
};

}  // namespace posthorn::smtp
