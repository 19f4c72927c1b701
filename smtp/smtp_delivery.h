// smtp_delivery - one DeliveryRequest: find the next hop's servers, try
// them in order, send the message, decide each recipient
//
//   SmtpDelivery delivery(settings, resolver, tlsContext.get(), &tables);
//   auto results = delivery.deliver(request, queueFile);   // request order
//
// Connection failures, 4xx greetings and 4xx EHLO replies move on to the
// next MX address (at most smtp_mx_address_limit addresses and
// smtp_mx_session_limit sessions, counting only those that got through
// greeting and EHLO, as Postfix does); a 5xx greeting or EHLO stops. Recipients
// refused with 4xx are offered to the next server too; 5xx is final. A
// recipient the server accepted is marked in the queue file (Delivered for
// a DSN-capable server, else Relayed) before its result is returned.
//
// TLS per MX host: smtp_tls_security_level, DANE's TLSA records
// (smtp_dane.h), and the domain's MTA-STS policy (mta_sts.h): enforce lists
// the MX hosts that may be used and requires a certificate valid for the
// host; testing only logs what enforce would refuse. DANE wins over
// MTA-STS for a host with TLSA records (RFC 8461 2). Each TLS session with
// an MX host of a recipient domain, and each host a policy made us skip,
// is recorded for TLS-RPT (tls_rpt_log.h) and logged with the policy that
// applied ("TLS policy sts of example.org at mx...: success").
//
// Connection reuse: a session that ended cleanly is kept, per next hop,
// for the next request to the same next hop while it is younger than
// smtp_connection_cache_time_limit idle (smtp_connection_cache_on_demand).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lib/dns/dns_resolver.h"
#include "lib/proto/proto_delivery.h"
#include "smtp/mta_sts.h"
#include "smtp/smtp_session.h"
#include "smtp/smtp_settings.h"
#include "smtp/tls_rpt_log.h"

namespace posthorn::address {
class TableLookup;
}
namespace posthorn::queue {
class QueueFile;
}

namespace posthorn::smtp {

class SmtpDelivery {
 public:
  // mtaSts: MTA-STS policies of MX domains (smtp_mta_sts); null = none.
  // tlsRpt: where the TLS sessions with MX hosts are recorded; null = not.
  SmtpDelivery(const Settings& settings, dns::Resolver& resolver, const tls::Context* tlsContext,
               address::TableLookup* saslTables, MtaSts* mtaSts = nullptr, TlsRptLog* tlsRpt = nullptr);
  ~SmtpDelivery();

  std::vector<ipc::DeliveryResult> deliver(const ipc::DeliveryRequest& request, queue::QueueFile& file);
  // Quits cached connections idle for longer than the time limit (all of
  // them with force).
  void expireCache(bool force = false);
  // The soonest an idle cached connection expires; nullopt without any.
  std::optional<Clock::time_point> nextExpiry() const;

 private:
  struct Cached {
    std::unique_ptr<SmtpSession> session;
    Clock::time_point idleSince;
  };
  struct Job;
  void runSession(Job& job, SmtpSession& session);
  std::optional<Credentials> credentialsFor(const std::string& nexthop, std::string* error);
  void keepOrQuit(const std::string& nexthop, std::unique_ptr<SmtpSession> session);

  const Settings& settings_;
  dns::Resolver& resolver_;
  const tls::Context* tlsContext_;
  address::TableLookup* saslTables_;
  MtaSts* mtaSts_;
  TlsRptLog* tlsRpt_;
  std::map<std::string, Cached> cache_;
};

}  // namespace posthorn::smtp
