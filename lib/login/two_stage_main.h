// two_stage_main - main() of a server in two stages, as popd and imapd are
//
//   pop3          inet  n - y - - popd            login stage: chrooted,
//   pop3-mailbox  unix  - n n - - popd mailbox    mailbox stage: root until
//                                                 it becomes the user
//
// The login stage authenticates through authd's passdb and hands the
// client to the mailbox stage's private socket (PROGRAM_mailbox_service);
// its TLS context comes from the program's tls settings (logged as
// PROGRAM_tls_protocols). Each daemon plugs in its Settings, its
// LoginContext ({settings, auth, tls, mailboxSocket}) and its two serve
// functions:
//
//   int main(int argc, char** argv) {
//     return stage::twoStageMain<popd::Settings, popd::LoginContext>(
//         argc, argv, {"popd", popd::serveLogin, popd::serveMailbox});
//   }
//
// A daemon may run its mailbox stage as a program of its own instead, one
// that links no OpenSSL (each logged-in client has such a process; the
// login stage proxies TLS): imapd-mailbox runs mailboxStageMain, and
// `imapd mailbox` execs it (TwoStageProgram::mailboxProgram).
//
//   imap-mailbox  unix  - n n - - imapd-mailbox
//
//   int main(int argc, char** argv) {
//     return stage::mailboxStageMain<imapd::Settings>(
//         argc, argv, {"imapd", imapd::serveMailbox});
//   }
#pragma once

#include <csignal>
#include <ctime>
#include <memory>
#include <string>

#include "lib/config/config.h"
#include "lib/login/mail_user.h"
#include "lib/proto/passdb_client.h"
#include "lib/proto/sasl_authenticator.h"
#include "lib/server/daemon_main.h"
#include "lib/login/stage_worker.h"
#include "lib/tls/tls.h"

namespace posthorn::stage {

template <class Settings, class LoginContext>
struct TwoStageProgram {
  const char* name;  // "popd": messages, the *_tls_protocols parameter
  void (*serveLogin)(int fd, const std::string& peer, LoginContext& ctx);
  // The mailbox stage, in this program; or, when null, mailboxProgram (in
  // this program's directory) runs it: "mailbox" execs that.
  void (*serveMailbox)(int fd, const Settings& settings, const std::string& userdbSocket);
  const char* mailboxProgram = nullptr;
};

template <class Settings>
struct MailboxStageProgram {
  const char* loginProgram;  // "imapd": what a login stage that hands over runs
  void (*serveMailbox)(int fd, const Settings& settings, const std::string& userdbSocket);
};

template <class Settings, class LoginContext>
int runLoginStage(server::Worker& worker, const Settings& settings,
                  const TwoStageProgram<Settings, LoginContext>& program) {
  server::WorkerSettings jail = worker.defaults();  // network-facing, one client at a time
  const bool chrooted = worker.chrootsInto(jail.chroot);
  passdb::PassdbAuthenticator auth(ipc::servicePath(jail.chroot, chrooted, passdb::kPassdbService));
  const std::string mailboxSocket =
      ipc::servicePath(jail.chroot, chrooted, {ipc::Visibility::Private, settings.mailboxService});
  std::unique_ptr<LoginContext> context;
  jail.preJail = [&] {
    ::tzset();
    std::shared_ptr<tls::Context> tlsContext;
    if (settings.tlsAvailable()) {
      tlsContext = tls::serverContext({.certFile = settings.tlsCertFile,
                                       .keyFile = settings.tlsKeyFile,
                                       .protocols = settings.tlsProtocols,
                                       .ciphers = settings.tlsCiphers},
                                      std::string(program.name) + "_tls_protocols");
    }
    context =
        std::make_unique<LoginContext>(LoginContext{settings, auth, tlsContext, mailboxSocket});
  };
  return worker.run(jail, [&](server::Connection conn) {
    program.serveLogin(conn.fd, conn.peer, *context);
    conn.done();
  });
}

// The whole main(): no argument runs the login stage, "mailbox" the
// mailbox stage. Returns the exit status; a configuration error or a fatal
// one is written to stderr and logged (server::runDaemon).
template <class Settings, class LoginContext>
int twoStageMain(int argc, char** argv, const TwoStageProgram<Settings, LoginContext>& program) {
  std::signal(SIGPIPE, SIG_IGN);
  const auto checkArgs = [&](const server::Options& options) {
    if (options.args.size() > 1 || (options.args.size() == 1 && options.args[0] != "mailbox"))
      throw config::ConfigError("unexpected arguments (the only one is \"mailbox\")");
    if (options.args.size() == 1 && program.serveMailbox == nullptr)
      execMailboxProgram(argc, argv, program.mailboxProgram);
  };
  return server::runDaemon(argc, argv, [&](server::Worker& worker) {
    const Settings settings(worker.config());
    if (worker.options().args.size() == 1) {
      return runMailboxStage(worker, [&](int fd, const std::string& userdbSocket) {
        program.serveMailbox(fd, settings, userdbSocket);
      });
    }
    return runLoginStage(worker, settings, program);
  }, checkArgs);
}

// The whole main() of a program that runs only the mailbox stage (no
// arguments); it accepts handovers from program.loginProgram only.
template <class Settings>
int mailboxStageMain(int argc, char** argv, const MailboxStageProgram<Settings>& program) {
  std::signal(SIGPIPE, SIG_IGN);
  const auto checkArgs = [&](const server::Options& options) {
    if (!options.args.empty()) throw config::ConfigError("unexpected arguments");
    mailuser::setLoginStageProgram(program.loginProgram);
  };
  return server::runDaemon(argc, argv, [&](server::Worker& worker) {
    const Settings settings(worker.config());
    return runMailboxStage(worker, [&](int fd, const std::string& userdbSocket) {
      program.serveMailbox(fd, settings, userdbSocket);
    });
  }, checkArgs);
}

}  // namespace posthorn::stage
