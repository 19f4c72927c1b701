// smtp_session - the client side of RFC 5321 with PIPELINING, STARTTLS, AUTH
#include "smtp/smtp_session.h"

#include <openssl/evp.h>

#include <algorithm>

#include "lib/log/log.h"
#include "lib/tls/tls.h"

namespace posthorn::smtp {

namespace {

Deadline after(std::chrono::seconds s) { return Clock::now() + s; }

std::string base64(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()), static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

}  // namespace

std::string Peer::relay() const { return hostname + "[" + address + "]:" + std::to_string(port); }

std::string xtext(std::string_view text) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (c < 33 || c > 126 || c == '+' || c == '=') {
      out += '+';
      out += hex[c >> 4];
      out += hex[c & 15];
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

SmtpSession::SmtpSession(std::unique_ptr<SmtpStream> stream, Peer peer, const Settings& settings,
                         const tls::Context* tlsContext, std::optional<Credentials> credentials)
    : stream_(std::move(stream)),
      peer_(std::move(peer)),
      settings_(settings),
      tlsContext_(tlsContext),
      credentials_(std::move(credentials)) {}

void SmtpSession::streamFailed(const StreamError& e, const char* stage, bool beforeAnyReply) {
  usable_ = false;
  if (e.timeout())
    throw SessionError("conversation with " + peer_.hostAddr() + " timed out while " + stage, std::nullopt,
                       beforeAnyReply);
  throw SessionError("lost connection with " + peer_.hostAddr() + " while " + stage + ": " + e.what(),
                     std::nullopt, beforeAnyReply);
}

void SmtpSession::tlsNotMet(const char* enhanced, const std::string& why) {
  usable_ = false;
  // The policy that asked for TLS, so the queue listing and the log say it.
  const std::string text = why + " (TLS policy: " + peer_.tls.describe() + ")";
  Reply r;
  r.code = 450;
  r.enhanced = enhanced;
  r.lines = {"450 " + std::string(enhanced) + " " + text};
  throw SessionError(text, r);
}

void SmtpSession::refused(const Reply& r, const char* stage) {
  throw SessionError("host " + peer_.hostAddr() + " said: " + r.text() + " (in reply to " + stage + ")", r);
}

Reply SmtpSession::read(std::chrono::seconds timeout, const char* stage) {
  try {
    return readReply(*stream_, after(timeout));
  } catch (const StreamError& e) {
    streamFailed(e, stage);
  }
}

Reply SmtpSession::command(const std::string& line, std::chrono::seconds timeout, const char* stage) {
  try {
    stream_->write(line + "\r\n", after(timeout));
    return readReply(*stream_, after(timeout));
  } catch (const StreamError& e) {
    streamFailed(e, stage);
  }
}

void SmtpSession::ehlo() {
  Reply r = command("EHLO " + settings_.heloName, settings_.timeouts.helo, "sending EHLO");
  if (r.kind() == 5 && (r.code == 500 || r.code == 502 || r.code == 504)) {
    r = command("HELO " + settings_.heloName, settings_.timeouts.helo, "sending HELO");
    if (r.kind() != 2) refused(r, "HELO command");
    caps_ = Capabilities{};
    return;
  }
  if (r.kind() != 2) refused(r, "EHLO command");
  caps_ = Capabilities::fromEhlo(r);
}

void SmtpSession::open(bool allowTls) {
  const Reply greeting = read(settings_.timeouts.helo, "receiving the initial server greeting");
  if (greeting.kind() != 2) refused(greeting, "initial greeting");
  ehlo();
  const TlsLevel level = peer_.tls.level;
  const bool wantTls = allowTls && tlsContext_ != nullptr && level != TlsLevel::None;
  if (wantTls) tlsAttempt_ = {true, "starttls-not-supported", "STARTTLS not offered"};
  if (wantTls && caps_.has("STARTTLS")) {
    const Reply r = command("STARTTLS", settings_.timeouts.starttls, "sending STARTTLS");
    if (r.kind() != 2) {
      tlsAttempt_.reason = "STARTTLS refused: " + r.text();
      if (level != TlsLevel::May) {
        // TLS is required: a refusal (even a 5xx an attacker may have
        // injected) defers; it never bounces the mail.
        tlsNotMet("4.7.4", "TLS is required, but host " + peer_.hostAddr() + " refused STARTTLS: " + r.text());
      }
    } else {
      std::function<void(ssl_st*)> dane;
      bool daneRefused = false;
      if (level == TlsLevel::Dane) {
        dane = [this, &daneRefused](ssl_st* ssl) {
          std::string why;
          daneRefused = !enableDane(ssl, peer_.hostname, peer_.tls.tlsa, &why);
          if (daneRefused) throw StreamError(why, false);
        };
      }
      const bool checkName = level == TlsLevel::Verify || peer_.tls.stsTesting;
      try {
        stream_->startTls(*tlsContext_, peer_.hostname, after(settings_.timeouts.starttls),
                          checkName ? peer_.hostname : "", dane);
      } catch (const StreamError& e) {
        usable_ = false;
        tlsFailed_ = true;
        tlsAttempt_ = {true, daneRefused ? "tlsa-invalid" : "validation-failure", e.what()};
        throw SessionError("TLS with " + peer_.hostAddr() + " failed: " + e.what(), std::nullopt);
      }
      tlsAttempt_ = {true, "success", ""};
      // The context may not verify (smtp_tls_security_level may) while
      // MTA-STS asks for it for this host: the verdict is read here.
      const std::string pkix = checkName ? pkixVerdict(stream_->ssl()) : "";
      if (!pkix.empty()) tlsAttempt_ = {true, pkixFailureType(stream_->ssl()), pkix};
      if (peer_.tls.stsTesting && !pkix.empty())
        log::info("MTA-STS (testing): the certificate of %s would be refused: %s; delivering anyway",
                  peer_.hostAddr().c_str(), pkix.c_str());
      if (level == TlsLevel::Verify && !pkix.empty())
        tlsNotMet("4.7.5", "Server certificate of " + peer_.hostAddr() + " not verified: " + pkix);
      if (level == TlsLevel::Dane) {
        if (const std::string why = daneVerdict(stream_->ssl()); !why.empty()) {
          tlsAttempt_ = {true, "tlsa-invalid", why};
          tlsNotMet("4.7.5", "Server certificate of " + peer_.hostAddr() + " not verified: " + why);
        }
      }
      // As Postfix words it: Verified (checked), Untrusted (a certificate
      // we did not check), Anonymous (none).
      const char* trust = level == TlsLevel::Verify || level == TlsLevel::Dane ? "Verified"
                          : stream_->peerCertificate()                         ? "Untrusted"
                                                                               : "Anonymous";
      log::info("%s TLS connection established to %s: %s%s", trust, peer_.relay().c_str(),
                stream_->tlsDescription().c_str(),
                level == TlsLevel::Dane ? " (DANE, TLSA)"
                : peer_.tls.mtaSts      ? " (MTA-STS)"
                : peer_.tls.stsTesting  ? " (MTA-STS testing)"
                                        : "");
      ehlo();
    }
  } else if (level == TlsLevel::Encrypt || level == TlsLevel::Verify || level == TlsLevel::Dane) {
    tlsNotMet("4.7.4", "TLS is required, but was not offered by host " + peer_.hostAddr());
  }
  if (credentials_) authenticate();
  usable_ = true;
}

void SmtpSession::authenticate() {
  if (!stream_->secure() && settings_.saslNoPlaintext) {
    Reply r;
    r.code = 450;
    r.enhanced = "4.7.0";
    r.lines = {"450 4.7.0 no TLS: will not send a password in plaintext"};
    throw SessionError("SASL authentication to " + peer_.hostAddr() +
                           " refused: no TLS, and smtp_sasl_security_options has noplaintext",
                       r);
  }
  auto offered = [&](const std::string& m) {
    const bool filtered = settings_.saslMechanismFilter.empty() ||
                          std::find(settings_.saslMechanismFilter.begin(), settings_.saslMechanismFilter.end(),
                                    m) != settings_.saslMechanismFilter.end();
    return filtered &&
           std::find(caps_.authMechanisms.begin(), caps_.authMechanisms.end(), m) != caps_.authMechanisms.end();
  };
  Reply r;
  if (offered("PLAIN")) {
    std::string token;
    token += '\0';
    token += credentials_->user;
    token += '\0';
    token += credentials_->password;
    r = command("AUTH PLAIN " + base64(token), settings_.timeouts.helo, "sending AUTH PLAIN");
  } else if (offered("LOGIN")) {
    r = command("AUTH LOGIN", settings_.timeouts.helo, "sending AUTH LOGIN");
    if (r.code == 334) r = command(base64(credentials_->user), settings_.timeouts.helo, "sending the user name");
    if (r.code == 334) r = command(base64(credentials_->password), settings_.timeouts.helo, "sending the password");
  } else {
    Reply none;
    none.code = 450;
    none.enhanced = "4.7.0";
    none.lines = {"450 4.7.0 no common SASL mechanism (PLAIN, LOGIN)"};
    throw SessionError("SASL authentication to " + peer_.hostAddr() + " failed: no common mechanism", none);
  }
  if (r.kind() != 2) {  // 235; some servers (smtp-sink) say 250
    // Postfix's smtp_sasl_auth_soft_bounce: a refused login is the
    // client's configuration, not the message's fault: defer.
    Reply soft = r;
    if (soft.kind() == 5) {
      soft.code = 450;
      soft.enhanced = "4.7.0";
    }
    throw SessionError("SASL authentication failed; server " + peer_.hostAddr() + " said: " + r.text(), soft);
  }
}

TransactionResult SmtpSession::send(const Transaction& t) {
  TransactionResult result;
  ++transactions_;
  const bool pipelining = caps_.has("PIPELINING");
  try {
    if (pipelining) {
      std::string batch = t.mailFrom + "\r\n";
      for (const auto& rc : t.rcptCommands) batch += rc + "\r\n";
      batch += "DATA\r\n";
      stream_->write(batch, after(settings_.timeouts.mail));
    } else {
      stream_->write(t.mailFrom + "\r\n", after(settings_.timeouts.mail));
    }
  } catch (const StreamError& e) {
    streamFailed(e, "sending MAIL FROM", true);
  }
  Reply mail;
  try {
    mail = readReply(*stream_, after(settings_.timeouts.mail));
  } catch (const StreamError& e) {
    streamFailed(e, "receiving the MAIL FROM reply", true);
  }
  if (mail.kind() != 2) {
    if (pipelining) {
      // Drain the replies to the pipelined RCPTs and DATA.
      for (std::size_t i = 0; i <= t.rcptCommands.size(); ++i) {
        const Reply r = read(settings_.timeouts.rcpt, "receiving the RCPT TO reply");
        if (i == t.rcptCommands.size() && r.code == 354) {
          usable_ = false;  // a server that says 354 now is beyond repair
        }
      }
    }
    refused(mail, "MAIL FROM command");
  }
  bool anyAccepted = false;
  for (const auto& rc : t.rcptCommands) {
    Reply r = pipelining ? read(settings_.timeouts.rcpt, "receiving the RCPT TO reply")
                         : command(rc, settings_.timeouts.rcpt, "sending RCPT TO");
    anyAccepted = anyAccepted || r.kind() == 2;
    result.rcptReplies.push_back(std::move(r));
  }
  Reply data;
  if (pipelining) data = read(settings_.timeouts.dataInit, "receiving the DATA reply");
  else if (anyAccepted) data = command("DATA", settings_.timeouts.dataInit, "sending DATA");
  if (!anyAccepted) {
    if (data.code == 354) {
      // RFC 2920 3.1: nothing to send, but the server waits for data.
      try {
        stream_->write(".\r\n", after(settings_.timeouts.dataDone));
      } catch (const StreamError& e) {
        streamFailed(e, "sending end of data");
      }
      read(settings_.timeouts.dataDone, "receiving the end-of-data reply");
    }
    reset();
    return result;
  }
  if (data.code != 354) {
    result.dataRefused = true;
    result.dataReply = data;
    reset();
    return result;
  }
  try {
    std::string chunk;
    while (t.content(&chunk)) {
      stream_->write(chunk, after(settings_.timeouts.dataXfer));
      chunk.clear();
    }
  } catch (const StreamError& e) {
    streamFailed(e, "sending message body");
  }
  result.dataReply = read(settings_.timeouts.dataDone, "receiving the end-of-data reply");
  if (result.dataReply->kind() != 2) reset();
  return result;
}

bool SmtpSession::reset() {
  if (!usable_) return false;
  try {
    stream_->write("RSET\r\n", after(settings_.timeouts.rset));
    const Reply r = readReply(*stream_, after(settings_.timeouts.rset));
    if (r.kind() != 2) usable_ = false;
  } catch (const StreamError&) {
    usable_ = false;
  }
  return usable_;
}

void SmtpSession::quit() {
  if (!usable_) return;
  usable_ = false;
  try {
    stream_->write("QUIT\r\n", after(settings_.timeouts.quit));
    readReply(*stream_, Clock::now() + std::min(settings_.timeouts.quit, std::chrono::seconds(5)));
  } catch (const StreamError&) {
  }
}

}  // namespace posthorn::smtp
