// authd - the user database service: the only reader of the passwd file (see authd(8))
//
// master runs it as a private unix service
//   authd-userdb  unix  -  n  n  -  -  authd
// that is, not chrooted (it reads /etc/mail/passwd, tables under /etc and
// the system's user databases) and, with unpriv=n, as root: the passwd file
// holds password hashes and stays readable by root only (0640 root:root, or
// group mail_owner's when authd runs unprivileged), and the passdb side
// checks system passwords through PAM (auth_pam_service). authd parses
// nothing from the network; its clients are posthorn's own workers, which
// reach it at $queue_directory/private/authd-userdb (/private/authd-userdb
// inside their chroot). With unpriv=y it runs as mail_owner instead.
//
// The same program serves the passdb side (password checks: SASL PLAIN,
// LOGIN, SCRAM-SHA-256) when master.conf gives it the argument "passdb":
//   authd-passdb unix  -  n  n  -  1  authd passdb
// at $queue_directory/private/authd-passdb. Its failure throttle lives in
// memory, so it runs as one process (maxproc 1) that never exits for
// max_use or max_idle (a restart would forget the failures).
#include <memory>

#include "auth/authd_settings.h"
#include "auth/passdb.h"
#include "auth/passdb_server.h"
#include "auth/userdb.h"
#include "auth/userdb_server.h"
#include "lib/config/config.h"
#include "lib/log/log.h"
#include "lib/server/request_server.h"
#include "lib/server/daemon_main.h"

using namespace posthorn;

int main(int argc, char** argv) {
  return server::runDaemon(argc, argv, [](server::Worker& worker) {
    const server::Options& options = worker.options();
    const auth::Settings settings(worker.config());
    if (options.args.size() > 1 || (options.args.size() == 1 && options.args[0] != "passdb")) {
      throw config::ConfigError("unexpected arguments (the only one is \"passdb\")");
    }
    const bool passdbSide = options.args.size() == 1;
    std::unique_ptr<auth::Userdb> userdb;
    std::unique_ptr<auth::Passdb> passdb;
    std::unique_ptr<auth::PassdbService> passdbService;
    std::unique_ptr<server::RequestServer> requests;
    server::WorkerSettings jail = worker.defaults();
    jail.chroot.clear();  // never: authd reads files under /etc
    jail.networkFacing = false;
    if (passdbSide) {
      passdb = std::make_unique<auth::Passdb>(settings.passdb);
      passdbService = std::make_unique<auth::PassdbService>(*passdb, settings.throttle);
      requests = std::make_unique<server::RequestServer>(passdbService->sessions(),
                                                         settings.clientTimeout);
      jail.maxUse = 0;  // the failure throttle lives in memory
      jail.maxIdle = std::chrono::seconds(0);
      jail.clientLimit = 1000;
    } else {
      userdb = auth::Userdb::fromSettings(settings);
      requests = std::make_unique<server::RequestServer>(auth::userdbAnswer(*userdb),
                                                         settings.clientTimeout);
      jail.clientLimit = 100;
    }
    jail.postJail = [&] {
      requests->stopOnSignals(worker.eventBase());
      if (options.chroot) {
        log::info("master.conf asks for a chroot: authd runs unchrooted (it reads /etc)");
      }
      for (const auto& warning : settings.warnings) log::warning("%s", warning.c_str());
    };
    return worker.run(jail, [&](server::Connection conn) {
      requests->serve(worker.eventBase(), std::move(conn));
    });
  });
}
