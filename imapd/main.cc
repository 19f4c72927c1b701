// imapd - the IMAP server (see imapd(8))
//
// One program, two stages, as Dovecot splits imap-login and imap:
//   imap          inet  n - y - - imapd            login stage: chrooted,
//   imaps         inet  n - y - - imapd -o imapd_tls_wrappermode=yes   as mail_owner
//   imap-mailbox  unix  - n n - - imapd mailbox    mailbox stage: root until
//                                                  it becomes the user
// Both serve one client at a time per process.
#include <csignal>
#include <cstdio>
#include <ctime>
#include <exception>
#include <memory>

#include "imapd/imap_login.h"
#include "imapd/imap_mailbox_stage.h"
#include "imapd/imap_settings.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/passdb_client.h"
#include "lib/privilege.h"
#include "lib/sasl_authenticator.h"
#include "lib/server.h"
#include "lib/tls.h"
#include "lib/userdb_client.h"

using namespace posthorn;

namespace {

int runMailboxStage(server::Worker& worker, const imapd::Settings& settings) {
  server::WorkerSettings jail;  // no chroot, stays root: it becomes the user per session
  jail.networkFacing = false;
  jail.clientLimit = 1;
  jail.maxUse = 1;
  jail.maxIdle = settings.maxIdle;
  jail.preJail = [] { ::tzset(); };
  const std::string userdbSocket = userdb::userdbSocketPath(settings.queueDirectory, false);
  return worker.run(jail, [&](server::Connection conn) {
    imapd::serveMailbox(conn.fd, settings, userdbSocket);
    conn.done();
  });
}

int runLoginStage(server::Worker& worker, const server::Options& options, const imapd::Settings& settings) {
  const bool chrooted = privilege::runningAsRoot() && options.chroot && !settings.queueDirectory.empty();
  passdb::PassdbAuthenticator auth(passdb::passdbSocketPath(settings.queueDirectory, chrooted));
  const std::string mailboxSocket =
      (chrooted ? std::string() : settings.queueDirectory) + "/private/" + settings.mailboxService;
  std::unique_ptr<imapd::LoginContext> context;
  server::WorkerSettings jail;
  jail.chroot = settings.queueDirectory;
  jail.user = settings.mailOwner;
  jail.networkFacing = true;
  jail.clientLimit = 1;
  jail.maxUse = settings.maxUse;
  jail.maxIdle = settings.maxIdle;
  jail.preJail = [&] {
    ::tzset();
    std::shared_ptr<tls::Context> tlsContext;
    if (settings.tlsAvailable()) {
      tls::ServerSettings ts;
      ts.certFile = settings.tlsCertFile;
      ts.keyFile = settings.tlsKeyFile;
      ts.protocols = settings.tlsProtocols;
      ts.ciphers = settings.tlsCiphers;
      std::vector<std::string> warnings;
      tls::parseProtocols(ts.protocols, &warnings);
      for (const auto& w : warnings) log::warning("imapd_tls_protocols: %s", w.c_str());
      tlsContext = tls::Context::server(ts);
    }
    context = std::make_unique<imapd::LoginContext>(imapd::LoginContext{settings, auth, tlsContext, mailboxSocket});
  };
  return worker.run(jail, [&](server::Connection conn) {
    imapd::serveLogin(conn.fd, conn.peer, *context);
    conn.done();
  });
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  try {
    const auto options = server::Options::fromArgv(argc, argv);
    if (options.args.size() > 1 || (options.args.size() == 1 && options.args[0] != "mailbox"))
      throw config::ConfigError("unexpected arguments (the only one is \"mailbox\")");
    server::Worker worker(options);
    const imapd::Settings settings(worker.config());
    if (options.args.size() == 1) return runMailboxStage(worker, settings);
    return runLoginStage(worker, options, settings);
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "imapd: %s\n", e.what());
    log::error("%s", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "imapd: fatal: %s\n", e.what());
    log::error("fatal: %s", e.what());
    return 1;
  }
}
