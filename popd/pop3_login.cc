// pop3_login - popd's login stage: one client from greeting to handover
#include "popd/pop3_login.h"

#include "lib/ipc/ipc.h"
#include "lib/login/client_stream.h"
#include "lib/proto/proto_pop3.h"
#include "popd/pop3_login_session.h"

namespace posthorn::popd {
namespace {

// POP3's reader: a line at a time, to the login session.
class Pop3Login : public login::LoginProtocol {
 public:
  Pop3Login(net::ClientStream& stream, LoginSession& session) : stream_(stream), session_(session) {}

  void greet() override { session_.greet(); }

  LoginResult next() override {
    switch (stream_.readLine(line_)) {
      case net::ClientStream::Read::Line: return session_.handleLine(line_);
      case net::ClientStream::Read::TooLong: return session_.lineTooLong();
      case net::ClientStream::Read::Timeout: return {LoginResult::Kind::TimedOut, {}, {}};
      case net::ClientStream::Read::Closed: break;
    }
    return {LoginResult::Kind::Disconnected, {}, {}};
  }

  void tlsStarted() override { session_.tlsStarted(); }

  void sendHandover(ipc::Channel& channel, int fd, ipc::LoginHandover handover) override {
    channel.send(ipc::Pop3Handover{std::move(handover)}, fd);
  }

 private:
  net::ClientStream& stream_;
  LoginSession& session_;
  std::string line_;
};

}  // namespace

void serveLogin(int fd, const std::string& peer, LoginContext& ctx) {
  login::serveLoginClient<LoginSession, Pop3Login>(
      fd, peer, ctx, {ctx.settings.timeout, ctx.settings.lineLengthLimit}, kLoginWords);
}

}  // namespace posthorn::popd
