// imap_login - imapd's login stage: one client from greeting to handover
#include "imapd/imap_login.h"

#include <memory>

#include "imapd/imap_login_session.h"
#include "imapd/imap_parser.h"
#include "lib/ipc/ipc.h"
#include "lib/login/client_stream.h"
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

// IMAP's reader: the parser over the client's bytes, to the login session.
class ImapLogin : public login::LoginProtocol {
 public:
  ImapLogin(net::ClientStream& stream, LoginSession& session) : stream_(stream), session_(session) {}

  void greet() override { session_.greet(); }
  LoginResult next() override;

  void tlsStarted() override {
    // What the client sent in the clear after STARTTLS goes with the old
    // parser (CVE-2011-0411).
    parser_ = std::make_unique<ImapParser>(loginLimits());
    session_.tlsStarted();
  }

  void sendHandover(ipc::Channel& channel, int fd, ipc::LoginHandover handover) override {
    handover.clientId = session_.clientId();
    handover.pending = parser_->takeBuffered() + handover.pending;
    channel.send(ipc::ImapHandover{std::move(handover)}, fd);
  }

 private:
  net::ClientStream& stream_;
  LoginSession& session_;
  std::unique_ptr<ImapParser> parser_ = std::make_unique<ImapParser>(loginLimits());
};

LoginResult ImapLogin::next() {
  while (true) {
    LoginResult r;
    switch (parser_->next()) {
      case ImapParser::Event::NeedMore: {
        std::string bytes;
        switch (stream_.readSome(bytes)) {
          case net::ClientStream::Fill::Data: parser_->feed(bytes); continue;
          case net::ClientStream::Fill::Timeout: return {LoginResult::Kind::TimedOut, {}, {}};
          case net::ClientStream::Fill::Closed: return {LoginResult::Kind::Disconnected, {}, {}};
        }
        continue;
      }
      case ImapParser::Event::Literal:
        if (parser_->literal().synchronizing) {
          parser_->acceptLiteral();
          stream_.write("+ OK\r\n");
        }
        continue;
      case ImapParser::Event::Error: {
        const auto& e = parser_->error();
        stream_.write((e.tag.empty() ? std::string("*") : e.tag) + " " + e.response() + "\r\n");
        r = session_.badInput();
        break;
      }
      case ImapParser::Event::Line: r = session_.saslLine(parser_->line()); break;
      case ImapParser::Event::Command: r = session_.handle(parser_->command()); break;
    }
    if (r.kind == LoginResult::Kind::SaslResponse) parser_->expectLine();
    return r;
  }
}

}  // namespace

void serveLogin(int fd, const std::string& peer, LoginContext& ctx) {
  login::serveLoginClient<LoginSession, ImapLogin>(
      fd, peer, ctx, {ctx.settings.loginTimeout, ctx.settings.maxLineLength}, kLoginWords);
}

}  // namespace posthorn::imapd
