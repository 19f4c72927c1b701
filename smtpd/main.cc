// smtpd - the SMTP server (see smtpd(8))
//
// master runs it for an inet service (`smtp inet n - y - - smtpd`):
// chrooted to the queue directory and as mail_owner, one client per
// process at a time (as Postfix's smtpd), so that the blocking calls to
// cleanup, mapd and authd hold up nobody else. The TLS key is read before
// the jail, as root. With smtpd_sasl_auth_enable it offers AUTH, checked
// by authd's passdb side at private/authd-passdb (smtpd_cmd_auth.cc).
#include <cstdio>
#include <ctime>
#include <exception>
#include <memory>

#include "lib/proto/cleanup_client.h"
#include "lib/config/config.h"
#include "lib/log/log.h"
#include "lib/proto/map_client.h"
#include "lib/util/privilege.h"
#include "lib/server/server.h"
#include "lib/tls/tls.h"
#include "lib/proto/userdb_client.h"
#include "lib/proto/passdb_client.h"
#include "smtpd/smtpd_authenticator.h"
#include "smtpd/smtpd_cleanup_sink.h"
#include "smtpd/smtpd_connection.h"
#include "smtpd/smtpd_lookups.h"
#include "smtpd/smtpd_policy.h"
#include "smtpd/smtpd_settings.h"

using namespace posthorn;

int main(int argc, char** argv) {
  try {
    const auto options = server::Options::fromArgv(argc, argv);
    server::Worker worker(options);
    const config::Config& cfg = worker.config();
    const smtpd::Settings settings(cfg);

    // Inside the jail, the queue directory is "/".
    const bool chrooted =
        privilege::runningAsRoot() && options.chroot && !settings.queueDirectory.empty();
    smtpd::ServiceLookups lookups(
        cfg, ipc::servicePath(settings.queueDirectory, chrooted, mapd::kMapdService),
        ipc::servicePath(settings.queueDirectory, chrooted, userdb::kUserdbService));
    smtpd::CleanupSinkFactory sinks(
        ipc::servicePath(settings.queueDirectory, chrooted, cleanup::kCleanupService));
    // SASL: authd's passdb socket (smtpd_sasl_auth_enable).
    std::unique_ptr<smtpd::PassdbAuthenticator> authenticator;
    if (settings.saslAuthEnable) {
      authenticator = std::make_unique<smtpd::PassdbAuthenticator>(
          ipc::servicePath(settings.queueDirectory, chrooted, passdb::kPassdbService));
    }
    std::unique_ptr<smtpd::Policy> policy;
    std::shared_ptr<tls::Context> tlsContext;
    std::unique_ptr<smtpd::ConnectionContext> context;

    server::WorkerSettings jail;
    jail.chroot = settings.queueDirectory;
    jail.user = settings.mailOwner;
    jail.networkFacing = true;
    jail.clientLimit = 1;
    jail.maxUse = settings.maxUse;
    jail.maxIdle = settings.maxIdle;
    jail.preJail = [&] {
      ::tzset();  // the time zone file is outside the jail
      policy = std::make_unique<smtpd::Policy>(settings, lookups);  // reads mynetworks files
      if (settings.tlsLevel != smtpd::TlsLevel::None || settings.tlsWrapperMode) {
        tlsContext = tls::serverContext({.certFile = settings.tlsCertFile,
                                         .keyFile = settings.tlsKeyFile,
                                         .protocols = settings.tlsProtocols,
                                         .ciphers = settings.tlsCiphers},
                                        "smtpd_tls_protocols");
      }
      context = std::make_unique<smtpd::ConnectionContext>(
          smtpd::ConnectionContext{settings, *policy, sinks, tlsContext, authenticator.get()});
    };
    return worker.run(jail, [&](server::Connection conn) {
      smtpd::SmtpConnection::serve(worker.eventBase(), std::move(conn), *context);
    });
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "smtpd: %s\n", e.what());
    log::error("%s", e.what());
    return 1;
  } catch (const tls::TlsError& e) {
    std::fprintf(stderr, "smtpd: fatal: %s\n", e.what());
    log::error("fatal: %s", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smtpd: fatal: %s\n", e.what());
    log::error("fatal: %s", e.what());
    return 1;
  }
}
