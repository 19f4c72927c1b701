// anvil_server - anvil's side of each smtpd's connection (see proto_anvil.h)
//
// anvil serves through server::RequestServer, one RequestHandler per client
// connection: each AnvilRequest is counted in the shared AnvilTable and
// answered at once. The handler remembers the connections its client
// reported and takes back those not yet disconnected when the client goes
// away (an smtpd that crashed or was killed), so no count outlives the
// process that made it.
#pragma once

#include <string>

#include "anvil/anvil_table.h"
#include "lib/server/request_server.h"

namespace posthorn::anvil {

server::RequestServer::NewHandler anvilHandlers(AnvilTable& table);

// The "statistics: ..." lines of Postfix's anvil, one per measure seen:
//   statistics: max connection rate 4/60s for (smtp:192.0.2.7) at Dec  8 00:23:36
//   statistics: max cache size 3 at Dec  8 00:23:36
std::vector<std::string> statisticsLines(const AnvilTable& table, Clock::time_point now);

}  // namespace posthorn::anvil
