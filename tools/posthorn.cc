// posthorn - the administrator's command: dispatches to a subcommand
//
//   posthorn [-c DIR] [-v] COMMAND [args...]
//
// COMMAND is start, start-fg, stop, reload, status (start_command.h), conf,
// check (conf_command.h, check_command.h), map (map_command.h), passwd
// (passwd_command.h), tls (tls_command.h), dkim (dkim_command.h), dmarc
// (dmarc_command.h), tlsrpt (tlsrpt_command.h), dns (dns_command.h), queue
// (queue_command.h) or auth (auth_command.h). -c DIR is passed down to the
// subcommand (and to master); -v makes master verbose.
// An unknown command prints the usage on stderr and exits 2. See posthorn(1).
#include <iostream>
#include <string>
#include <vector>

#include "tools/auth_command.h"
#include "tools/check_command.h"
#include "tools/command.h"
#include "tools/conf_command.h"
#include "tools/dkim_command.h"
#include "tools/dmarc_command.h"
#include "tools/dns_command.h"
#include "tools/mailbox_command.h"
#include "tools/map_command.h"
#include "tools/passwd_command.h"
#include "tools/queue_command.h"
#include "tools/start_command.h"
#include "tools/tls_command.h"
#include "tools/tlsrpt_command.h"

using namespace posthorn::tools;

namespace {

constexpr Command kPosthorn{
    "posthorn: fatal",
    "usage: posthorn [-c DIR] [-v] COMMAND [args...]\n"
    "commands:\n"
    "  start       start the mail system in the background\n"
    "  start-fg    run the mail system in the foreground\n"
    "  stop        stop the mail system (waits up to 10 s)\n"
    "  reload      re-read posthorn.conf and master.conf\n"
    "  status      tell whether the mail system is running\n"
    "  conf        print posthorn.conf parameters (conf [-d] [-h] [-n] [name...])\n"
    "  check       validate posthorn.conf and master.conf\n"
    "  map         build or query a lookup table (map [-a] [-q KEY] [hash:]FILE)\n"
    "  mailbox     check, repair or list a Maildir (mailbox check|repair|list [-d MAILDIR | USER] [FOLDER])\n"
    "  passwd      add or change a user in the passwd file (passwd [-u UID -g GID -d HOME] USER)\n"
    "  tls         make a TLS key and certificate (tls selfsigned [-d DAYS] [HOSTNAME])\n"
    "  dkim        make or rotate DKIM signing keys (dkim keygen [-a rsa|ed25519] DOMAIN [SELECTOR] | dkim rotate DOMAIN)\n"
    "  dmarc       send our DMARC aggregate reports, or summarise received ones (dmarc send [-d DAY] [-n] | dmarc report FILE...)\n"
    "  tlsrpt      send our SMTP TLS reports (tlsrpt send [-d DAY] [-n] [-o DIR])\n"
    "  dns         the DNS records a mail domain needs; --check asks the DNS ([-a ADDRESS]... [--check] [DOMAIN])\n"
    "  queue       list, show, flush, hold, release or delete queued mail (queue list|show ID|...)\n"
    "  auth        check a sender as smtpd would (auth check -a ADDRESS [-H HELO] [-s SENDER])",
    2};

}  // namespace

int main(int argc, char** argv) {
  std::string configDir;
  bool verbose = false;
  std::vector<std::string> args;  // the command's
  try {
    ArgCursor arg({argv + (argc > 0 ? 1 : 0), argv + argc}, {.permute = false});
    while (arg.next()) {
      if (arg.arg() == "-h" || arg.arg() == "--help") {
        std::cout << kPosthorn.usage << '\n';
        return 0;
      }
      switch (arg.option()) {
        case 'v':
          arg.alone();
          verbose = true;
          break;
        case 'c': configDir = arg.value("a directory"); break;
        default: arg.unknown();
      }
    }
    args = arg.operands();
    if (args.empty()) throw UsageError("no command given");
  } catch (const UsageError& e) {
    return kPosthorn.misused(std::cerr, e.what());
  }
  const std::string command = args.front();
  args.erase(args.begin());
  if (!configDir.empty()) args.insert(args.begin(), {"-c", configDir});

  if (isLifecycleCommand(command)) {
    if (verbose) args.insert(args.begin(), "-v");
    return runLifecycle(command, args);
  }
  if (command == "conf") return runConf(args);
  if (command == "check") return runCheck(args);
  if (command == "map") return runMap(args);
  if (command == "passwd") return runPasswd(args);
  if (command == "mailbox") return runMailbox(args);
  if (command == "tls") return runTls(args);
  if (command == "dkim") return runDkim(args);
  if (command == "dns") return runDns(args);
  if (command == "dmarc") return runDmarc(args);
  if (command == "tlsrpt") return runTlsRpt(args);
  if (command == "auth") return runAuth(args);
  if (command == "queue") return runQueue(args);
  return kPosthorn.misused(std::cerr, "unknown command \"" + command + "\"");
}
