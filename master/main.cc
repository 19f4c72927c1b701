// master - the posthorn master daemon: command line, start-up, daemon mode
// (the options are in master/startup.h; see master(8))
#include <cerrno>
#include <csignal>
#include <cstring>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/config/config.h"
#include "lib/ipc/service_path.h"
#include "lib/log/log.h"
#include "lib/log/log_sink.h"
#include "lib/log/proto_log.h"
#include "lib/server/pid_lock.h"
#include "master/master.h"
#include "master/startup.h"

#ifndef POSTHORN_VERSION
#define POSTHORN_VERSION "0"
#endif

using namespace posthorn;

int main(int argc, char** argv) {
  const master::Args args = master::Args::parse(argc, argv);
  ::signal(SIGPIPE, SIG_IGN);
  ::umask(022);
  const int readyFd = args.wait ? master::forkForWait() : -1;
  master::redirectStdio(false);
  log::Options lo;
  const config::Config cfg = master::loadConfigAndLog(args, lo);

  std::unique_ptr<server::PidLock> lock;
  std::unique_ptr<master::Master> daemon;
  try {
    const std::string queueDir = cfg.get("queue_directory");
    master::prepareQueue(cfg, server::PidLock::pidDirectory(cfg));
    lock = std::make_unique<server::PidLock>(server::PidLock::pathFor(cfg));
    std::unique_ptr<log::LogSink> sink;
    if (!lo.maillogFile.empty())
      sink = std::make_unique<log::LogSink>(ipc::servicePath(queueDir, false, log::kLogService),
                                            lo.maillogFile, cfg.get("myhostname"));
    daemon = std::make_unique<master::Master>(
        master::Master::Options{args.configDir, args.verbose}, cfg, std::move(sink));
    daemon->openServices();
  } catch (const std::exception& e) {
    daemon.reset();
    master::startupFatal(e.what());
  }

  log::info("daemon started -- version %s, configuration %s", POSTHORN_VERSION,
            args.configDir.c_str());
  if (readyFd >= 0) {
    master::redirectStdio(true);
    const char ok = 'R';
    if (::write(readyFd, &ok, 1) != 1)
      log::warning("cannot tell the starting command: %s", std::strerror(errno));
    ::close(readyFd);
  }
  daemon->run();
  daemon.reset();
  lock->clear();
  return 0;
}
