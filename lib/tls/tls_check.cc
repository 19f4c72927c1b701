// tls_check - builds each smtpd service's TLS context once (see tls_check.h)
#include "lib/tls/tls_check.h"

#include "lib/tls/tls.h"
#include "lib/util/ascii.h"

namespace posthorn::tls {

std::vector<std::string> checkServiceTls(const config::Config& cfg,
                                         const std::vector<config::ServiceEntry>& services) {
  std::vector<std::string> errors;
  for (const auto& service : services) {
    if (service.command != "smtpd") continue;
    const std::string where = service.where() + ": service " + service.name + ": ";
    try {
      config::Config c = cfg;
      config::applyOverrides(service, c);
      const std::string level = util::lower(c.get("smtpd_tls_security_level"));
      const bool wrapper = c.getBool("smtpd_tls_wrappermode");
      tls::ServerSettings ts;
      ts.certFile = c.get("smtpd_tls_cert_file");
      ts.keyFile = c.get("smtpd_tls_key_file");
      ts.protocols = c.get("smtpd_tls_protocols");
      ts.ciphers = c.get("smtpd_tls_ciphers");
      const bool wanted = wrapper || level == "may" || level == "encrypt" ||
                          (level.empty() && !ts.certFile.empty());
      if (!wanted) continue;
      if (ts.certFile.empty()) {
        errors.push_back(where + (wrapper ? "smtpd_tls_wrappermode = yes" : "smtpd_tls_security_level = " + level) +
                         " needs smtpd_tls_cert_file");
        continue;
      }
      tls::Context::server(ts);
    } catch (const std::exception& e) {
      errors.push_back(where + e.what());
    }
  }
  return errors;
}

}  // namespace posthorn::tls
