// auth_command - `posthorn auth check`: SPF over the configured resolver,
// reported as smtpd reports it
#include "tools/auth_command.h"

#include <fstream>
#include <functional>
#include <iostream>
#include <optional>

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

// The message in FILE ("-": standard input), piece by piece.
void streamMessage(const std::string& file, const std::function<void(std::string_view)>& piece) {
  std::ifstream in;
  if (file != "-") {
    in.open(file, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + file);
  }
  std::istream& source = file == "-" ? std::cin : in;
  char buffer[4096];
  while (source.read(buffer, sizeof buffer) || source.gcount() > 0)
    piece(std::string_view(buffer, static_cast<std::size_t>(source.gcount())));
}

}  // namespace

int runAuth(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return kAuth.run(err, [&] {
    const Options o = parseOptions(args);
    const config::Config cfg = config::Config::load(configDirectory(o.configDir));
    dns::Resolver resolver(dns::ResolverConfig::fromConfig(cfg));
    mailauth::SenderChecks checks(resolver, mailauth::CheckOptions::fromConfig(cfg));
    mailauth::CheckInput input;
    input.clientAddress = o.address;
    input.helo = o.helo;
    input.sender = o.sender.value_or("");
    const dns::PeerName peer = dns::lookupPeerNameNow(resolver, o.address);
    input.iprev = peer.iprev();
    input.clientName = peer.name;
    mailauth::CheckResults results;
    if (o.file.empty()) {
      results = checks.run(input);
    } else {
      // As smtpd will: the message streams through in pieces.
      const auto check = checks.start(input);
      streamMessage(o.file, [&](std::string_view piece) { check->feed(piece); });
      results = check->finish();
    }
    const mailauth::AuthResults field = checks.field(results);
    out << field.header();
    return 0;
  });
}

}  // namespace posthorn::tools
