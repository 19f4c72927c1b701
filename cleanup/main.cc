// cleanup - the only writer of new queue files (see cleanup(8))
//
// master runs it as `cleanup unix n - y - 0 cleanup`: a public unix
// service at $queue_directory/public/cleanup, chrooted into the queue
// directory, as mail_owner. Each process serves one client at a time
// (blocking, so that an fsync holds up no other client); master starts as
// many processes as there are clients, so commits run in parallel.
#include <time.h>

#include <cstdio>
#include <exception>
#include <utility>

#include "lib/config/config.h"
#include "lib/ipc/ipc.h"
#include "lib/log/log.h"
#include "lib/util/privilege.h"
#include "lib/queue/queue_dirs.h"
#include "lib/server/server.h"
#include "cleanup/cleanup_session.h"
#include "cleanup/cleanup_settings.h"

using namespace posthorn;

int main(int argc, char** argv) {
  try {
    const auto options = server::Options::fromArgv(argc, argv);
    server::Worker worker(options);
    cleanup::Settings settings(worker.config());

    // Inside the jail the queue directory is "/".
    const bool jailed =
        options.chroot && privilege::runningAsRoot() && !settings.queueDirectory.empty();
    const std::string root = jailed ? std::string() : settings.queueDirectory;
    settings.session.incomingDir =
        root + "/" + std::string(queue::queueDirName(queue::QueueDir::Incoming));
    settings.session.qmgrTrigger =
        root + "/" + std::string(queue::queueDirName(queue::QueueDir::Public)) + "/qmgr";

    server::WorkerSettings jail;
    jail.chroot = settings.queueDirectory;
    jail.user = settings.mailOwner;
    jail.networkFacing = true;  // it parses what came from the network
    jail.clientLimit = 1;
    jail.maxUse = settings.maxUse;
    jail.maxIdle = settings.maxIdle;
    // The local time zone for Date: headers, while /etc/localtime is reachable.
    jail.preJail = [] { ::tzset(); };
    jail.postJail = [&] {
      // Temporary files of a cleanup that died mid-message: no writer is
      // older than daemon_timeout.
      try {
        if (const std::size_t n = queue::removeStaleTempFiles(settings.session.incomingDir,
                                                              settings.session.messageTimeout))
          log::info("removed %zu stale temporary files from %s", n,
                    settings.session.incomingDir.c_str());
      } catch (const std::exception& e) {
        log::warning("%s", e.what());
      }
    };
    return worker.run(jail, [&](server::Connection conn) {
      {
        cleanup::CleanupSession session(settings.session, ipc::Channel(conn.fd), conn.peer);
        session.run();
      }  // the channel is closed here
      conn.done();
    });
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "cleanup: %s\n", e.what());
    log::error("%s", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cleanup: fatal: %s\n", e.what());
    log::error("fatal: %s", e.what());
    return 1;
  }
}
