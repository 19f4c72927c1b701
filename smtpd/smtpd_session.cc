// smtpd_session - input handling, replies, the session's life cycle
#include "smtpd/smtpd_session.h"

#include <algorithm>

#include "lib/log/log.h"
#include "lib/util/ascii.h"

namespace posthorn::smtpd {

namespace {

// RFC 5321 4.5.3.1.4: 512 octets with CRLF; RFC 3461 adds 100 to MAIL
// (RET, ENVID) and 500 to RCPT (NOTIFY, ORCPT), RFC 4954 500 to MAIL (AUTH=).
std::size_t lineLimit(std::string_view verb) {
  if (verb == "MAIL") return 512 + 100 + 500;
  if (verb == "RCPT") return 512 + 500;
  if (verb == "AUTH") return 12288;
  return 512;
}

}  // namespace

Session::Session(const Settings& settings, Policy& policy, MessageSinkFactory& sinks,
                 SessionIo& io, Peer peer, bool tlsAvailable, Authenticator* auth)
    : settings_(settings),
      policy_(policy),
      sinks_(sinks),
      io_(io),
      peer_(std::move(peer)),
      tlsAvailable_(tlsAvailable),
      auth_(auth) {}

Session::~Session() {
  if (tx_.sink) tx_.sink->abort();
}

void Session::start(bool waitForTls) {
  log::info("connect from %s", peer_.describe().c_str());
  if (limits_ != nullptr) {
    if (auto refusal = limits_->check(LimitEvent::Connect, peer_.address, peer_.describe())) {
      lastCommand_ = "CONNECT";
      io_.send(refusal->wire());
      closeSession();
      return;
    }
  }
  if (policy_.restrictions().anyAt(CheckStage::Connect)) {
    (void)trusted();
    CheckVerdict v = runChecks(checkRequest(CheckStage::Connect), "");
    if (v.refusal) clientRefusal_ = v.refusal;
    else applyVerdict(v);
  }
  if (waitForTls) {
    mode_ = Mode::Handshake;
    return;
  }
  // The pre-greeting test, as postscreen does it: the first line of a
  // multi-line greeting, then a wait; a client that talks before the last
  // line is a bot in a hurry. Clients in mynetworks are not tested.
  if (settings_.greetWait.count() > 0 && !trusted()) {
    greetStart_ = std::chrono::steady_clock::now();
    mode_ = Mode::Pregreet;
    io_.send("220-" + settings_.banner + "\r\n");
    return;
  }
  greet();
}

void Session::greetWaitOver() {
  if (mode_ != Mode::Pregreet || closing_) return;
  mode_ = Mode::Command;
  greet();
  process();  // what an ignored (or enforced) early talker sent meanwhile
}

void Session::pregreet(std::string_view bytes) {
  if (!pregreeted_) {
    pregreeted_ = true;
    const auto elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - greetStart_);
    std::string text;
    for (unsigned char c : bytes.substr(0, 100)) {
      if (c == '\r') text += "\\r";
      else if (c == '\n') text += "\\n";
      else text += (c < 0x20 || c >= 0x7f) ? '?' : static_cast<char>(c);
    }
    // Postfix's postscreen line, which fail2ban's postscreen filter matches.
    log::info("PREGREET %zu after %.2f from [%s]:%s: %s", bytes.size(), elapsed.count(),
              peer_.address.c_str(), peer_.port.empty() ? "0" : peer_.port.c_str(), text.c_str());
  }
  if (settings_.greetAction == GreetAction::Drop) {
    io_.send(Reply(521, "5.5.1", "Protocol error").wire());
    closeSession();
    return;
  }
  in_.append(bytes);  // answered after the greeting
}

void Session::greet() {
  greeted_ = true;
  io_.send(Reply(220, "", settings_.banner).wire());
}

// --------------------------------------------------------------- input

void Session::receive(std::string_view bytes) {
  if (closing_ || mode_ == Mode::Closed) return;
  if (mode_ == Mode::Handshake) return;  // the TLS layer owns the bytes now
  if (mode_ == Mode::Pregreet) {
    pregreet(bytes);
    return;
  }
  in_.append(bytes);
  process();
  // Keep the buffer small: drop what was used.
  if (inPos_ >= in_.size()) {
    in_.clear();
    inPos_ = 0;
  } else if (inPos_ > 0) {
    in_.erase(0, inPos_);
    inPos_ = 0;
  }
}

