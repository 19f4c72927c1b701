// daemon_main - the catch blocks every daemon's main() shared (see daemon_main.h)
#include "lib/server/daemon_main.h"

#include <cstdio>
#include <exception>
#include <string>

#include "lib/config/config.h"
#include "lib/log/log.h"

namespace posthorn::server {

namespace {

std::string programName(int argc, char** argv) {
  const std::string argv0 = argc > 0 && argv[0] != nullptr ? argv[0] : "worker";
  const std::size_t slash = argv0.rfind('/');
  return slash == std::string::npos ? argv0 : argv0.substr(slash + 1);
}

}  // namespace

int runDaemon(int argc, char** argv, const std::function<int(Worker&)>& body,
              const std::function<void(const Options&)>& beforeWorker) {
  const std::string program = programName(argc, argv);
  try {
    const Options options = Options::fromArgv(argc, argv);
    if (beforeWorker) beforeWorker(options);
    Worker worker(options);
    return body(worker);
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), e.what());
    log::error("%s", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: fatal: %s\n", program.c_str(), e.what());
    log::error("fatal: %s", e.what());
  }
  return 1;
}

}  // namespace posthorn::server
