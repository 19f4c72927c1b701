// mapd - the table lookup service for chrooted workers (see mapd(8))
//
// master runs it as a private unix service (`mapd unix - - n - - mapd`):
// not chrooted, because it reads tables anywhere (/etc/mail), and as
// mail_owner. Workers reach it at $queue_directory/private/mapd.

#include "lib/config/config.h"
#include "lib/log/log.h"
#include "lib/server/request_server.h"
#include "lib/server/daemon_main.h"
#include "mapd/map_server.h"
#include "mapd/mapd_settings.h"
#include "mapd/table_cache.h"

using namespace posthorn;

int main(int argc, char** argv) {
  return server::runDaemon(argc, argv, [](server::Worker& worker) {
    const mapd::Settings settings(worker.config());
    mapd::TableCache tables(settings.allowedTables);
    server::RequestServer mapServer(mapd::lookupAnswer(tables), settings.clientTimeout);

    server::WorkerSettings jail = worker.defaults();
    jail.chroot.clear();  // it opens the tables under /etc
    jail.networkFacing = false;
    jail.clientLimit = 100;
    jail.postJail = [&] {
      mapServer.stopOnSignals(worker.eventBase());
      if (settings.allowedTables.empty()) {
        log::warning("proxy_read_maps lists no tables: every lookup will be refused");
      }
    };
    return worker.run(jail, [&](server::Connection conn) {
      mapServer.serve(worker.eventBase(), std::move(conn));
    });
  });
}
