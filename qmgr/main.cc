// qmgr - the queue manager (see qmgr(8))
//
// master runs it as `qmgr unix n - y 60 1 qmgr`: one persistent process,
// chrooted into the queue directory, as mail_owner. Its public socket is
// the trigger: cleanup connects and writes a byte when incoming/ has a new
// file, master does the same on the wakeup timer, and `posthorn queue
// flush` writes 'F' for a deferred-queue run now. Tables (transport_maps,
// domain lists) come through mapd.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <vector>

#include "lib/address/address_resolver.h"
#include "lib/config/config.h"
#include "lib/log/log.h"
#include "lib/proto/map_client.h"
#include "lib/util/privilege.h"
#include "lib/server/server.h"
#include "lib/map/table_lookup.h"
#include "qmgr/qmgr_settings.h"
#include "qmgr/scheduler.h"

using namespace posthorn;

namespace {

// A delivery thread's own connection to mapd, for its resolver.
struct RoutingTables {
  explicit RoutingTables(const std::string& socket) : client(socket), lookup(client) {}
  mapd::MapClient client;
  address::MapdTableLookup lookup;
};

}  // namespace

int main(int argc, char** argv) {
  try {
    const auto options = server::Options::fromArgv(argc, argv);
    server::Worker worker(options);
    qmgr::Settings settings(worker.config());
    const bool jailed = options.chroot && privilege::runningAsRoot();
    if (jailed) settings.root = "";

    std::vector<std::unique_ptr<RoutingTables>> tables;
    std::unique_ptr<qmgr::Scheduler> scheduler;

    server::WorkerSettings jail;
    jail.chroot = settings.queueDirectory;
    jail.user = settings.mailOwner;
    jail.networkFacing = true;  // it reads what network clients sent
    jail.clientLimit = 100;
    jail.maxUse = 0;  // persistent, like Postfix's qmgr
    jail.maxIdle = std::chrono::seconds(0);
    jail.postJail = [&] {
      const std::string mapdSocket =
          ipc::servicePath(settings.queueDirectory, jailed, mapd::kMapdService);
      auto makeResolver = [&, mapdSocket] {
        tables.push_back(std::make_unique<RoutingTables>(mapdSocket));
        return std::make_unique<address::AddressResolver>(worker.config(), tables.back()->lookup);
      };
      scheduler = std::make_unique<qmgr::Scheduler>(settings, makeResolver);
      scheduler->start();
    };
    const int status = worker.run(jail, [&](server::Connection conn) {
      // A trigger: 'F' (posthorn queue flush/release) asks for a run over
      // deferred/ now; anything else means "look at incoming/". The byte
      // is normally there with the connection; wait a moment if not.
      char buf[64];
      ssize_t n = ::recv(conn.fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        pollfd p{conn.fd, POLLIN, 0};
        if (::poll(&p, 1, 50) > 0) n = ::recv(conn.fd, buf, sizeof buf, MSG_DONTWAIT);
      }
      ::close(conn.fd);
      conn.done();
      const bool flush = n > 0 && std::memchr(buf, 'F', static_cast<std::size_t>(n)) != nullptr;
      if (scheduler) flush ? scheduler->flush() : scheduler->wake();
    });
    if (scheduler) scheduler->stop(std::chrono::seconds(3));
    return status;
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "qmgr: %s\n", e.what());
    log::error("%s", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qmgr: fatal: %s\n", e.what());
    log::error("fatal: %s", e.what());
    return 1;
  }
}
