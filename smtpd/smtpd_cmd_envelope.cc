// smtpd_cmd_envelope - MAIL FROM and RCPT TO
#include <strings.h>
#include <unistd.h>

#include <chrono>

#include "lib/address/address.h"
#include "lib/log/log.h"
#include "smtpd/smtpd_session.h"

namespace posthorn::smtpd {

namespace {

// "FROM:" / "TO:" at the start of args, any case; what follows, or nullopt.
std::optional<std::string_view> afterKeyword(std::string_view args, std::string_view keyword) {
  if (args.size() < keyword.size() ||
      strncasecmp(args.data(), keyword.data(), keyword.size()) != 0)
    return std::nullopt;
  return args.substr(keyword.size());
}

const Reply kNeedsSmtpUtf8(553, "5.6.7", "Must declare SMTPUTF8 to send unicode address");

}  // namespace

void Session::cmdMail(std::string_view args) {
  if (settings_.heloRequired && helo_.empty()) {
    reply(Reply(503, "5.5.1", "Error: send HELO/EHLO first"));
    return;
  }
  if (tx_.active) {
    reply(Reply(503, "5.5.1", "Error: nested MAIL command"));
    return;
  }
  if (clientRefusal_) {
    reply(*clientRefusal_);
    return;
  }
  if (settings_.saslAuthRequired && saslUser_.empty()) {
    const Reply needAuth(530, "5.7.0", "Authentication required");
    logReject("MAIL", needAuth, "");
    reply(needAuth);
    return;
  }
  auto rest = afterKeyword(args, "FROM:");
  if (!rest) {
    reply(Reply(501, "5.5.4", "Syntax: MAIL FROM:<address>"));
    return;
  }
  address::ParseOptions options;
  options.smtpUtf8 = true;  // decided below, once SMTPUTF8 is known
  options.allowDomainless = true;
  options.allowBareAddress = !settings_.strictEnvelopes;
  const address::PathResult path = address::parsePath(*rest, address::PathKind::Reverse, options);
  if (!path) {
    reply(Reply(501, "5.1.7", "Bad sender address syntax"));
    return;
  }
  auto params = parseMailParams(path.params, offered());
  if (auto* error = std::get_if<Reply>(&params)) {
    if (error->code == 552) logReject("MAIL", *error, "");
    reply(*error);
    return;
  }
  MailParams mp = std::get<MailParams>(std::move(params));
  if (path.address.needsSmtpUtf8() && !mp.smtputf8) {
    logReject("MAIL", kNeedsSmtpUtf8, "");
    reply(kNeedsSmtpUtf8);
    return;
  }
  if (limits_ != nullptr) {
    if (auto refusal = limits_->check(LimitEvent::Message, peer_.address, peer_.describe())) {
      reply(*refusal);
      return;
    }
  }
  address::Address sender = path.address;
  if (!sender.isNull() && !sender.hasDomain()) {
    if (auto domain = address::canonicalDomain(settings_.myorigin, true)) sender.domain = *domain;
  }
  if (auto refusal = checkSenderLogin(sender)) {
    logReject("MAIL", *refusal, "");
    reply(*refusal);
    return;
  }
  // RFC 4954 5: AUTH= is kept only from an authenticated client; without
  // one, an authenticated client's own name is recorded.
  if (!saslUser_.empty()) {
    if (!mp.authGiven.empty()) mp.auth = mp.authGiven;
    else if (saslUser_.find('@') != std::string::npos) mp.auth = saslUser_;
  }
  tx_ = Transaction();
  tx_.active = true;
  tx_.sender = sender.toString();
  tx_.senderAddress = sender;
  tx_.params = std::move(mp);
  // Unique per transaction across the process's sessions, as Postfix's
  // (policy servers such as policyd-spf cache their answer per instance).
  tx_.instance = std::to_string(::getpid()) + "." +
                 std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count()) +
                 "." + std::to_string(++transactions_);
  if (policy_.restrictions().anyAt(CheckStage::Mail)) {
    (void)trusted();
    CheckVerdict v = runChecks(checkRequest(CheckStage::Mail), "");
    if (v.refusal) {
      tx_ = Transaction();
      reply(*v.refusal);
      return;
    }
    applyVerdict(v);
  }
  reply(Reply(250, "2.1.0", "Ok"));
}

void Session::cmdRcpt(std::string_view args) {
  if (!tx_.active) {
    reply(Reply(503, "5.5.1", "Error: need MAIL command"));
    return;
  }
  auto rest = afterKeyword(args, "TO:");
  if (!rest) {
    reply(Reply(501, "5.5.4", "Syntax: RCPT TO:<address>"));
    return;
  }
  address::ParseOptions options;
  options.smtpUtf8 = true;
  options.allowDomainless = true;
  options.allowBareAddress = !settings_.strictEnvelopes;
  const address::PathResult path = address::parsePath(*rest, address::PathKind::Forward, options);
  if (!path || path.address.isNull()) {
    reply(Reply(501, "5.1.3", "Bad recipient address syntax"));
    return;
  }
  auto params = parseRcptParams(path.params, offered());
  if (auto* error = std::get_if<Reply>(&params)) {
    reply(*error);
    return;
  }
  const RcptParams rp = std::get<RcptParams>(std::move(params));
  const std::string given = path.address.toString();
  if (path.address.needsSmtpUtf8() && !tx_.params.smtputf8) {
    logReject("RCPT", kNeedsSmtpUtf8, given);
    reply(kNeedsSmtpUtf8);
    return;
  }
  if (static_cast<int>(tx_.recipients.size()) >= settings_.recipientLimit) {
    const Reply tooMany(452, "4.5.3", "Error: too many recipients");
    logReject("RCPT", tooMany, given);
    reply(tooMany);
    return;
  }
  if (limits_ != nullptr) {
    if (auto refusal = limits_->check(LimitEvent::Recipient, peer_.address, peer_.describe())) {
      reply(*refusal);
      return;
    }
  }
  if (pregreeted_ && settings_.greetAction == GreetAction::Enforce) {
    const Reply protocolError(550, "5.5.1", "Protocol error");
    logReject("RCPT", protocolError, given);
    reply(protocolError);
    return;
  }
  address::Address rcpt = path.address;
  if (!rcpt.hasDomain()) {
    if (auto domain = address::canonicalDomain(settings_.myorigin, true)) rcpt.domain = *domain;
  }
  const std::string full = rcpt.toString();
  // The restrictions (relay check among them), then Postfix's implicit
  // reject_unlisted_recipient.
  (void)trusted();
  CheckRequest request = checkRequest(CheckStage::Rcpt);
  request.haveRecipient = true;
  request.recipient = rcpt;
  CheckVerdict verdict = runChecks(request, full);
  if (verdict.refusal) {
    reply(*verdict.refusal);
    return;
  }
  if (const std::optional<Reply> refusal = policy_.checkRecipient(rcpt, true)) {
    logReject("RCPT", *refusal, full);
    reply(*refusal);
    return;
  }
  applyVerdict(verdict);
  queue::Recipient r;
  r.address = full;
  r.originalAddress = given;
  r.orcpt = rp.orcpt;
  r.notify = rp.notify;
  tx_.recipients.push_back(std::move(r));
  reply(Reply(250, "2.1.5", "Ok"));
}

}  // namespace posthorn::smtpd
