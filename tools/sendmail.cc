// sendmail - the sendmail(1) drop-in; also mailq and newaliases by name
//
// Reads a message (or an SMTP session with -bs) and hands it to postdrop,
// which stores it in maildrop/ for pickup(8). Works while the mail system
// is down: the message waits there. See sendmail(1) and
// doc/local-submission.md. Exit status from sysexits.h.
#include <pwd.h>
#include <signal.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <vector>

#include "lib/config/config.h"
#include "lib/proto/proto_cleanup.h"
#include "tools/command.h"
#include "tools/map_command.h"
#include "tools/sendmail_input.h"
#include "tools/sendmail_options.h"
#include "tools/sendmail_postdrop.h"
#include "tools/sendmail_smtp.h"

using namespace posthorn;
using namespace posthorn::sendmail;

namespace {

std::string gProgram = "sendmail";

int fatal(int code, const std::string& text) {
  std::fprintf(stderr, "%s: fatal: %s\n", gProgram.c_str(), text.c_str());
  return code;
}

std::string baseName(const char* path) {
  const char* slash = std::strrchr(path, '/');
  return slash ? slash + 1 : path;
}

// Runs postdrop with one mode option (-p, -w) and returns its exit status.
int runPostdropMode(const PostdropSettings& s, const char* mode) {
  std::vector<std::string> args = {s.program, mode};
  if (!s.configDir.empty()) {
    args.push_back("-c");
    args.push_back(s.configDir);
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid < 0) return fatal(EX_OSERR, std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::execv(argv[0], argv.data());
    std::fprintf(stderr, "%s: fatal: execv %s: %s\n", gProgram.c_str(), s.program.c_str(),
                 std::strerror(errno));
    ::_exit(EX_OSERR);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : EX_SOFTWARE;
}

int deliver(const Options& opts, const PostdropSettings& postdropSettings) {
  if (opts.recipients.empty() && !opts.extractRecipients)
    return fatal(EX_USAGE,
                 "Recipient addresses must be specified on the command line or via the -t option");
  maildrop::MaildropHeader header;
  header.flags = ipc::cleanup_flags::kLocalSubmission |
                 (opts.extractRecipients ? ipc::cleanup_flags::kExtractRecipients : 0u);
  ipc::CleanupEnvelope& env = header.envelope;
  if (opts.senderGiven) {
    env.sender = opts.sender;
  } else {
    const passwd* pw = ::getpwuid(::getuid());
    if (!pw) return fatal(EX_NOUSER, "no login name found for user ID " + std::to_string(::getuid()));
    env.sender = pw->pw_name;
  }
  if (opts.fullNameGiven) {
    env.fullName = opts.fullName;
  } else if (const char* name = std::getenv("NAME")) {
    env.fullName = name;
  }
  env.envid = opts.envid;
  env.ret = opts.ret;
  env.body = opts.body;
  env.protocol = "LOCAL";
  for (const auto& r : opts.recipients) {
    ipc::CleanupRecipient rcpt;
    rcpt.address = r;
    rcpt.notify = opts.notify;
    env.recipients.push_back(rcpt);
  }

  PostdropPipe postdrop(postdropSettings);
  if (!postdrop.start(header)) return fatal(EX_OSERR, postdrop.error());
  MessageInput input(!opts.ignoreDots);
  std::string buf(64 * 1024, '\0'), content;
  for (;;) {
    const ssize_t n = ::read(0, buf.data(), buf.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      postdrop.abandon();
      return fatal(EX_IOERR, std::string("read the message: ") + std::strerror(errno));
    }
    if (n == 0) break;
    content.clear();
    const bool ended = input.feed(std::string_view(buf.data(), static_cast<std::size_t>(n)), &content);
    postdrop.write(content);
    if (ended) break;
  }
  content.clear();
  input.finish(&content);
  postdrop.write(content);
  const PostdropResult r = postdrop.finish();
  if (!r.error.empty()) return fatal(r.exitCode, r.error);
  if (r.exitCode != EX_OK) return r.exitCode;  // postdrop said why on stderr
  if (opts.verbose)
    std::fprintf(stderr, "%s: %s: queued in maildrop for pickup\n", gProgram.c_str(),
                 r.queueId.c_str());
  return EX_OK;
}

}  // namespace

int main(int argc, char** argv) {
  ::signal(SIGPIPE, SIG_IGN);
  gProgram = argc > 0 ? baseName(argv[0]) : "sendmail";
  Options opts;
  try {
    opts = parseOptions(std::vector<std::string>(argv + (argc > 0 ? 1 : 0), argv + argc), gProgram);
  } catch (const tools::UsageError& e) {
    return fatal(EX_USAGE, e.what());
  }
  const std::string configDir = opts.configDir.empty() ? config::defaultConfigDir() : opts.configDir;
  try {
    if (opts.mode == Mode::Newaliases) {
      std::vector<std::string> args;
      if (!opts.configDir.empty()) args = {"-c", opts.configDir};
      return tools::runNewaliases(args) == 0 ? EX_OK : EX_SOFTWARE;
    }
    const config::Config cfg = config::Config::load(configDir);
    PostdropSettings postdrop;
    postdrop.program = cfg.get("command_directory") + "/postdrop";
    // postdrop (setgid) takes -c only from root: pass it only when needed.
    if (configDir != POSTHORN_CONFIG_DIR) postdrop.configDir = configDir;
    postdrop.verbose = opts.verbose;
    switch (opts.mode) {
      case Mode::ListQueue:
        return runPostdropMode(postdrop, "-p");
      case Mode::Flush:
        return runPostdropMode(postdrop, "-w");
      case Mode::Smtp: {
        SmtpSettings s;
        s.myhostname = cfg.get("myhostname");
        s.mailName = cfg.get("mail_name");
        s.messageSizeLimit = cfg.getSize("message_size_limit");
        s.postdrop = postdrop;
        return LocalSmtpSession(stdin, stdout, s).run();
      }
      case Mode::Deliver:
        return deliver(opts, postdrop);
      case Mode::Newaliases:
        break;
    }
    return EX_SOFTWARE;
  } catch (const config::ConfigError& e) {
    return fatal(EX_CONFIG, e.what());
  } catch (const std::exception& e) {
    return fatal(EX_SOFTWARE, e.what());
  }
}
