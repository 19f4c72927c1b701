// local - the local delivery agent (see local(8))
//
// master runs it as `local unix - n n - - local`: a private service, not
// chrooted and kept as root (unpriv=n), because it writes into users'
// mailboxes as each user (local/user_privileges.h). It serves one qmgr
// connection at a time (local/local_requests.h); master starts more
// processes for more connections.
#include <chrono>
#include <exception>

#include "lib/address/address_resolver.h"
#include "lib/ipc/ipc.h"
#include "lib/ipc/service_path.h"
#include "lib/log/log.h"
#include "lib/map/table_lookup.h"
#include "lib/proto/userdb_client.h"
#include "lib/server/daemon_main.h"
#include "local/local_delivery.h"
#include "local/local_requests.h"
#include "local/local_settings.h"

using namespace posthorn;

int main(int argc, char** argv) {
  return server::runDaemon(argc, argv, [](server::Worker& worker) {
    const local::Settings settings(worker.config());
    address::DirectTableLookup tables;
    address::AddressResolver resolver(worker.config(), tables);
    userdb::UserdbClient users(
        ipc::servicePath(settings.queueDirectory, false, userdb::kUserdbService), "local");
    local::LocalDelivery delivery(settings, resolver, tables, users);

    server::WorkerSettings jail = worker.defaults();
    jail.chroot.clear();         // root outside the jail, by design:
    jail.user.clear();           // it becomes each user in turn
    jail.networkFacing = false;  // (effective IDs are per process: one client)
    return worker.run(jail, [&](server::Connection conn) {
      ipc::Channel channel(conn.fd);
      channel.setTimeout(std::chrono::seconds(3600));
      try {
        local::serveRequests(channel, settings, delivery);
      } catch (const std::exception& e) {
        log::warning("%s: %s", conn.peer.c_str(), e.what());
      }
      conn.done();
    });
  });
}
