// login_stage - one client of a login stage, from greeting to handover
#include "lib/login/login_stage.h"

#include <exception>

#include "lib/ipc/ipc.h"
#include "lib/log/log.h"
#include "lib/login/client_handover.h"

namespace posthorn::login {
namespace {

// `what` names the handshake in the log: "TLS" on the TLS port, else the command.
bool handshake(net::ClientStream& stream, const std::string& address, const tls::Context* ctx,
               const char* what) {
  std::string error;
  if (ctx == nullptr || !stream.startTls(*ctx, &error)) {
    log::info("%s handshake with %s failed: %s", what, address.c_str(), error.c_str());
    return false;
  }
  log::info("TLS connection established from %s: %s", address.c_str(),
            stream.tlsDescription().c_str());
  return true;
}

void handOver(const LoginStage& stage, net::ClientStream& stream, const std::string& address,
              const LoginResult& login, LoginProtocol& protocol) {
  try {
    net::handOverClient(stream, stage.mailboxSocket,
                        [&](ipc::Channel& channel, int fd, std::string pending) {
                          ipc::LoginHandover h;
                          h.user = login.user;
                          h.clientAddress = address;
                          h.tls = stream.tls();
                          h.tag = login.tag;
                          h.pending = std::move(pending);
                          protocol.sendHandover(channel, fd, std::move(h));
                        });
  } catch (const std::exception& e) {
    log::error("handover of %s (%s) to %s failed: %s", login.user.c_str(), address.c_str(),
               stage.mailboxSocket.c_str(), e.what());
    stream.write(finalReply(login.tag, stage.words.handoverFailed) + "\r\n");
    stream.flush();
  }
}

}  // namespace

void serveClient(const LoginStage& stage, net::ClientStream& stream, const std::string& address,
                 LoginProtocol& protocol) {
  log::info("connect from %s", address.c_str());
  if (stage.implicitTls) {
    if (!handshake(stream, address, stage.tls, "TLS")) return;
    protocol.tlsStarted();
  }
  protocol.greet();
  while (true) {
    const LoginResult r = protocol.next();
    switch (r.kind) {
      case LoginResult::Kind::Continue:
      case LoginResult::Kind::SaslResponse:
        break;
      case LoginResult::Kind::TimedOut:
        stream.write(std::string(stage.words.timeout) + "\r\n");
        stream.flush();
        log::info("timeout before login from %s", address.c_str());
        return;
      case LoginResult::Kind::Disconnected:
        log::info("disconnect from %s before login", address.c_str());
        return;
      case LoginResult::Kind::Close:
        stream.flush();
        log::info("disconnect from %s", address.c_str());
        return;
      case LoginResult::Kind::StartTls:
        if (!handshake(stream, address, stage.tls, stage.words.startTls)) return;
        protocol.tlsStarted();
        break;
      case LoginResult::Kind::Authenticated:
        handOver(stage, stream, address, r, protocol);
        return;
    }
  }
}

}  // namespace posthorn::login
