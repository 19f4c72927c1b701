// imap_login - the login stage: one client from greeting to handover
#include "imapd/imap_login.h"

#include <exception>

#include "imapd/imap_login_session.h"
#include "imapd/imap_parser.h"
#include "lib/login/client_handover.h"
#include "lib/login/client_stream.h"
#include "lib/ipc/ipc.h"
#include "lib/log/log.h"
#include "lib/proto/proto_imap.h"

namespace posthorn::imapd {
namespace {

ImapLimits loginLimits() {
  ImapLimits l;
  l.maxLineLength = 8192;   // a LOGIN or AUTHENTICATE line, an ID list
  l.maxLiteralSize = 8192;  // a password as a literal
  l.memoryLiteralSize = 8192;
  l.maxMemoryLiterals = 16384;
  l.maxArguments = 100;
  return l;
}

void handOver(net::ClientStream& stream, ImapParser& parser, const LoginResult& r,
              const std::string& address, const std::string& clientId, LoginContext& ctx) {
  try {
    net::handOverClient(stream, ctx.mailboxSocket, [&](ipc::Channel& channel, int fd, std::string pending) {
      ipc::ImapHandover h;
      h.user = r.user;
      h.tag = r.tag;
      h.clientAddress = address;
      h.clientId = clientId;
      h.tls = stream.tls();
      h.pending = parser.takeBuffered() + pending;
      channel.send(h, fd);
    });
  } catch (const std::exception& e) {
    log::error("handover of %s (%s) to %s failed: %s", r.user.c_str(), address.c_str(),
               ctx.mailboxSocket.c_str(), e.what());
    stream.write(r.tag + " NO [UNAVAILABLE] Internal error, try again later.\r\n");
    stream.flush();
  }
}

}  // namespace

void serveLogin(int fd, const std::string& peer, LoginContext& ctx) {
  const Settings& settings = ctx.settings;
  const std::string address = net::clientAddressOf(peer);
  net::ClientStream stream(fd, settings.loginTimeout, settings.maxLineLength);
  log::info("connect from %s", address.c_str());
  std::string error;
  if (settings.tlsWrapperMode) {
    if (!ctx.tls || !stream.startTls(*ctx.tls, &error)) {
      log::info("TLS handshake with %s failed: %s", address.c_str(), error.c_str());
      return;
    }
    log::info("TLS connection established from %s: %s", address.c_str(),
              stream.tlsDescription().c_str());
  }
  LoginSession login(settings, ctx.auth, stream, address, stream.tls());
  login.greet();
  auto parser = std::make_unique<ImapParser>(loginLimits());
  while (true) {
    LoginResult r;
    switch (parser->next()) {
      case ImapParser::Event::NeedMore: {
        std::string bytes;
        switch (stream.readSome(bytes)) {
          case net::ClientStream::Fill::Data: parser->feed(bytes); continue;
          case net::ClientStream::Fill::Timeout:
            stream.write("* BYE Disconnected for inactivity.\r\n");
            stream.flush();
            log::info("timeout before login from %s", address.c_str());
            return;
          case net::ClientStream::Fill::Closed:
            log::info("disconnect from %s before login", address.c_str());
            return;
        }
        continue;
      }
      case ImapParser::Event::Literal:
        if (parser->literal().synchronizing) {
          parser->acceptLiteral();
          stream.write("+ OK\r\n");
        }
        continue;
      case ImapParser::Event::Error: {
        const auto& e = parser->error();
        stream.write((e.tag.empty() ? std::string("*") : e.tag) + " " + e.response() + "\r\n");
        r = login.badInput();
        break;
      }
      case ImapParser::Event::Line: r = login.saslLine(parser->line()); break;
      case ImapParser::Event::Command: r = login.handle(parser->command()); break;
    }
    switch (r.kind) {
      case LoginResult::Kind::Continue:
      case LoginResult::Kind::TimedOut:
      case LoginResult::Kind::Disconnected:
        break;
      case LoginResult::Kind::SaslResponse: parser->expectLine(); break;
      case LoginResult::Kind::Close:
        stream.flush();
        log::info("disconnect from %s", address.c_str());
        return;
      case LoginResult::Kind::StartTls:
        // Whatever the client sent after STARTTLS in the clear is dropped
        // with the old parser (CVE-2011-0411).
        parser = std::make_unique<ImapParser>(loginLimits());
        if (!ctx.tls || !stream.startTls(*ctx.tls, &error)) {
          log::info("STARTTLS handshake with %s failed: %s", address.c_str(), error.c_str());
          return;
        }
        log::info("TLS connection established from %s: %s", address.c_str(),
                  stream.tlsDescription().c_str());
        login.tlsStarted();
        break;
      case LoginResult::Kind::Authenticated:
        handOver(stream, *parser, r, address, login.clientId(), ctx);
        return;
    }
  }
}

}  // namespace posthorn::imapd
