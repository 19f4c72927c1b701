// auth_command - `posthorn auth check`: SPF over the configured resolver,
// reported as smtpd reports it
#include "tools/auth_command.h"

#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "lib/config/config.h"
#include "lib/dns/dns_resolver.h"
#include "lib/dns/peer_name.h"
#include "lib/mailauth/sender_checks.h"
#include "tools/command.h"

namespace posthorn::tools {

namespace {

constexpr Command kAuth{"posthorn auth", "usage: posthorn auth check [-c DIR] -a ADDRESS [-H HELO] [-s SENDER] [FILE]"};

struct Options {
  std::string configDir;
  std::string address;
  std::string helo;
  std::optional<std::string> sender;
  std::string file;  // the message; "-" for standard input; "" none
};

Options parseOptions(const std::vector<std::string>& args) {
  Options o;
  ArgCursor arg(args);
  while (arg.next()) {
    switch (arg.option()) {
      case 'c': o.configDir = arg.value(); break;
      case 'a': o.address = arg.value(); break;
      case 'H': o.helo = arg.value(); break;
      case 's': o.sender = arg.value(); break;
      default: arg.unknown();
    }
  }
  const std::vector<std::string> operands = arg.operands();
  if (operands.empty()) throw UsageError("no subcommand given");
  if (operands.front() != "check") throw UsageError("unknown subcommand \"" + operands.front() + "\"");
  if (operands.size() > 2) throw UsageError("unexpected argument " + operands[2]);
  if (operands.size() == 2) o.file = operands[1];
  if (o.address.empty()) throw UsageError("-a ADDRESS is required");
  if (!o.sender && o.helo.empty()) throw UsageError("give -s SENDER, -H HELO or both");
  return o;
}

std::string readMessage(const std::string& file) {
  std::ostringstream text;
  if (file == "-") {
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file);
  text << in.rdbuf();
  return text.str();
}

}  // namespace

int runAuth(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return kAuth.run(err, [&] {
    const Options o = parseOptions(args);
    const config::Config cfg = config::Config::load(configDirectory(o.configDir));
    dns::Resolver resolver(dns::ResolverConfig::fromConfig(cfg));
    mailauth::SenderChecks checks(resolver, mailauth::CheckOptions::fromConfig(cfg));
    std::string message;
    mailauth::CheckInput input;
    input.clientAddress = o.address;
    input.helo = o.helo;
    input.sender = o.sender.value_or("");
    const dns::PeerName peer = dns::lookupPeerNameNow(resolver, o.address);
    input.iprev = peer.iprev();
    input.clientName = peer.name;
    if (!o.file.empty()) {
      message = readMessage(o.file);
      input.message = message;
    }
    const mailauth::AuthResults results = checks.field(checks.run(input));
    out << results.header();
    return 0;
  });
}

}  // namespace posthorn::tools
