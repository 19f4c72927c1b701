// cleanup - the only writer of new queue files (see cleanup(8))
//
// master runs it as `cleanup unix n - y - 0 cleanup`: a public unix
// service at $queue_directory/public/cleanup, chrooted into the queue
// directory, as mail_owner. Each process serves one client at a time
// (blocking, so that an fsync holds up no other client); master starts as
// many processes as there are clients, so commits run in parallel.
#include <time.h>

#include <exception>

#include "cleanup/cleanup_session.h"
#include "cleanup/cleanup_settings.h"
#include "lib/ipc/ipc.h"
#include "lib/log/log.h"
#include "lib/proto/map_client.h"
#include "lib/queue/queue_dirs.h"
#include "lib/server/daemon_main.h"

using namespace posthorn;

int main(int argc, char** argv) {
  return server::runDaemon(argc, argv, [](server::Worker& worker) {
    cleanup::Settings settings(worker.config());
    server::WorkerSettings jail = worker.defaults();
    settings.placeIn(worker.rootAfterJail(jail.chroot));
    settings.connectRewriting(
        worker.config(),
        ipc::servicePath(jail.chroot, worker.chrootsInto(jail.chroot), mapd::kMapdService));
    // The local time zone for Date: headers, while /etc/localtime is reachable.
    jail.preJail = [] { ::tzset(); };
    jail.postJail = [&] {
      // Temporary files of a cleanup that died mid-message: no writer is
      // older than daemon_timeout.
      const auto& s = settings.session;
      try {
        if (const std::size_t n = queue::removeStaleTempFiles(s.incomingDir, s.messageTimeout))
          log::info("removed %zu stale temporary files from %s", n, s.incomingDir.c_str());
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
  });
}
