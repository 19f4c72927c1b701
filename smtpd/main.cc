// smtpd - the SMTP server (see smtpd(8))
//
// master runs it for an inet service (`smtp inet n - y - - smtpd`):
// chrooted to the queue directory and as mail_owner, one client per
// process at a time (as Postfix's smtpd), so that the blocking calls to
// cleanup, mapd and authd hold up nobody else. The TLS key is read before
// the jail, as root. With smtpd_sasl_auth_enable it offers AUTH, checked
// by authd's passdb side at private/authd-passdb (smtpd_cmd_auth.cc).
// The resolver (libunbound) is set up before the jail; the client's name
// is looked up through the loop (smtpd_peername_lookup); the blocking
// resolver of the sender checks also answers the access restrictions'
// DNS lookups (DNSBLs, reject_unknown_*_domain). The per-client limits are
// counted by anvil at private/anvil (smtpd_limits.h).
#include <ctime>
#include <memory>

#include "lib/dns/dns_async.h"
#include "lib/mailauth/dmarc_history.h"
#include "lib/mailauth/sender_checks.h"
#include "lib/queue/queue_dirs.h"
#include "lib/proto/cleanup_client.h"
#include "lib/log/log.h"
#include "lib/proto/map_client.h"
#include "lib/server/daemon_main.h"
#include "lib/tls/tls.h"
#include "lib/proto/userdb_client.h"
#include "lib/proto/passdb_client.h"
#include "lib/proto/anvil_client.h"
#include "smtpd/smtpd_authenticator.h"
#include "smtpd/smtpd_cleanup_sink.h"
#include "smtpd/smtpd_connection.h"
#include "smtpd/smtpd_limits.h"
#include "smtpd/smtpd_lookups.h"
#include "smtpd/smtpd_policy.h"
#include "smtpd/smtpd_settings.h"

using namespace posthorn;

int main(int argc, char** argv) {
  return server::runDaemon(argc, argv, [](server::Worker& worker) {
    const config::Config& cfg = worker.config();
    const smtpd::Settings settings(cfg);
    server::WorkerSettings jail = worker.defaults();
    // Paths as they will be seen from inside the jail.
    const auto path = [&, jailed = worker.chrootsInto(jail.chroot)](const ipc::ServiceName& s) {
      return ipc::servicePath(jail.chroot, jailed, s);
    };
    smtpd::ServiceLookups lookups(cfg, path(mapd::kMapdService), path(userdb::kUserdbService));
    smtpd::CleanupSinkFactory sinks(path(cleanup::kCleanupService));
    std::unique_ptr<smtpd::PassdbAuthenticator> authenticator;  // smtpd_sasl_auth_enable
    if (settings.saslAuthEnable)
      authenticator = std::make_unique<smtpd::PassdbAuthenticator>(path(passdb::kPassdbService));
    std::unique_ptr<smtpd::Policy> policy;
    std::unique_ptr<smtpd::AnvilLimits> limits;  // smtpd_client_*_limit, counted by anvil
    std::shared_ptr<tls::Context> tlsContext;
    std::unique_ptr<smtpd::ConnectionContext> context;
    std::unique_ptr<dns::Resolver> resolver;
    std::unique_ptr<dns::EventResolver> dns;
    std::unique_ptr<dns::Resolver> checksResolver;  // blocking lookups, apart from the loop's
    std::unique_ptr<mailauth::SenderChecks> senderChecks;
    std::unique_ptr<mailauth::DmarcHistory> dmarcHistory;
    if (settings.mailauthChecks && settings.dmarcHistory) {
      const std::string dir(queue::queueDirName(queue::QueueDir::Dmarc));
      dmarcHistory = std::make_unique<mailauth::DmarcHistory>(worker.rootAfterJail(jail.chroot) + "/" + dir);
    }
    jail.preJail = [&] {
      ::tzset();  // the time zone file is outside the jail
      // resolv.conf and the trust anchors are outside the jail too.
      if (settings.peernameLookup) resolver = std::make_unique<dns::Resolver>(dns::ResolverConfig::fromConfig(cfg));
      if (settings.mailauthChecks || settings.restrictionsUseDns())
        checksResolver = std::make_unique<dns::Resolver>(dns::ResolverConfig::fromConfig(cfg));
      if (settings.mailauthChecks) {  // the Public Suffix List too
        senderChecks = std::make_unique<mailauth::SenderChecks>(*checksResolver, mailauth::CheckOptions::fromConfig(cfg));
      }
      policy = std::make_unique<smtpd::Policy>(settings, lookups);  // reads mynetworks files
      policy->restrictions().setResolver(checksResolver.get());  // DNSBLs, unknown domains
      if (settings.tlsLevel != smtpd::TlsLevel::None || settings.tlsWrapperMode) {
        tlsContext = tls::serverContext({.certFile = settings.tlsCertFile,
                                         .keyFile = settings.tlsKeyFile,
                                         .protocols = settings.tlsProtocols,
                                         .ciphers = settings.tlsCiphers},
                                        "smtpd_tls_protocols");
      }
      if (settings.anyClientLimit()) {  // reads the exceptions' files
        const std::string service = worker.options().service;
        limits = std::make_unique<smtpd::AnvilLimits>(
            settings, service, smtpd::AnvilLimits::anvilCounter(path(anvil::kAnvilService), service));
      }
      context = std::make_unique<smtpd::ConnectionContext>(
          smtpd::ConnectionContext{settings, *policy, sinks, tlsContext, authenticator.get(), nullptr,
                                   senderChecks.get(), dmarcHistory.get(), limits.get()});
    };
    jail.postJail = [&] {
      if (!resolver) return;
      dns = std::make_unique<dns::EventResolver>(worker.eventBase(), *resolver);
      context->dns = dns.get();
    };
    return worker.run(jail, [&](server::Connection conn) {
      smtpd::SmtpConnection::serve(worker.eventBase(), std::move(conn), *context);
    });
  });
}
