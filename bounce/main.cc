// bounce - the bounce service: writes delivery status notifications
// (see bounce(8))
//
// master runs it as `bounce unix - - y - 0 bounce`: a private service,
// chrooted into the queue directory, as mail_owner. qmgr connects for each
// notification (lib/proto/proto_bounce.h); the service reads the queue file,
// writes the DSN (bounce/bounce_message.h) and submits it through cleanup.
#include <time.h>

#include "bounce/bounce_connection.h"
#include "bounce/bounce_service.h"
#include "lib/ipc/service_path.h"
#include "lib/proto/cleanup_client.h"
#include "lib/server/daemon_main.h"

using namespace posthorn;

int main(int argc, char** argv) {
  return server::runDaemon(argc, argv, [](server::Worker& worker) {
    const bounce::BounceSettings settings(worker.config());
    server::WorkerSettings jail = worker.defaults();
    bounce::BounceService service(
        settings, worker.rootAfterJail(jail.chroot),
        ipc::servicePath(jail.chroot, worker.chrootsInto(jail.chroot), cleanup::kCleanupService));
    jail.preJail = [] { ::tzset(); };  // Date: in local time
    return worker.run(jail, [&](server::Connection conn) {
      bounce::serveConnection(conn.fd, conn.peer, service);
      conn.done();
    });
  });
}
