// authd - the user database service: the only reader of the passwd file (see authd(8))
//
// master runs it as a private unix service
//   authd-userdb  unix  -  n  n  -  -  authd
// that is, not chrooted (it reads /etc/mail/passwd, tables under /etc and
// the system's user databases) and, with unpriv=n, as root: the passwd file
// holds password hashes and stays readable by root only (0640 root:root, or
// group mail_owner's when authd runs unprivileged), and the coming passdb
// side checks system passwords through PAM and /etc/shadow. authd parses
// nothing from the network; its clients are posthorn's own workers, which
// reach it at $queue_directory/private/authd-userdb (/private/authd-userdb
// inside their chroot). With unpriv=y it runs as mail_owner instead.
#include <cstdio>
#include <exception>

#include "auth/authd_settings.h"
#include "auth/userdb.h"
#include "auth/userdb_server.h"
#include "lib/config.h"
#include "lib/log.h"
#include "lib/server.h"

using namespace posthorn;

int main(int argc, char** argv) {
  try {
    const auto options = server::Options::fromArgv(argc, argv);
    server::Worker worker(options);
    const auth::Settings settings(worker.config());
    auto userdb = auth::Userdb::fromSettings(settings);
    auth::UserdbServer userdbServer(*userdb, settings.clientTimeout);

    server::WorkerSettings jail;
    jail.chroot = "";  // never: authd reads files under /etc
    jail.user = settings.mailOwner;
    jail.networkFacing = false;
    jail.maxUse = settings.maxUse;
    jail.maxIdle = settings.maxIdle;
    jail.postJail = [&] {
      userdbServer.stopOnSignals(worker.eventBase());
      if (options.chroot) {
        log::info("master.conf asks for a chroot: authd runs unchrooted (it reads /etc)");
      }
      for (const auto& warning : settings.warnings) log::warning("%s", warning.c_str());
    };
    return worker.run(jail, [&](server::Connection conn) {
      userdbServer.serve(worker.eventBase(), std::move(conn));
    });
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "authd: %s\n", e.what());
    log::error("%s", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "authd: fatal: %s\n", e.what());
    log::error("fatal: %s", e.what());
    return 1;
  }
}
