// smtp_delivery - MX order, fallbacks, per-recipient results, connection cache
#include "smtp/smtp_delivery.h"

#include <algorithm>

#include "lib/address/address_resolver.h"
#include "lib/log/log.h"
#include "lib/queue/queue_file.h"
#include "lib/map/table_lookup.h"
#include "lib/util/ascii.h"
#include "smtp/smtp_content.h"
#include "smtp/smtp_destination.h"

namespace posthorn::smtp {

struct SmtpDelivery::Job {
  const ipc::DeliveryRequest& request;
  queue::QueueFile& file;
  const queue::Envelope& envelope;
  std::map<std::uint32_t, ipc::DeliveryResult> results;
  std::vector<std::uint32_t> pending;  // request order
  // The latest temporary trouble: what the pending ones get at the end.
  std::string lastText = "delivery temporarily suspended";
  std::string lastDsn = "4.4.1";
  std::string lastRelay = "none";
  std::string lastDiagnostic, lastRemoteMta;  // for the DSN: the remote's own words
  std::optional<std::string> contentCopy;  // loaded when it has to be inspected
  bool stop = false;

  const std::string& content() {
    if (!contentCopy) contentCopy = file.readContent();
    return *contentCopy;
  }
  void decide(std::uint32_t index, ipc::DeliveryOutcome outcome, const std::string& dsn,
              const std::string& text, const std::string& relay,
              const std::string& diagnostic = "", const std::string& remoteMta = "") {
    ipc::DeliveryResult r;
    r.index = index;
    r.outcome = outcome;
    r.dsnStatus = dsn;
    r.text = text;
    r.relay = relay;
    r.diagnostic = diagnostic;
    r.remoteMta = remoteMta;
    results[index] = r;
    pending.erase(std::remove(pending.begin(), pending.end(), index), pending.end());
  }
  void failAll(bool permanent, const std::string& dsn, const std::string& text, const std::string& relay) {
    const auto copy = pending;
    for (auto i : copy)
      decide(i, permanent ? ipc::DeliveryOutcome::Failed : ipc::DeliveryOutcome::Deferred, dsn, text, relay);
    stop = true;
  }
  void soft(const std::string& text, const std::string& dsn, const std::string& relay,
            const std::string& diagnostic = "", const std::string& remoteMta = "") {
    lastText = text;
    lastDsn = dsn.empty() || dsn[0] != '4' ? "4.4.1" : dsn;
    lastRelay = relay;
    lastDiagnostic = diagnostic;
    lastRemoteMta = remoteMta;
  }
};

SmtpDelivery::SmtpDelivery(const Settings& settings, dns::Resolver& resolver, const tls::Context* tlsContext,
                           address::TableLookup* saslTables, MtaSts* mtaSts, TlsRptLog* tlsRpt)
    : settings_(settings),
      resolver_(resolver),
      tlsContext_(tlsContext),
      saslTables_(saslTables),
      mtaSts_(mtaSts),
      tlsRpt_(tlsRpt) {}

SmtpDelivery::~SmtpDelivery() { expireCache(true); }

void SmtpDelivery::expireCache(bool force) {
  const auto now = Clock::now();
  for (auto it = cache_.begin(); it != cache_.end();) {
    if (force || now - it->second.idleSince >= settings_.cacheTimeLimit) {
      it->second.session->quit();
      it = cache_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<Clock::time_point> SmtpDelivery::nextExpiry() const {
  std::optional<Clock::time_point> soonest;
  for (const auto& [key, c] : cache_) {
    const auto t = c.idleSince + settings_.cacheTimeLimit;
    if (!soonest || t < *soonest) soonest = t;
  }
  return soonest;
}

void SmtpDelivery::keepOrQuit(const std::string& nexthop, std::unique_ptr<SmtpSession> session) {
  const bool reusable = settings_.connectionCache && session->usable() &&
                        (settings_.reuseCountLimit == 0 || session->transactions() < settings_.reuseCountLimit);
  if (!reusable) {
    session->quit();
    return;
  }
  auto it = cache_.find(nexthop);
  if (it != cache_.end()) it->second.session->quit();
  cache_[nexthop] = Cached{std::move(session), Clock::now()};
}

std::optional<Credentials> SmtpDelivery::credentialsFor(const std::string& nexthop, std::string* error) {
  if (!settings_.saslEnabled || saslTables_ == nullptr) return std::nullopt;
  // Postfix looks up the next hop as written, then the host alone.
  std::vector<std::string> keys{nexthop};
  if (const auto hop = address::parseNextHop(nexthop)) keys.push_back(hop->host);
  for (const auto& table : settings_.saslPasswordMaps) {
    for (const auto& key : keys) {
      std::optional<std::string> value;
      try {
        value = saslTables_->lookup(table, key);
      } catch (const address::TableLookupError& e) {
        *error = std::string("smtp_sasl_password_maps: ") + e.what();
        return std::nullopt;
      }
      if (!value) continue;
      const auto colon = value->find(':');
      if (colon == std::string::npos) {
        *error = "smtp_sasl_password_maps " + table + ": value for " + key + " is not user:password";
        return std::nullopt;
      }
      return Credentials{value->substr(0, colon), value->substr(colon + 1)};
    }
  }
  return std::nullopt;
}

void SmtpDelivery::runSession(Job& job, SmtpSession& session) {
  const Capabilities& caps = session.capabilities();
  const Peer& peer = session.peer();
  const queue::Envelope& env = job.envelope;
  const std::string relay = peer.relay();

  // What the message needs from this server.
  if (env.smtputf8 && !caps.has("SMTPUTF8") &&
      needsSmtpUtf8(env, headerSection(job.content()))) {
    job.failAll(true, "5.6.7",
                "SMTPUTF8 is required, but was not offered by host " + peer.hostAddr(), relay);
    return;
  }
  const std::uint64_t size = job.file.contentLength();
  if (caps.size > 0 && size > caps.size) {
    job.failAll(true, "5.3.4",
                "message size " + std::to_string(size) + " exceeds size limit " + std::to_string(caps.size) +
                    " of server " + peer.hostAddr(),
                relay);
    return;
  }
  std::optional<std::string> converted;
  bool eightBit = env.body == queue::BodyType::EightBitMime;
  if (!caps.has("8BITMIME") && env.body != queue::BodyType::SevenBit && hasEightBit(job.content())) {
    std::string why;
    converted = convertTo7Bit(job.content(), &why);
    if (!converted) {
      job.failAll(true, "5.6.3",
                  "cannot convert 8-bit message for " + peer.hostAddr() + " (no 8BITMIME support): " + why,
                  relay);
      return;
    }
    eightBit = false;
  }

  Transaction t;
  t.mailFrom = "MAIL FROM:<" + env.sender + ">";
  if (caps.has("SIZE")) t.mailFrom += " SIZE=" + std::to_string(size);
  if (eightBit && caps.has("8BITMIME")) t.mailFrom += " BODY=8BITMIME";
  if (env.smtputf8 && caps.has("SMTPUTF8")) t.mailFrom += " SMTPUTF8";
  const bool dsn = caps.has("DSN");
  if (dsn) {
    if (env.ret == queue::Ret::Full) t.mailFrom += " RET=FULL";
    else if (env.ret == queue::Ret::Headers) t.mailFrom += " RET=HDRS";
    if (!env.envid.empty()) t.mailFrom += " ENVID=" + xtext(env.envid);
  }
  const std::vector<std::uint32_t> sent = job.pending;
  for (auto index : sent) {
    const queue::Recipient& rcpt = env.recipients[index];
    std::string cmd = "RCPT TO:<" + rcpt.address + ">";
    if (dsn && rcpt.notify != 0) {
      if (rcpt.notify & queue::notify::kNever) {
        cmd += " NOTIFY=NEVER";
      } else {
        std::string list;
        if (rcpt.notify & queue::notify::kSuccess) list += ",SUCCESS";
        if (rcpt.notify & queue::notify::kFailure) list += ",FAILURE";
        if (rcpt.notify & queue::notify::kDelay) list += ",DELAY";
        if (!list.empty()) cmd += " NOTIFY=" + list.substr(1);
      }
    }
    if (dsn && !rcpt.orcpt.empty()) {
      const auto semi = rcpt.orcpt.find(';');
      if (semi != std::string::npos)
        cmd += " ORCPT=" + rcpt.orcpt.substr(0, semi) + ";" + xtext(rcpt.orcpt.substr(semi + 1));
    }
    t.rcptCommands.push_back(cmd);
  }
  // The content, streamed from the queue file (or the converted copy).
  DataEncoder encoder;
  std::optional<queue::ContentReader> reader;
  std::size_t memPos = 0;
  bool finished = false;
  t.content = [&](std::string* chunk) {
    if (finished) return false;
    if (converted) {
      const std::size_t n = std::min<std::size_t>(converted->size() - memPos, 65536);
      encoder.feed(std::string_view(*converted).substr(memPos, n), chunk);
      memPos += n;
      if (memPos == converted->size()) {
        encoder.finish(chunk);
        finished = true;
      }
      return true;
    }
    if (!reader) reader.emplace(job.file.content());
    char buf[65536];
    const std::size_t n = reader->read(buf, sizeof buf);  // throws on a bad checksum
    if (n == 0) {
      encoder.finish(chunk);
      finished = true;
    } else {
      encoder.feed(std::string_view(buf, n), chunk);
    }
    return true;
  };

  TransactionResult result;
  try {
    result = session.send(t);
  } catch (const SessionError& e) {
    if (e.kind() == 5) job.failAll(true, e.dsnStatus(), e.what(), relay);
    else job.soft(e.what(), e.dsnStatus(), relay);
    return;
  }
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const auto index = sent[i];
    const Reply& r = result.rcptReplies[i];
    if (r.kind() == 5) {
      job.decide(index, ipc::DeliveryOutcome::Failed, r.dsnStatus(),
                 "host " + peer.hostAddr() + " said: " + r.text() + " (in reply to RCPT TO command)", relay,
                 "smtp; " + r.text(), peer.hostname);
    } else if (r.kind() != 2) {
      job.soft("host " + peer.hostAddr() + " said: " + r.text() + " (in reply to RCPT TO command)", r.dsnStatus(),
               relay, "smtp; " + r.text(), peer.hostname);
    }
  }
  if (!result.dataReply) return;  // nobody accepted
  const Reply& d = *result.dataReply;
  const char* stage = result.dataRefused ? "DATA command" : "end of DATA command";
  for (std::size_t i = 0; i < sent.size(); ++i) {
    const auto index = sent[i];
    if (result.rcptReplies[i].kind() != 2) continue;
    if (d.kind() == 5) {
      job.decide(index, ipc::DeliveryOutcome::Failed, d.dsnStatus(),
                 "host " + peer.hostAddr() + " said: " + d.text() + " (in reply to " + stage + ")", relay,
                 "smtp; " + d.text(), peer.hostname);
      continue;
    }
    if (d.kind() != 2) {
      job.soft("host " + peer.hostAddr() + " said: " + d.text() + " (in reply to " + stage + ")", d.dsnStatus(),
               relay, "smtp; " + d.text(), peer.hostname);
      continue;
    }
    // Accepted: on disk before we say so.
    queue::DeliveryReport report;
    report.dsnStatus = d.dsnStatus();
    report.diagnostic = "smtp; " + d.text();
    report.remoteMta = "dns; " + peer.hostname;
    try {
      job.file.markDone(index, dsn ? queue::RecipientState::Delivered : queue::RecipientState::Relayed, report);
      job.decide(index, ipc::DeliveryOutcome::Delivered, d.dsnStatus(), d.text(), relay);
    } catch (const std::exception& e) {
      log::error("%s: cannot record delivery to %s: %s", job.request.queueId.c_str(),
                 env.recipients[index].address.c_str(), e.what());
      job.decide(index, ipc::DeliveryOutcome::Deferred, "4.3.0",
                 std::string("cannot record the delivery: ") + e.what(), relay);
      job.stop = true;
    }
  }
}

std::vector<ipc::DeliveryResult> SmtpDelivery::deliver(const ipc::DeliveryRequest& request,
                                                       queue::QueueFile& file) {
  Job job{request, file, file.envelope(), {}, {}, "delivery temporarily suspended", "4.4.1", "none", "", "", std::nullopt, false};
  for (const auto& rcpt : request.recipients) {
    if (rcpt.index >= file.recipientCount())
      throw ipc::ProtocolError("recipient index " + std::to_string(rcpt.index) + " out of range");
    const queue::Recipient& onDisk = file.recipient(rcpt.index);
    if (onDisk.status.done()) {
      job.decide(rcpt.index, ipc::DeliveryOutcome::Delivered,
                 onDisk.report.dsnStatus.empty() ? "2.0.0" : onDisk.report.dsnStatus, "already delivered", "none");
    } else if (std::find(job.pending.begin(), job.pending.end(), rcpt.index) == job.pending.end()) {
      job.pending.push_back(rcpt.index);
    }
  }

  std::string saslError;
  const std::optional<Credentials> credentials = credentialsFor(request.nexthop, &saslError);
  if (!saslError.empty()) job.failAll(false, "4.3.0", saslError, "none");

  // A cached connection to this next hop first.
  expireCache();
  if (!job.pending.empty() && !job.stop) {
    auto it = cache_.find(request.nexthop);
    if (it != cache_.end()) {
      std::unique_ptr<SmtpSession> session = std::move(it->second.session);
      cache_.erase(it);
      if (!session->hasPendingInput()) {  // input now means it said goodbye (421) or closed
        runSession(job, *session);
        if (session->usable() && !job.stop && job.pending.empty()) {
          keepOrQuit(request.nexthop, std::move(session));
        } else {
          session->quit();
        }
      }
    }
  }

  if (!job.pending.empty() && !job.stop) {
    const Destination dest = resolveDestination(request.nexthop, resolver_, settings_.tcpPort);
    if (!dest.ok) {
      job.failAll(dest.permanent, dest.dsnStatus, dest.error, "none");
    } else {
      if (!dest.partialError.empty()) job.soft(dest.partialError, "4.4.3", "none");
      std::optional<StsPolicy> sts;
      MtaSts::Failure stsFailure;  // a policy was announced but could not be had
      std::string stsDomain;       // the recipient domain, for MX next hops
      const auto hop = address::parseNextHop(request.nexthop);
      if (hop && hop->mxLookup) stsDomain = util::lower(hop->host);
      // TLS-RPT: one record each TLS session with a recipient domain's MX host.
      auto record = [&](TlsRptSession& rpt, const std::string& relay) {
        if (tlsRpt_ == nullptr || rpt.policyDomain.empty()) return;
        tlsRpt_->record(rpt);
        log::info("%s: TLS policy %s of %s at %s: %s%s%s", request.queueId.c_str(), rpt.policy.type.c_str(),
                  rpt.policyDomain.c_str(), relay.c_str(), rpt.result.c_str(), rpt.reason.empty() ? "" : " ",
                  rpt.reason.empty() ? "" : ("(" + rpt.reason + ")").c_str());
      };
      auto recordSession = [&](TlsRptSession& rpt, const SmtpSession& session) {
        const TlsAttempt& tried = session.tlsAttempt();
        if (!tried.tried) return;
        if (rpt.result == "success") {  // a policy failure (fetch) stays the result
          rpt.result = tried.result;
          rpt.reason = tried.reason;
        }
        rpt.sendingIp = session.localAddress();
        record(rpt, session.peer().relay());
      };
      if (mtaSts_ != nullptr && !stsDomain.empty()) {
        sts = mtaSts_->policyFor(stsDomain, &stsFailure);
        if (sts && sts->mode != StsMode::None)
          log::info("%s: MTA-STS policy of %s: %s", request.queueId.c_str(), stsDomain.c_str(),
                    sts->modeName().c_str());
      }
      int addresses = 0, sessions = 0;
      for (const Target& target : dest.targets) {
        if (job.pending.empty() || job.stop) break;
        if (settings_.mxAddressLimit > 0 && addresses >= settings_.mxAddressLimit) break;
        if (settings_.mxSessionLimit > 0 && sessions >= settings_.mxSessionLimit) break;
        ++addresses;
        PeerTls tlsPolicy = peerTls(settings_.tlsLevel, target.hostname, target.port, target.secure, resolver_);
        TlsRptSession rpt;
        rpt.policyDomain = stsDomain;
        rpt.mxHost = target.hostname;
        rpt.receivingIp = target.address;
        if (tlsPolicy.daneRecords || !tlsPolicy.deferText.empty()) {
          rpt.policy = {"tlsa", tlsPolicy.tlsaText, {target.hostname}};
        } else if (sts && sts->mode != StsMode::None) {
          rpt.policy = {"sts", sts->lines, sts->mx};
        } else if (!stsFailure.type.empty()) {
          rpt.policy.type = "sts";
          rpt.result = stsFailure.type;
          rpt.reason = stsFailure.why;
        }
        // DANE (a secure TLSA RRset) wins over MTA-STS.
        if (sts && sts->mode != StsMode::None && tlsPolicy.deferText.empty() && !tlsPolicy.daneRecords) {
          const bool listed = sts->allows(target.hostname);
          if (sts->mode == StsMode::Enforce) {
            if (!listed) {
              const std::string text = "MTA-STS policy of " + stsDomain + " does not list MX host " + target.hostname;
              log::info("%s: %s", request.queueId.c_str(), text.c_str());
              job.soft(text, "4.7.5", "none");
              rpt.result = "validation-failure";
              rpt.reason = "MX host not listed in the MTA-STS policy";
              record(rpt, target.hostname + "[" + target.address + "]:" + std::to_string(target.port));
              continue;
            }
            tlsPolicy.level = TlsLevel::Verify;
            tlsPolicy.mtaSts = true;
          } else {
            if (!listed)
              log::info("%s: MTA-STS (testing) policy of %s does not list MX host %s; delivering anyway",
                        request.queueId.c_str(), stsDomain.c_str(), target.hostname.c_str());
            tlsPolicy.stsTesting = true;
          }
        }
        const Peer peer{target.hostname, target.address, target.port, tlsPolicy};
        if (!tlsPolicy.deferText.empty()) {
          // DANE: the TLSA answer could not be had; an attacker may be hiding it.
          log::info("%s: %s: %s", request.queueId.c_str(), peer.relay().c_str(), tlsPolicy.deferText.c_str());
          job.soft(tlsPolicy.deferText, "4.7.5", peer.relay());
          rpt.result = "dnssec-invalid";
          rpt.reason = tlsPolicy.deferText;
          record(rpt, peer.relay());
          continue;
        }
        bool allowTls = true;
        for (int tries = 0; tries < 2; ++tries) {
          std::unique_ptr<SmtpStream> stream;
          try {
            stream = SmtpStream::connect(target.address, target.port, Clock::now() + settings_.timeouts.connect);
          } catch (const StreamError& e) {
            const std::string text = "connect to " + peer.relay() + ": " + e.what();
            log::info("%s: %s", request.queueId.c_str(), text.c_str());
            job.soft(text, "4.4.1", "none");
            break;
          }
          auto session = std::make_unique<SmtpSession>(std::move(stream), peer, settings_, tlsContext_, credentials);
          try {
            session->open(allowTls);
            recordSession(rpt, *session);
          } catch (const SessionError& e) {
            recordSession(rpt, *session);
            if (session->tlsFailed() && peer.tls.level == TlsLevel::May) {
              log::info("%s: %s; trying again without TLS", request.queueId.c_str(), e.what());
              allowTls = false;
              continue;
            }
            log::info("%s: %s", request.queueId.c_str(), e.what());
            if (e.kind() == 5) job.failAll(true, e.dsnStatus(), e.what(), peer.relay());
            else job.soft(e.what(), e.dsnStatus(), peer.relay());
            session->quit();
            break;
          }
          ++sessions;
          runSession(job, *session);
          keepOrQuit(request.nexthop, std::move(session));
          break;
        }
      }
    }
  }
  for (auto index : std::vector<std::uint32_t>(job.pending))
    job.decide(index, ipc::DeliveryOutcome::Deferred, job.lastDsn, job.lastText, job.lastRelay,
               job.lastDiagnostic, job.lastRemoteMta);

  std::vector<ipc::DeliveryResult> out;
  for (const auto& rcpt : request.recipients) out.push_back(job.results.at(rcpt.index));
  return out;
}

}  // namespace posthorn::smtp
