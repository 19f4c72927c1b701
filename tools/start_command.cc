// start_command - posthorn start | start-fg | stop | reload | status
// (see start_command.h)
#include "tools/start_command.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "lib/config/config.h"
#include "lib/config/master_conf.h"
#include "lib/tls/tls_check.h"
#include "lib/server/pid_lock.h"
#include "tools/command.h"

namespace posthorn::tools {

namespace {

constexpr const char* kTag = "posthorn/posthorn: ";

struct Context {
  LifecycleOptions options;
  config::Config cfg;
  std::string pidFile;
};

// Parses -c DIR / -v after the command word; false (message printed) on error.
bool parseOptions(const std::string& command, const std::vector<std::string>& args,
                  LifecycleOptions& o, std::ostream& err) {
  const std::string name = kTag + std::string("fatal: ") + command;
  const std::string usage = "usage: posthorn [-c DIR] [-v] " + command;
  const Command lifecycle{name, usage};
  auto unexpected = [&](const std::string& a) {
    lifecycle.misused(err, "unexpected argument \"" + a + "\"");
    return false;
  };
  ArgCursor arg(args, {.permute = false, .endMarker = false});
  try {
    while (arg.next()) {
      switch (arg.option()) {
        case 'v':
          arg.alone();
          o.verbose = true;
          break;
        case 'c': o.configDir = arg.value(); break;
        default: arg.unknown();
      }
    }
  } catch (const UsageError&) {
    return unexpected(arg.arg());  // whatever is wrong with it
  }
  if (const auto rest = arg.operands(); !rest.empty()) return unexpected(rest.front());
  o.configDir = configDirectory(o.configDir);
  return true;
}

std::optional<pid_t> runningPid(const Context& ctx) {
  return server::PidLock::holder(ctx.pidFile);
}

std::string masterProgram(const Context& ctx) {
  return ctx.cfg.get("daemon_directory") + "/master";
}

std::vector<std::string> masterArgv(const Context& ctx, const char* mode) {
  std::vector<std::string> v = {"master", "-c", ctx.options.configDir, mode};
  if (ctx.options.verbose) v.push_back("-v");
  return v;
}

std::vector<char*> cArgv(std::vector<std::string>& v) {
  std::vector<char*> out;
  for (auto& s : v) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int doStatus(const Context& ctx, std::ostream& out) {
  if (auto pid = runningPid(ctx)) {
    out << kTag << "the mail system is running: PID: " << *pid << "\n";
    return 0;
  }
  out << kTag << "the mail system is not running\n";
  return 1;
}

int doStart(const Context& ctx, std::ostream& out, std::ostream& err) {
  if (auto pid = runningPid(ctx)) {
    err << kTag << "fatal: the mail system is already running: PID: " << *pid << "\n";
    return 1;
  }
  std::string program = masterProgram(ctx);
  if (::access(program.c_str(), X_OK) != 0) {
    err << kTag << "fatal: cannot run " << program << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  out << kTag << "starting the mail system\n";
  out.flush();
  auto argv = masterArgv(ctx, "-w");
  auto cargv = cArgv(argv);
  pid_t pid = ::fork();
  if (pid < 0) {
    err << kTag << "fatal: fork: " << std::strerror(errno) << "\n";
    return 1;
  }
  if (pid == 0) {
    ::execv(program.c_str(), cargv.data());
    std::fprintf(stderr, "%sfatal: exec %s: %s\n", kTag, program.c_str(), std::strerror(errno));
    ::_exit(1);
  }
  // master -w exits once the real master is ready (0) or has failed (1,
  // after printing why on stderr).
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
  err << kTag << "fatal: the mail system did not start\n";
  return 1;
}

int doStartFg(const Context& ctx, std::ostream& err) {
  std::string program = masterProgram(ctx);
  auto argv = masterArgv(ctx, "-f");
  auto cargv = cArgv(argv);
  ::execv(program.c_str(), cargv.data());
  err << kTag << "fatal: exec " << program << ": " << std::strerror(errno) << "\n";
  return 1;
}

int doStop(const Context& ctx, std::ostream& out, std::ostream& err) {
  auto pid = runningPid(ctx);
  if (!pid) {
    err << kTag << "fatal: the mail system is not running\n";
    return 1;
  }
  out << kTag << "stopping the mail system\n";
  out.flush();
  if (::kill(*pid, SIGTERM) < 0) {
    err << kTag << "fatal: kill " << *pid << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kStopWaitSeconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!runningPid(ctx)) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  err << kTag << "fatal: the mail system (PID " << *pid << ") did not stop within "
      << kStopWaitSeconds << " s\n";
  return 1;
}

int doReload(const Context& ctx, std::ostream& out, std::ostream& err) {
  auto pid = runningPid(ctx);
  if (!pid) {
    err << kTag << "fatal: the mail system is not running\n";
    return 1;
  }
  if (::kill(*pid, SIGHUP) < 0) {
    err << kTag << "fatal: kill " << *pid << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  out << kTag << "refreshing the mail system\n";
  return 0;
}

}  // namespace

bool isLifecycleCommand(const std::string& c) {
  return c == "start" || c == "start-fg" || c == "stop" || c == "reload" || c == "status";
}

int runLifecycle(const std::string& command, const std::vector<std::string>& args,
                 std::ostream& out, std::ostream& err) {
  Context ctx;
  if (!isLifecycleCommand(command)) {
    err << kTag << "fatal: unknown command " << command << "\n";
    return 2;
  }
  if (!parseOptions(command, args, ctx.options, err)) return 2;
  try {
    std::vector<std::string> warnings;
    ctx.cfg = config::Config::load(ctx.options.configDir, &warnings);
    // master logs the warnings; `posthorn check` shows them.
    ctx.pidFile = server::PidLock::pathFor(ctx.cfg);
  } catch (const std::exception& e) {
    err << kTag << "fatal: " << e.what() << "\n";
    return 1;
  }
  if (command == "status") return doStatus(ctx, out);
  if (command == "start" || command == "start-fg") {
    // smtpd loads its certificate and key only when a client comes: a
    // missing or unreadable key is refused now, with the file named.
    try {
      const auto problems = tls::checkServiceTls(ctx.cfg, config::loadMasterConf(ctx.options.configDir));
      for (const std::string& p : problems) err << kTag << "fatal: " << p << "\n";
      if (!problems.empty()) return 1;
    } catch (const std::exception& e) {
      err << kTag << "fatal: " << e.what() << "\n";
      return 1;
    }
  }
  if (command == "start") return doStart(ctx, out, err);
  if (command == "start-fg") return doStartFg(ctx, err);
  if (command == "stop") return doStop(ctx, out, err);
  return doReload(ctx, out, err);
}

}  // namespace posthorn::tools
