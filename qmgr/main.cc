// qmgr - the queue manager (see qmgr(8))
//
// master runs it as `qmgr unix n - y 60 1 qmgr`: one persistent process,
// chrooted into the queue directory, as mail_owner. Its public socket is
// the trigger (qmgr/trigger.h). Tables (transport_maps, domain lists) come
// through mapd, one connection per delivery thread.
#include <memory>
#include <vector>

#include "lib/address/address_resolver.h"
#include "lib/ipc/service_path.h"
#include "lib/map/table_lookup.h"
#include "lib/proto/map_client.h"
#include "lib/server/daemon_main.h"
#include "qmgr/qmgr_settings.h"
#include "qmgr/scheduler.h"
#include "qmgr/trigger.h"

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
  return server::runDaemon(argc, argv, [](server::Worker& worker) {
    qmgr::Settings settings(worker.config());
    server::WorkerSettings jail = worker.defaults();  // it reads what network clients sent
    const bool jailed = worker.chrootsInto(jail.chroot);
    settings.root = worker.rootAfterJail(jail.chroot);
    jail.clientLimit = 100;
    jail.maxUse = 0;  // persistent, like Postfix's qmgr
    jail.maxIdle = std::chrono::seconds(0);

    std::vector<std::unique_ptr<RoutingTables>> tables;
    std::unique_ptr<qmgr::Scheduler> scheduler;
    jail.postJail = [&] {
      const std::string mapdSocket = ipc::servicePath(jail.chroot, jailed, mapd::kMapdService);
      auto makeResolver = [&, mapdSocket] {
        tables.push_back(std::make_unique<RoutingTables>(mapdSocket));
        return std::make_unique<address::AddressResolver>(worker.config(), tables.back()->lookup);
      };
      scheduler = std::make_unique<qmgr::Scheduler>(settings, makeResolver);
      scheduler->start();
    };
    const int status = worker.run(jail, [&](server::Connection conn) {
      const qmgr::Trigger trigger = qmgr::readTrigger(conn.fd);
      conn.done();
      if (!scheduler) return;
      trigger == qmgr::Trigger::Flush ? scheduler->flush() : scheduler->wake();
    });
    if (scheduler) scheduler->stop(std::chrono::seconds(3));
    return status;
  });
}
