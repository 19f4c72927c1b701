// mapd - the table lookup service for chrooted workers (see mapd(8))
//
// master runs it as a private unix service (`mapd unix - - n - - mapd`):
// not chrooted, because it reads tables anywhere (/etc/mail), and as
// mail_owner. Workers reach it at $queue_directory/private/mapd.
#include <cstdio>
#include <exception>

#include "lib/config/config.h"
#include "lib/log/log.h"
#include "lib/server/request_server.h"
#include "lib/server/server.h"
#include "mapd/map_server.h"
#include "mapd/mapd_settings.h"
#include "mapd/table_cache.h"

using namespace posthorn;

int main(int argc, char** argv) {
  try {
    const auto options = server::Options::fromArgv(argc, argv);
    server::Worker worker(options);
    const mapd::Settings settings(worker.config());
    mapd::TableCache tables(settings.allowedTables);
    server::RequestServer mapServer(mapd::lookupAnswer(tables), settings.clientTimeout);

    server::WorkerSettings jail;
    jail.user = settings.mailOwner;
    jail.networkFacing = false;
    jail.maxUse = settings.maxUse;
    jail.maxIdle = settings.maxIdle;
    jail.postJail = [&] {
      mapServer.stopOnSignals(worker.eventBase());
      if (settings.allowedTables.empty()) {
        log::warning("proxy_read_maps lists no tables: every lookup will be refused");
      }
    };
    return worker.run(jail, [&](server::Connection conn) {
      mapServer.serve(worker.eventBase(), std::move(conn));
    });
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "mapd: %s\n", e.what());
    log::error("%s", e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mapd: fatal: %s\n", e.what());
    log::error("fatal: %s", e.what());
    return 1;
  }
}
