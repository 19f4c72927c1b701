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

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include "lib/proto/cleanup_client.h"
#include "lib/config/config.h"
#include "lib/log/log.h"
#include "lib/util/privilege.h"
#include "lib/queue/queue_dirs.h"
#include "lib/server/server.h"
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
  try {
    const auto options = server::Options::fromArgv(argc, argv);
    server::Worker worker(options);
    const config::Config& cfg = worker.config();
    const std::string queueDir = cfg.get("queue_directory");
    if (queueDir.empty()) throw config::ConfigError("queue_directory is empty");

    const bool jailed = options.chroot && privilege::runningAsRoot();
    const std::string root = jailed ? std::string() : queueDir;
    pickup::PickupSettings settings;
    settings.maildropDir = root + "/" + std::string(queue::queueDirName(queue::QueueDir::Maildrop));
    settings.cleanupSocket = ipc::servicePath(queueDir, jailed, cleanup::kCleanupService);
    settings.staleTempAge = cfg.getTime("daemon_timeout");
    settings.myorigin = cfg.get("myorigin");
    pickup::Pickup pickup(settings);

    server::WorkerSettings jail;
    jail.chroot = queueDir;
    jail.user = cfg.get("mail_owner");
    jail.networkFacing = true;  // it parses what users wrote
    jail.clientLimit = 1;
    jail.maxUse = static_cast<int>(cfg.getInt("max_use"));
    jail.maxIdle = cfg.getTime("max_idle");
    jail.postJail = [&] { runScan(pickup); };
    return worker.run(jail, [&](server::Connection conn) {
      drainTrigger(conn.fd);
      ::close(conn.fd);
      runScan(pickup);
      conn.done();
    });
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "pickup: %s\n", e.what());
    log::error("%s", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pickup: fatal: %s\n", e.what());
    log::error("fatal: %s", e.what());
    return 1;
  }
}
