// pickup - feeds maildrop/ to cleanup (see pickup(8))
//
// master runs it as `pickup unix n - y 60 1 pickup`: one process, chrooted
// into the queue directory, as mail_owner, listening on public/pickup.
// postdrop connects there and sends 'W' after each new maildrop file, and
// master does the same every 60 seconds (the wakeup column), which also
// starts pickup when master starts nothing else. Each trigger, and the
// start of the process, runs one scan of maildrop/ (pickup/pickup_scan.h),
// so mail dropped while the daemons were down goes as soon as they run.
#include <poll.h>
#include <unistd.h>

#include "lib/ipc/service_path.h"
#include "lib/log/log.h"
#include "lib/proto/cleanup_client.h"
#include "lib/queue/queue_dirs.h"
#include "lib/server/daemon_main.h"
#include "pickup/pickup_scan.h"

using namespace posthorn;

namespace {

// Reads what the trigger sent ('W'); waits at most a second for it.
void drainTrigger(int fd) {
  char buf[64];
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, 1000) > 0) (void)!::read(fd, buf, sizeof buf);
}

void runScan(pickup::Pickup& pickup) {
  const pickup::ScanResult r = pickup.scan();
  if (r.submitted + r.removed + r.deferred > 0)
    log::debug("scan: %zu submitted, %zu removed, %zu left", r.submitted, r.removed, r.deferred);
}

}  // namespace

int main(int argc, char** argv) {
  return server::runDaemon(argc, argv, [](server::Worker& worker) {
    const config::Config& cfg = worker.config();
    server::WorkerSettings jail = worker.defaults();  // it parses what users wrote
    const bool jailed = worker.chrootsInto(jail.chroot);
    pickup::PickupSettings settings;
    settings.maildropDir = worker.rootAfterJail(jail.chroot) + "/" +
                           std::string(queue::queueDirName(queue::QueueDir::Maildrop));
    settings.cleanupSocket = ipc::servicePath(jail.chroot, jailed, cleanup::kCleanupService);
    settings.staleTempAge = cfg.getTime("daemon_timeout");
    settings.myorigin = cfg.get("myorigin");
    pickup::Pickup pickup(settings);
    jail.postJail = [&] { runScan(pickup); };
    return worker.run(jail, [&](server::Connection conn) {
      drainTrigger(conn.fd);
      ::close(conn.fd);
      runScan(pickup);
      conn.done();
    });
  });
}
