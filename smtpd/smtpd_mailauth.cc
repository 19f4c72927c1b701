// smtpd_mailauth - the sender checks of each message (SPF, DKIM, DMARC;
// lib/mailauth) and what they decide for the reply to its end
//
// With smtpd_mailauth_checks, a message's content is fed to the checks as
// it goes to cleanup (DKIM hashes it on the way; only the header is kept),
// and at its end the lookups run. Not checked: clients in
// smtpd_mailauth_ignore_hosts ($mynetworks by default) and, with
// smtpd_mailauth_ignore_authenticated, authenticated submission.
//
// With smtpd_dmarc_enforce, a message whose author domain publishes
// p=reject and that fails DMARC (after pct) is refused with 550 5.7.1 and
// nothing is queued; a DNS failure while deciding gets 451 4.7.1 (the
// client tries again). smtpd_dmarc_allowlist exempts clients and author
// domains from enforcement, not from the checks. Every evaluation is
// logged on one line. (The Authentication-Results field, quarantine into
// Junk and the stored evaluations come next: doc/sender-authentication.md.)
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

std::optional<Reply> Session::judgeSender() {
  if (!tx_.check) return std::nullopt;
  const mailauth::CheckResults r = tx_.check->finish();
  tx_.check.reset();
  log::info("%s: %s", tx_.queueId.c_str(), senderChecks_->field(r).value().c_str());
  if (!settings_.dmarcEnforce || policy_.dmarcAllowlisted(peer_.address, r.dmarc.fromDomain)) return std::nullopt;
  if (r.dmarc.result == "fail" && r.dmarc.disposition == "reject")
    return Reply(550, "5.7.1", "Message rejected by the DMARC policy of " + r.dmarc.fromDomain);
  if (r.dmarc.result == "temperror")
    return Reply(451, "4.7.1", "Try again later: the DMARC policy of " + r.dmarc.fromDomain + " could not be looked up");
  return std::nullopt;
}

}  // namespace posthorn::smtpd
