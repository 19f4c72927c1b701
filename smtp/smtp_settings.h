// smtp_settings - the smtp(8) client's parameters, read and checked once
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace posthorn::config {
class Config;
}
namespace posthorn::tls {
class Context;
}

namespace posthorn::smtp {

enum class TlsLevel { None, May, Encrypt, Verify };

struct Timeouts {
  std::chrono::seconds connect{30}, helo{300}, starttls{300}, mail{300}, rcpt{300},
      dataInit{120}, dataXfer{180}, dataDone{600}, rset{20}, quit{300};
};

struct Settings {
  explicit Settings(const config::Config& cfg);  // throws config::ConfigError

  std::string queueDirectory;
  std::string heloName;
  int tcpPort = 25;  // smtp_tcp_port: for next hops without a port
  Timeouts timeouts;
  int mxAddressLimit = 5;  // 0 = no limit
  int mxSessionLimit = 2;
  bool connectionCache = true;
  std::chrono::seconds cacheTimeLimit{2};
  int reuseCountLimit = 0;  // 0 = no limit
  TlsLevel tlsLevel = TlsLevel::May;
  std::string tlsCaFile, tlsCaPath, tlsCertFile, tlsKeyFile, tlsProtocols;
  bool saslEnabled = false;
  std::vector<std::string> saslPasswordMaps;
  bool saslNoPlaintext = true;  // PLAIN/LOGIN only over TLS
  std::vector<std::string> saslMechanismFilter;  // upper case; empty = any
  int maxUse = 100;
  std::chrono::seconds maxIdle{100};
};

}  // namespace posthorn::smtp
