// anvil - per-client connection counts and event rates for smtpd (see anvil(8))
//
// master runs it as one private unix service (`anvil unix - - y - 1 anvil`):
// a single process, so that every smtpd counts into the same table,
// chrooted and as mail_owner like any worker. Its clients keep their
// connection for as long as they live, so it has neither a max_use nor an
// idle timeout per client; it exits after max_idle (at least
// anvil_rate_time_unit) with no client at all, like Postfix's anvil, and
// then nothing is lost that a limit would need.
#include <chrono>

#include "anvil/anvil_server.h"
#include "anvil/anvil_table.h"
#include "lib/log/log.h"
#include "lib/server/daemon_main.h"
#include "lib/server/request_server.h"
#include "lib/util/event_loop.h"

using namespace posthorn;

namespace {

void logStatistics(anvil::AnvilTable& table) {
  for (const std::string& line : anvil::statisticsLines(table, anvil::Clock::now()))
    log::info("%s", line.c_str());
  table.resetStatistics();
}

}  // namespace

int main(int argc, char** argv) {
  return server::runDaemon(argc, argv, [](server::Worker& worker) {
    const config::Config& cfg = worker.config();
    const std::chrono::seconds unit = cfg.getTime("anvil_rate_time_unit");
    const std::chrono::seconds statusTime = cfg.getTime("anvil_status_update_time");
    anvil::AnvilTable table(unit);
    // A zero timeout: a client may stay silent as long as its smtpd lives.
    server::RequestServer requests(anvil::anvilHandlers(table), std::chrono::seconds(0));
    std::unique_ptr<loop::Event> statusTimer;

    server::WorkerSettings jail = worker.defaults();
    jail.networkFacing = false;
    jail.clientLimit = 1000;
    jail.maxUse = 0;
    if (jail.maxIdle.count() > 0 && jail.maxIdle < table.timeUnit()) jail.maxIdle = table.timeUnit();
    jail.postJail = [&] {
      requests.stopOnSignals(worker.eventBase());
      if (statusTime.count() > 0) {
        statusTimer = std::make_unique<loop::Event>(worker.eventBase(), -1, loop::kPersist,
                                                    [&](int, short) { logStatistics(table); });
        statusTimer->add(std::chrono::duration_cast<std::chrono::milliseconds>(statusTime));
      }
    };
    const int status = worker.run(jail, [&](server::Connection conn) {
      requests.serve(worker.eventBase(), std::move(conn));
    });
    statusTimer.reset();
    logStatistics(table);
    return status;
  });
}
