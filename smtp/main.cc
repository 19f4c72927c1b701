// smtp - the SMTP client delivery agent (see smtp(8))
//
// master runs it as `smtp unix - - y - - smtp`: a private service,
// chrooted to the queue directory and running as mail_owner. Before the
// jail it reads what it cannot reach afterwards: the DNS servers
// (/etc/resolv.conf unless dns_servers is set), the TLS CA and client
// certificate files, and the SASL password tables. It serves one qmgr
// connection at a time (one request, then the next); an idle connection
// to a destination is kept between requests (smtp_delivery.h).
#include <poll.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <memory>

#include "lib/config/config.h"
#include "lib/dns/dns_resolver.h"
#include "lib/ipc/ipc.h"
#include "lib/log/log.h"
#include "lib/util/privilege.h"
#include "lib/proto/proto_delivery.h"
#include "lib/queue/queue_error.h"
#include "lib/queue/queue_file.h"
#include "lib/queue/queue_id.h"
#include "lib/server/server.h"
#include "lib/tls/tls.h"
#include "smtp/smtp_delivery.h"
#include "smtp/smtp_password_table.h"
#include "smtp/smtp_settings.h"

using namespace posthorn;

namespace {

// Waits for qmgr's next request, quitting cached connections as they age.
void waitForRequest(int fd, smtp::SmtpDelivery& delivery) {
  for (;;) {
    const auto expiry = delivery.nextExpiry();
    if (!expiry) return;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*expiry - smtp::Clock::now());
    pollfd p{fd, POLLIN, 0};
    const int n = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count()) + 1));
    if (n != 0) return;
    delivery.expireCache();
  }
}

void serve(ipc::Channel& channel, int fd, const std::string& queueRoot, smtp::SmtpDelivery& delivery) {
  for (;;) {
    waitForRequest(fd, delivery);
    ipc::DeliveryRequest request;
    try {
      request = channel.receive<ipc::DeliveryRequest>();
    } catch (const ipc::ChannelClosed&) {
      return;
    }
    const std::string prefix = "active/";
    if (request.queueFile.rfind(prefix, 0) != 0 ||
        !queue::QueueId::isValid(request.queueFile.substr(prefix.size())))
      throw ipc::ProtocolError("bad queue file name \"" + request.queueFile + "\"");
    std::string openError;
    // Another agent (of a killed qmgr) may still hold it: wait for it.
    auto file = queue::openQueueFileWaiting(queueRoot + "/" + request.queueFile, std::chrono::seconds(60),
                                            &openError);
    std::vector<ipc::DeliveryResult> results;
    if (file) {
      try {
        results = delivery.deliver(request, *file);
      } catch (const ipc::ProtocolError&) {
        throw;
      } catch (const std::exception& e) {
        // A queue file that cannot be read, and such: try again later.
        log::warning("%s: %s", request.queueId.c_str(), e.what());
        openError = e.what();
        results.clear();
      }
    }
    if (results.empty()) {
      for (const auto& rcpt : request.recipients) {
        ipc::DeliveryResult r;
        r.index = rcpt.index;
        r.outcome = ipc::DeliveryOutcome::Deferred;
        r.dsnStatus = "4.3.0";
        r.text = "cannot read queue file: " + openError;
        r.relay = "none";
        results.push_back(r);
      }
    }
    file.reset();
    for (const auto& r : results) channel.send(r);
  }
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto options = server::Options::fromArgv(argc, argv);
    server::Worker worker(options);
    const smtp::Settings settings(worker.config());
    // In the jail the queue directory is "/".
    const bool jailed = options.chroot && privilege::runningAsRoot();
    const std::string queueRoot = jailed ? "" : settings.queueDirectory;
    dns::Resolver resolver(dns::ResolverConfig::fromConfig(worker.config()));
    std::shared_ptr<tls::Context> tlsContext;
    smtp::PasswordTables tables;
    std::unique_ptr<smtp::SmtpDelivery> delivery;

    server::WorkerSettings jail;
    jail.preJail = [&] {
      if (settings.tlsLevel != smtp::TlsLevel::None) {
        tls::ClientSettings ts;
        ts.caFile = settings.tlsCaFile;
        ts.caPath = settings.tlsCaPath;
        ts.certFile = settings.tlsCertFile;
        ts.keyFile = settings.tlsKeyFile;
        ts.protocols = settings.tlsProtocols;
        ts.verifyPeer = settings.tlsLevel == smtp::TlsLevel::Verify;
        tlsContext = tls::Context::client(ts);
      }
      // The password tables now: they are out of reach in the jail.
      if (settings.saslEnabled) tables = smtp::PasswordTables::load(settings.saslPasswordMaps);
    };
    jail.chroot = settings.queueDirectory;
    jail.user = worker.config().get("mail_owner");
    jail.clientLimit = 1;  // one qmgr connection at a time; blocking I/O
    jail.maxUse = settings.maxUse;
    jail.maxIdle = settings.maxIdle;
    return worker.run(jail, [&](server::Connection conn) {
      if (!delivery)
        delivery = std::make_unique<smtp::SmtpDelivery>(settings, resolver, tlsContext.get(), &tables);
      ipc::Channel channel(conn.fd);
      channel.setTimeout(std::chrono::seconds(3600));
      try {
        serve(channel, conn.fd, queueRoot, *delivery);
      } catch (const std::exception& e) {
        log::warning("%s: %s", conn.peer.c_str(), e.what());
      }
      conn.done();
    });
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "smtp: %s\n", e.what());
    log::error("%s", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "smtp: fatal: %s\n", e.what());
    log::error("fatal: %s", e.what());
    return 1;
  }
}
