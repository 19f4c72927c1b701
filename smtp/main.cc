// smtp - the SMTP client delivery agent (see smtp(8))
//
// master runs it as `smtp unix - - y - - smtp`: a private service,
// chrooted to the queue directory and running as mail_owner. Before the
// jail it reads what it cannot reach afterwards: the DNS servers
// (/etc/resolv.conf unless dns_servers is set), the TLS CA and client
// certificate files, and the SASL password tables. It serves one qmgr
// connection at a time (smtp_requests.h); an idle connection to a
// destination is kept between requests (smtp_delivery.h). Its TLS sessions
// with MX hosts go to the queue directory's tls-rpt/ (tls_rpt_log.h).
#include <chrono>
#include <exception>
#include <memory>

#include "lib/dns/dns_resolver.h"
#include "lib/ipc/ipc.h"
#include "lib/log/log.h"
#include "lib/queue/queue_dirs.h"
#include "lib/server/daemon_main.h"
#include "lib/tls/tls.h"
#include "smtp/mta_sts.h"
#include "smtp/smtp_delivery.h"
#include "smtp/smtp_password_table.h"
#include "smtp/smtp_requests.h"
#include "smtp/smtp_settings.h"
#include "smtp/tls_rpt_log.h"

using namespace posthorn;

int main(int argc, char** argv) {
  return server::runDaemon(argc, argv, [](server::Worker& worker) {
    const smtp::Settings settings(worker.config());
    server::WorkerSettings jail = worker.defaults();  // one qmgr connection at a time
    const std::string queueRoot = worker.rootAfterJail(jail.chroot);
    dns::Resolver resolver(dns::ResolverConfig::fromConfig(worker.config()));
    std::shared_ptr<tls::Context> tlsContext;
    std::shared_ptr<tls::Context> stsContext;  // MTA-STS policy fetches: always verified
    std::unique_ptr<smtp::MtaSts> mtaSts;
    // TLS-RPT: every TLS session with a recipient domain's MX hosts.
    smtp::TlsRptLog tlsRpt(queueRoot + "/" + std::string(queue::queueDirName(queue::QueueDir::TlsRpt)));
    smtp::PasswordTables tables;
    std::unique_ptr<smtp::SmtpDelivery> delivery;
    jail.preJail = [&] {
      if (settings.tlsLevel != smtp::TlsLevel::None || settings.mtaSts)
        tlsContext = tls::Context::client(settings.tlsClient());
      if (settings.mtaSts) {
        tls::ClientSettings verified = settings.tlsClient();
        verified.verifyPeer = true;
        verified.dane = false;
        stsContext = tls::Context::client(verified);
        const std::string cache = queueRoot + "/" + std::string(queue::queueDirName(queue::QueueDir::MtaSts));
        mtaSts = std::make_unique<smtp::MtaSts>(resolver, stsContext.get(), cache, settings.mtaStsPort,
                                                std::chrono::seconds(20));
      }
      // The password tables now: they are out of reach in the jail.
      if (settings.saslEnabled) tables = smtp::PasswordTables::load(settings.saslPasswordMaps);
    };
    return worker.run(jail, [&](server::Connection conn) {
      if (!delivery)
        delivery = std::make_unique<smtp::SmtpDelivery>(settings, resolver, tlsContext.get(), &tables, mtaSts.get(),
                                                          &tlsRpt);
      ipc::Channel channel(conn.fd);
      channel.setTimeout(std::chrono::seconds(3600));
      try {
        smtp::serveRequests(channel, conn.fd, queueRoot, *delivery);
      } catch (const std::exception& e) {
        log::warning("%s: %s", conn.peer.c_str(), e.what());
      }
      conn.done();
    });
  });
}
