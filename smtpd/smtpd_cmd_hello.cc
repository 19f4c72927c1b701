// smtpd_cmd_hello - HELO, EHLO and STARTTLS
#include <algorithm>
#include <utility>

#include "lib/log/log.h"
#include "smtpd/smtpd_session.h"

namespace posthorn::smtpd {

// A client refused at connect gets that refusal; the HELO restrictions
// (smtpd_delay_reject = no) judge the name. True: refused (replied).
bool Session::heloRefused(std::string_view name) {
  if (clientRefusal_) {
    reply(*clientRefusal_);
    return true;
  }
  if (!policy_.restrictions().anyAt(CheckStage::Helo)) return false;
  std::string previous = std::exchange(helo_, std::string(name));
  CheckVerdict v = runChecks(checkRequest(CheckStage::Helo), "");
  if (v.refusal) {
    helo_ = std::move(previous);
    reply(*v.refusal);
    return true;
  }
  applyVerdict(v);
  return false;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

void Session::cmdHelo(std::string_view args) {
  args = trim(args);
  if (args.empty()) {
    reply(Reply(501, "5.5.4", "Syntax: HELO hostname"));
    return;
  }
  resetTransaction();
  if (heloRefused(args)) return;
  helo_ = std::string(args);
  esmtp_ = false;
  reply(Reply(250, "", settings_.myhostname));
}

void Session::cmdEhlo(std::string_view args) {
  args = trim(args);
  if (args.empty()) {
    reply(Reply(501, "5.5.4", "Syntax: EHLO hostname"));
    return;
  }
  resetTransaction();
  esmtp_ = true;
  if (heloRefused(args)) return;
  helo_ = std::string(args);
  Reply r(250, "", settings_.myhostname);
  const auto& discard = settings_.discardEhloKeywords;
  auto add = [&](std::string_view keyword, const std::string& line) {
    if (std::find(discard.begin(), discard.end(), keyword) == discard.end()) r.lines.push_back(line);
  };
  add("PIPELINING", "PIPELINING");
  add("SIZE", settings_.messageSizeLimit > 0
                  ? "SIZE " + std::to_string(settings_.messageSizeLimit)
                  : std::string("SIZE"));
  if (!settings_.disableVrfy) add("VRFY", "VRFY");
  if (tlsAvailable_ && !tls_) add("STARTTLS", "STARTTLS");
  if (authOffered()) {
    std::string mechs = "AUTH";
    for (auto m : ipc::kPassdbMechanisms) mechs += " " + std::string(m);
    r.lines.push_back(mechs);
  }
  add("ENHANCEDSTATUSCODES", "ENHANCEDSTATUSCODES");
  add("8BITMIME", "8BITMIME");
  add("DSN", "DSN");
  add("SMTPUTF8", "SMTPUTF8");
  add("CHUNKING", "CHUNKING");
  reply(r);
}

void Session::cmdStarttls(std::string_view args) {
  if (!trim(args).empty()) {
    reply(Reply(501, "5.5.4", "Syntax: STARTTLS"));
    return;
  }
  if (tls_) {
    reply(Reply(554, "5.5.1", "Error: TLS already active"));
    return;
  }
  const auto& discard = settings_.discardEhloKeywords;
  if (!tlsAvailable_ || std::find(discard.begin(), discard.end(), "STARTTLS") != discard.end()) {
    reply(Reply(502, "5.5.1", "Error: command not implemented"));
    return;
  }
  if (tx_.active) {
    reply(Reply(503, "5.5.1", "Error: MAIL transaction in progress"));
    return;
  }
  reply(Reply(220, "2.0.0", "Ready to start TLS"));
  // Whatever the client pipelined after STARTTLS was sent in plaintext and
  // must not be taken as protected input (CVE-2011-0411): drop it.
  if (inPos_ < in_.size()) {
    log::warning("%s: discarding %zu bytes of plaintext pipelined after STARTTLS",
                 peer_.describe().c_str(), in_.size() - inPos_);
  }
  in_.clear();
  inPos_ = 0;
  mode_ = Mode::Handshake;
  io_.startTls();
}

}  // namespace posthorn::smtpd
