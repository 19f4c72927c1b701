// smtpd_checks - the session's side of the access restrictions: what they
// are asked, how their verdicts are logged, and the actions carried out
// (PREPEND as header fields at the top, DISCARD, REDIRECT)
#include <unistd.h>

#include <algorithm>

#include "lib/log/log.h"
#include "smtpd/smtpd_session.h"

namespace posthorn::smtpd {

CheckRequest Session::checkRequest(CheckStage stage) const {
  CheckRequest q;
  q.stage = stage;
  q.clientAddress = peer_.address;
  q.clientName = peer_.name;
  q.reverseName = peer_.reverseName;
  q.helo = helo_;
  q.haveSender = tx_.active;
  q.sender = tx_.senderAddress;
  q.trustedClient = trusted_.value_or(false);
  q.saslMethod = saslMethod_;
  q.saslUser = saslUser_;
  q.protocol = esmtp_ ? "ESMTP" : "SMTP";
  q.queueId = tx_.queueId;
  q.instance = tx_.instance;
  q.recipientCount = static_cast<int>(tx_.recipients.size());
  q.size = tx_.size;
  if (tls_) {
    q.encryptionProtocol = tls_->protocol;
    q.encryptionCipher = tls_->cipher;
  }
  return q;
}

CheckVerdict Session::runChecks(const CheckRequest& request, std::string_view logRecipient) {
  CheckVerdict v = policy_.restrictions().check(request);
  const std::string_view stage = stageName(request.stage);
  if (v.refusal) {
    logReject(stage, *v.refusal, logRecipient);
  } else {
    for (const auto& [action, text] : v.notes) logAction(action, stage, text, logRecipient);
  }
  return v;
}

void Session::applyVerdict(CheckVerdict& v) {
  std::vector<std::string>& prepend = tx_.active ? tx_.prepend : sessionPrepend_;
  for (std::string& h : v.prepend) {
    if (std::find(prepend.begin(), prepend.end(), h) == prepend.end()) prepend.push_back(std::move(h));
  }
  if (v.discard) tx_.discard = true;
  if (!v.redirect.empty()) tx_.redirect = v.redirect;
}

void Session::amendWithActions(ipc::CleanupAmend& amend) const {
  for (const auto* list : {&sessionPrepend_, &tx_.prepend}) {
    for (const std::string& h : *list) amend.prependHeader += h + "\n";
  }
}

void Session::logAction(std::string_view action, std::string_view stage, std::string_view text,
                        std::string_view recipient) const {
  std::string line = (tx_.queueId.empty() ? std::string("NOQUEUE") : tx_.queueId) + ": " +
                     std::string(action) + ": " + std::string(stage) + " from " + peer_.describe() + ": " +
                     std::string(text) + ";";
  if (tx_.active) line += " from=<" + tx_.sender + ">";
  if (!recipient.empty()) line += " to=<" + std::string(recipient) + ">";
  line += " proto=" + std::string(esmtp_ ? "ESMTP" : "SMTP") + " helo=<" + helo_ + ">";
  log::info("%s", line.c_str());
}

}  // namespace posthorn::smtpd
