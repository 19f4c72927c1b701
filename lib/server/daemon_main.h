// daemon_main - what every daemon's main() does around its own part
//
//   int main(int argc, char** argv) {
//     return server::runDaemon(argc, argv, [](server::Worker& worker) {
//       const smtpd::Settings settings(worker.config());
//       ...
//       return worker.run(jail, onConnection);
//     });
//   }
//
// runDaemon parses master's command line (Options::fromArgv), builds the
// Worker (configuration, logging) and calls `body`, whose result is the
// process's exit status. An exception that escapes ends the process with
// status 1 after one line on stderr and in the log: "PROGRAM: fatal: why",
// or "PROGRAM: why" for a configuration error (its text names file:line).
#pragma once

#include <functional>

#include "lib/server/server.h"

namespace posthorn::server {

// `beforeWorker`, when given, sees the options before the Worker is built
// (before the configuration is read): it may refuse them (ConfigError) or
// exec another program.
int runDaemon(int argc, char** argv, const std::function<int(Worker&)>& body,
              const std::function<void(const Options&)>& beforeWorker = {});

}  // namespace posthorn::server
