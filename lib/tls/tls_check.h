// tls_check - loads the TLS certificate and key of every smtpd service, ahead of time
//
// master starts smtpd only when a client connects, so a missing or
// unreadable key would otherwise surface at the first client. `posthorn
// check` and `posthorn start` call this to report it at once:
//
//   for (const auto& e : tls::checkServiceTls(cfg, config::loadMasterConf(dir)))
//     err << "posthorn: fatal: " << e << '\n';
//
// For each master.conf service whose command is smtpd, posthorn.conf with
// that service's -o overrides decides whether TLS is on
// (smtpd_tls_security_level may/encrypt, or smtpd_tls_wrappermode) and
// which files to load; the context is built exactly as smtpd builds it
// (lib/tls/tls.h). Run it with smtpd's privileges at that step (root) for the
// answer smtpd will get.
#pragma once

#include <string>
#include <vector>

#include "lib/config/config.h"
#include "lib/config/master_conf.h"

namespace posthorn::tls {

// "FILE:LINE: service NAME: smtpd_tls_key_file ...: why" for each service
// whose TLS setup fails; empty when all load.
std::vector<std::string> checkServiceTls(const config::Config& cfg,
                                         const std::vector<config::ServiceEntry>& services);

}  // namespace posthorn::tls