void Session::process() {
  while (!closing_ && inPos_ < in_.size()) {
    switch (mode_) {
      case Mode::Command:
      case Mode::Auth:
        if (!commandStep()) return;
        break;
      case Mode::Data:
        dataStep();
        break;
      case Mode::Bdat:
        bdatStep();
        break;
      case Mode::Pregreet:
        return;
      case Mode::Handshake:
      case Mode::Closed:
        // STARTTLS: what the client sent after it, in plaintext, is never
        // taken as part of the protected session (CVE-2011-0411).
        if (inPos_ < in_.size())
          log::warning("%s: discarding %zu bytes of plaintext sent after STARTTLS",
                       peer_.describe().c_str(), in_.size() - inPos_);
        inPos_ = in_.size();
        return;
    }
  }
}

bool Session::commandStep() {
  const std::size_t nl = in_.find('\n', inPos_);
  if (discardingLine_) {
    if (nl == std::string::npos) {
      inPos_ = in_.size();
      return false;
    }
    inPos_ = nl + 1;
    discardingLine_ = false;
    pendingStat_ = "unknown";
    if (mode_ == Mode::Auth) {  // an overlong SASL response ends the AUTH
      mode_ = Mode::Command;
      authMechanism_.clear();
    }
    reply(Reply(500, "5.5.2", "Error: line too long"));
    return true;
  }
  if (nl == std::string::npos) {
    if (in_.size() - inPos_ > kMaxLineBuffer) {
      discardingLine_ = true;
      inPos_ = in_.size();
    }
    return false;
  }
  std::string_view line(in_.data() + inPos_, nl - inPos_);
  inPos_ = nl + 1;
  const bool crlf = !line.empty() && line.back() == '\r';
  if (crlf) line.remove_suffix(1);
  if (mode_ == Mode::Auth) {
    authLine(std::string(line));
    return true;
  }
  // handleLine may replace in_ (STARTTLS discards it): copy the line.
  handleLine(std::string(line), crlf);
  return true;
}

bool Session::nonSmtpCommand(std::string_view line, std::string_view verb) const {
  // An HTTP request or header sent to the SMTP port (a cross-protocol attack
  // or a confused client), as Postfix's smtpd_forbidden_commands.
  static constexpr std::string_view kHttp[] = {"GET", "POST", "HEAD", "PUT", "CONNECT", "OPTIONS"};
  if (std::find(std::begin(kHttp), std::end(kHttp), verb) != std::end(kHttp))
    return line.find(" HTTP/") != std::string_view::npos;
  return verb.size() > 1 && verb.back() == ':' && line.size() > verb.size();
}

void Session::handleLine(std::string_view line, bool crlf) {
  const std::size_t space = line.find(' ');
  const std::string verb = util::upper(line.substr(0, space));
  std::string_view args = space == std::string_view::npos ? std::string_view() : line.substr(space + 1);
  const CommandSpec* spec = findCommand(verb);
  lastCommand_ = spec != nullptr ? verb : "UNKNOWN";
  pendingStat_ = spec != nullptr ? spec->stat : "unknown";

  if (!crlf) {
    if (!bareLfExcluded_)
      bareLfExcluded_ = settings_.bareNewline != BareNewline::Reject ||
                        policy_.bareNewlineExcluded(peer_.address);
    if (!*bareLfExcluded_) {
      log::info("bare <LF> received from %s after %s", peer_.describe().c_str(),
                lastCommand_.c_str());
      reply(Reply(500, "5.5.2", "Error: bare <LF> received"));
      return;
    }
  }
  for (unsigned char c : line) {
    if ((c < 0x20 && c != '\t') || c == 0x7f) {
      reply(Reply(500, "5.5.2", "Error: bad syntax"));
      return;
    }
  }
  if (line.size() + 2 > lineLimit(verb)) {
    reply(Reply(500, "5.5.2", "Error: line too long"));
    return;
  }
  if (spec == nullptr) {
    if (nonSmtpCommand(line, verb)) {
      log::warning("non-SMTP command from %s: %s", peer_.describe().c_str(),
                   std::string(line.substr(0, 100)).c_str());
      pendingStat_ = "unknown";
      stats_.record("unknown", false);
      pendingStat_ = {};
      io_.send(Reply(521, "5.5.1", "Protocol error").wire());
      closeSession();
      return;
    }
    reply(Reply(500, "5.5.2", line.empty() ? "Error: bad syntax" : "Error: command not recognized"));
    return;
  }
  if (settings_.tlsLevel == TlsLevel::Encrypt && !tls_ && !(spec->flags & kBeforeTls)) {
    reply(Reply(530, "5.7.0", "Must issue a STARTTLS command first"));
    return;
  }
  (this->*spec->handler)(args);
}

