// pop3_login - the login stage: one client from greeting to handover
#include "popd/pop3_login.h"

#include <exception>

#include "lib/login/client_handover.h"
#include "lib/login/client_stream.h"
#include "lib/ipc/ipc.h"
#include "lib/log/log.h"
#include "lib/proto/proto_pop3.h"
#include "popd/pop3_login_session.h"

namespace posthorn::popd {
namespace {

void handOver(net::ClientStream& stream, const std::string& user, const std::string& address,
              LoginContext& ctx) {
  try {
    net::handOverClient(stream, ctx.mailboxSocket, [&](ipc::Channel& channel, int fd, std::string pending) {
      ipc::Pop3Handover h;
      h.user = user;
      h.clientAddress = address;
      h.tls = stream.tls();
      h.pending = std::move(pending);
      channel.send(h, fd);
    });
  } catch (const std::exception& e) {
    log::error("handover of %s (%s) to %s failed: %s", user.c_str(), address.c_str(),
               ctx.mailboxSocket.c_str(), e.what());
    stream.write("-ERR [SYS/TEMP] Internal error, try again later.\r\n");
    stream.flush();
  }
}

}  // namespace

void serveLogin(int fd, const std::string& peer, LoginContext& ctx) {
  const Settings& settings = ctx.settings;
  const std::string address = net::clientAddressOf(peer);
  net::ClientStream stream(fd, settings.timeout, settings.lineLengthLimit);
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
  std::string line;
  while (true) {
    LoginResult r;
    switch (stream.readLine(line)) {
      case net::ClientStream::Read::Line: r = login.handleLine(line); break;
      case net::ClientStream::Read::TooLong: r = login.lineTooLong(); break;
      case net::ClientStream::Read::Timeout:
        stream.write("-ERR Disconnected for inactivity.\r\n");
        stream.flush();
        log::info("timeout before login from %s", address.c_str());
        return;
      case net::ClientStream::Read::Closed:
        log::info("disconnect from %s before login", address.c_str());
        return;
    }
    switch (r.kind) {
      case LoginResult::Kind::Continue:
      case LoginResult::Kind::SaslResponse:
      case LoginResult::Kind::TimedOut:
      case LoginResult::Kind::Disconnected:
        break;
      case LoginResult::Kind::Close:
        stream.flush();
        log::info("disconnect from %s", address.c_str());
        return;
      case LoginResult::Kind::StartTls:
        if (!ctx.tls || !stream.startTls(*ctx.tls, &error)) {
          log::info("STLS handshake with %s failed: %s", address.c_str(), error.c_str());
          return;
        }
        log::info("TLS connection established from %s: %s", address.c_str(),
                  stream.tlsDescription().c_str());
        login.tlsStarted();
        break;
      case LoginResult::Kind::Authenticated:
        handOver(stream, r.user, address, ctx);
        return;
    }
  }
}

}  // namespace posthorn::popd
