// bounce - the bounce service: writes delivery status notifications
// (see bounce(8))
//
// master runs it as `bounce unix - - y - 0 bounce`: a private service,
// chrooted into the queue directory, as mail_owner. qmgr connects for each
// notification (lib/proto/proto_bounce.h); the service reads the queue file,
// writes the DSN (bounce/bounce_message.h) and submits it through cleanup.
#include <poll.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <exception>

#include "lib/proto/cleanup_client.h"
#include "lib/config/config.h"
#include "lib/ipc/ipc.h"
#include "lib/log/log.h"
#include "lib/util/privilege.h"
#include "lib/proto/proto_bounce.h"
#include "lib/server/server.h"
#include "bounce/bounce_service.h"

using namespace posthorn;

int main(int argc, char** argv) {
  try {
    const auto options = server::Options::fromArgv(argc, argv);
    server::Worker worker(options);
    const bounce::BounceSettings settings(worker.config());
    if (settings.queueDirectory.empty()) throw config::ConfigError("queue_directory is empty");
    const bool jailed = options.chroot && privilege::runningAsRoot();
    const std::string root = jailed ? std::string() : settings.queueDirectory;
    bounce::BounceService service(
        settings, root,
        ipc::servicePath(settings.queueDirectory, jailed, cleanup::kCleanupService));

    server::WorkerSettings jail;
    jail.chroot = settings.queueDirectory;
    jail.user = settings.mailOwner;
    jail.networkFacing = true;  // it reads what came from the network
    jail.clientLimit = 1;
    jail.maxUse = settings.maxUse;
    jail.maxIdle = settings.maxIdle;
    jail.preJail = [] { ::tzset(); };  // Date: in local time
    return worker.run(jail, [&](server::Connection conn) {
      ipc::Channel channel(conn.fd);
      channel.setTimeout(std::chrono::seconds(600));
      try {
        for (;;) {
          ipc::BounceRequest request;
          try {
            request = channel.receive<ipc::BounceRequest>();
          } catch (const ipc::ChannelClosed&) {
            break;  // qmgr is done with this connection
          }
          // A request whose qmgr died while it waited (in the listen
          // backlog, say) is dropped: the next qmgr asks again, and doing
          // it now as well would send the DSN twice.
          pollfd p{conn.fd, POLLRDHUP, 0};
          if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP))) {
            log::info("%s: requester went away; %s notification left to the next qmgr",
                      request.queueId.c_str(), std::string(ipc::dsnKindName(request.kind)).c_str());
            break;
          }
          channel.send(service.handle(request));
        }
      } catch (const std::exception& e) {
        log::warning("%s: %s", conn.peer.c_str(), e.what());
      }
      conn.done();
    });
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "bounce: %s\n", e.what());
    log::error("%s", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bounce: fatal: %s\n", e.what());
    log::error("fatal: %s", e.what());
    return 1;
  }
}