// --------------------------------------------------------------- replies

void Session::reply(const Reply& r) {
  io_.send(r.wire());
  if (!pendingStat_.empty()) {
    stats_.record(pendingStat_, r.positive());
    pendingStat_ = {};
  }
  if (r.error() && !closing_) {
    ++errors_;
    if (errors_ >= settings_.hardErrorLimit) tooManyErrors();
  }
}

void Session::intermediate(const Reply& r) { io_.send(r.wire()); }

void Session::tooManyErrors() {
  log::info("too many errors after %s from %s", lastCommand_.c_str(), peer_.describe().c_str());
  io_.send(Reply(421, "4.7.0", settings_.myhostname + " Error: too many errors").wire());
  closeSession();
}

void Session::timedOut() {
  if (closing_) return;
  log::info("timeout after %s from %s", lastCommand_.c_str(), peer_.describe().c_str());
  io_.send(Reply(421, "4.4.2", settings_.myhostname + " Error: timeout exceeded").wire());
  closeSession();
}

void Session::closeSession() {
  if (closing_) return;
  closing_ = true;
  resetTransaction();
  mode_ = Mode::Closed;
  in_.clear();
  inPos_ = 0;
  io_.close();
}

void Session::tlsEstablished(const TlsState& state) {
  if (closing_) return;
  log::info("Anonymous TLS connection established from %s: %s", peer_.describe().c_str(),
            state.description.c_str());
  // RFC 3207 4.2: forget everything the client said before TLS.
  tls_ = state;
  if (limits_ != nullptr) {
    if (auto refusal = limits_->check(LimitEvent::NewTls, peer_.address, peer_.describe())) {
      io_.send(refusal->wire());
      closeSession();
      return;
    }
  }
  helo_.clear();
  saslUser_.clear();
  saslMethod_.clear();
  esmtp_ = false;
  resetTransaction();
  mode_ = Mode::Command;
  in_.clear();
  inPos_ = 0;
  if (!greeted_) greet();
}

void Session::tlsFailed(const std::string& why) {
  if (closing_) return;
  log::warning("TLS handshake failed with %s: %s", peer_.describe().c_str(), why.c_str());
  log::info("lost connection after %s from %s", lastCommand_.c_str(), peer_.describe().c_str());
  closing_ = true;
  resetTransaction();
  mode_ = Mode::Closed;
}

void Session::closed() {
  if (closedCalled_) return;
  closedCalled_ = true;
  if (!pendingStat_.empty()) {
    stats_.record(pendingStat_, false);  // a command left without its reply
    pendingStat_ = {};
  }
  if (!closing_) {
    log::info("lost connection after %s from %s", lastCommand_.c_str(), peer_.describe().c_str());
    closing_ = true;
  }
  resetTransaction();
  mode_ = Mode::Closed;
  if (limits_ != nullptr) limits_->disconnect(peer_.address);
  log::info("disconnect from %s%s", peer_.describe().c_str(), stats_.summary().c_str());
}

// --------------------------------------------------------------- helpers

std::string Session::protocol() const {
  std::string p;
  if (tx_.params.smtputf8) p = "UTF8SMTP";
  else p = esmtp_ ? "ESMTP" : "SMTP";
  if (tls_) p += "S";
  if (!saslUser_.empty()) p += "A";
  return p;
}

Offered Session::offered() const {
  auto has = [&](std::string_view k) {
    return std::find(settings_.discardEhloKeywords.begin(), settings_.discardEhloKeywords.end(),
                     k) == settings_.discardEhloKeywords.end();
  };
  Offered o;
  o.chunking = has("CHUNKING");
  o.smtputf8 = has("SMTPUTF8");
  o.dsn = has("DSN");
  o.eightBitMime = has("8BITMIME");
  o.sizeLimit = settings_.messageSizeLimit;
  return o;
}

bool Session::trusted() {
  if (!trusted_) trusted_ = policy_.trustedClient(peer_.address);
  return *trusted_;
}

void Session::logReject(std::string_view stage, const Reply& r, std::string_view recipient) const {
  logAction("reject", stage, r.text(), recipient);
}

void Session::resetTransaction() {
  if (tx_.sink) tx_.sink->abort();
  tx_ = Transaction();
  dataReader_.reset();
  pending_.clear();
  pending_.shrink_to_fit();
}

}  // namespace posthorn::smtpd
