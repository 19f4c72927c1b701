// auth_command - `posthorn auth check`: SPF over the configured resolver,
// reported as smtpd reports it
#include "tools/auth_command.h"

#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "lib/config/config.h"
#include "lib/dns/dns_resolver.h"
#include "lib/mailauth/auth_results.h"
#include "lib/mailauth/dkim_verify.h"
#include "lib/mailauth/spf_check.h"
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

// One dkim= result per signature (RFC 8601 section 2.7.1), "none" without.
void addDkim(mailauth::AuthResults& results, const std::string& message, dns::Resolver& resolver) {
  mailauth::DkimVerifier dkim(resolver);
  const mailauth::DkimOutcome r = dkim.verify(message);
  if (!r.error.empty()) {
    results.add("dkim", "permerror", r.error, {});
    return;
  }
  if (r.signatures.empty()) results.add("dkim", "none", "", {});
  for (const auto& sig : r.signatures)
    results.add("dkim", sig.result, sig.comment,
                {{"header.d", sig.domain}, {"header.s", sig.selector}, {"header.a", sig.algorithm}});
}

}  // namespace

int runAuth(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return kAuth.run(err, [&] {
    const Options o = parseOptions(args);
    const config::Config cfg = config::Config::load(configDirectory(o.configDir));
    dns::Resolver resolver(dns::ResolverConfig::fromConfig(cfg));
    mailauth::SpfChecker spf(resolver, cfg.get("myhostname"));
    const mailauth::SpfOutcome r = o.sender ? spf.checkMailFrom(o.address, o.helo, *o.sender)
                                            : spf.checkHelo(o.address, o.helo);
    mailauth::AuthResults results(cfg.get("authserv_id"));
    const bool helo = r.identity == "helo";
    results.add("spf", mailauth::spfResultName(r.result), r.comment,
                {{helo ? "smtp.helo" : "smtp.mailfrom", helo ? o.helo : r.sender}});
    if (!o.file.empty()) addDkim(results, readMessage(o.file), resolver);
    out << results.header();
    return 0;
  });
}

}  // namespace posthorn::tools
