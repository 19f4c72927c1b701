// smtpd_mailauth - the sender checks of each message (SPF, DKIM, DMARC;
// lib/mailauth) and what they decide for the reply to its end
//
// With smtpd_mailauth_checks, a message's content is fed to the checks as
// it goes to cleanup (DKIM hashes it on the way; only the header is kept),
// and at its end the lookups run. Not checked: clients in
// smtpd_mailauth_ignore_hosts ($mynetworks by default) and, with
// smtpd_mailauth_ignore_authenticated, authenticated submission.
//
// A message with ARC sets gets its chain verified too (arc= in the field);
// a DMARC failure of a message whose newest ARC set comes from a sealer in
// arc_trusted_sealers and says DMARC passed there is not acted on (the
// forwarder broke SPF and DKIM, not the author), and is reported as the
// override "trusted_forwarder".
//
// With smtpd_dmarc_enforce, a message whose author domain publishes
// p=reject and that fails DMARC (after pct) is refused with 550 5.7.1 and
// nothing is queued; a DNS failure while deciding gets 451 4.7.1 (the
// client tries again). smtpd_dmarc_allowlist exempts clients and author
// domains from enforcement, not from the checks. p=quarantine failing
// puts the message into each local recipient's Junk folder (an envelope
// attribute local(8) honours). Every evaluation is logged on one line,
// reported in an Authentication-Results field on top of the message (the
// amendment cleanup stores with it), and, with smtpd_dmarc_history, kept
// in dmarc/ for the aggregate reports (lib/mailauth/dmarc_history.h).
#include "lib/log/log.h"
#include "smtpd/smtpd_session.h"

namespace posthorn::smtpd {

void Session::startSenderChecks() {
  if (senderChecks_ == nullptr || !settings_.mailauthChecks) return;
  if (policy_.mailauthIgnored(peer_.address)) return;
  if (settings_.mailauthIgnoreAuthenticated && !saslUser_.empty()) return;
  mailauth::CheckInput input;
  input.clientAddress = peer_.address;
  input.helo = helo_;
  input.sender = tx_.sender;
  input.iprev = peer_.iprev;
  input.clientName = peer_.name;
  tx_.check = senderChecks_->start(std::move(input));
}

std::optional<Reply> Session::judgeSender(ipc::CleanupAmend& amend) {
  if (!tx_.check) return std::nullopt;
  const mailauth::CheckResults r = tx_.check->finish();
  tx_.check.reset();
  const mailauth::AuthResults field = senderChecks_->field(r);
  log::info("%s: %s", tx_.queueId.c_str(), field.value().c_str());
  amend.prependHeader = field.header();

  std::optional<Reply> refusal;
  std::string applied = "none";
  const bool enforced = settings_.dmarcEnforce && r.dmarcOverride.empty() &&
                        !policy_.dmarcAllowlisted(peer_.address, r.dmarc.fromDomain);
  if (!r.dmarcOverride.empty())
    log::info("%s: DMARC failure of %s not acted on: ARC sealed by trusted forwarder %s", tx_.queueId.c_str(),
              r.dmarc.fromDomain.c_str(), r.arc.sealer.c_str());
  if (enforced && r.dmarc.result == "fail" && r.dmarc.disposition == "reject") {
    refusal = Reply(550, "5.7.1", "Message rejected by the DMARC policy of " + r.dmarc.fromDomain);
    applied = "reject";
  } else if (enforced && r.dmarc.result == "fail" && r.dmarc.disposition == "quarantine") {
    amend.attributes.push_back({std::string(queue::kJunkAttribute),
                                "dmarc: p=quarantine of " + r.dmarc.fromDomain});
    applied = "quarantine";
    log::info("%s: quarantine: DMARC policy of %s; delivered to Junk", tx_.queueId.c_str(),
              r.dmarc.fromDomain.c_str());
  } else if (enforced && r.dmarc.result == "temperror") {
    // No verdict: nothing to record, the client comes back.
    return Reply(451, "4.7.1", "Try again later: the DMARC policy of " + r.dmarc.fromDomain + " could not be looked up");
  }
  if (dmarcHistory_ != nullptr)
    dmarcHistory_->record(r, {.queueId = tx_.queueId, .applied = applied, .override = r.dmarcOverride});
  return refusal;
}

}  // namespace posthorn::smtpd
