// dns_command - print the needed records, or check them
#include "tools/dns_command.h"

#include <arpa/inet.h>

#include <algorithm>

#include "lib/dns/dns_config.h"
#include "lib/dns/dns_resolver.h"
#include "lib/mailauth/dkim_signing_table.h"
#include "lib/util/ascii.h"
#include "tools/command.h"
#include "tools/dns_records.h"

namespace posthorn::tools {
namespace {

constexpr Command kDns{"posthorn dns", "usage: posthorn dns [-c DIR] [-a ADDRESS]... [--check] [DOMAIN]"};

struct Options {
  std::string configDir;
  std::vector<std::string> addresses;
  bool check = false;
  std::string domain;
};

// The address in the form the resolver gives it (inet_ntop: "2001:db8::25"
// for "2001:DB8:0::25"), since the checks compare the DNS's answers with it
// as text; "" when it is not an address.
std::string canonicalAddress(const std::string& a) {
  unsigned char buf[16];
  char text[INET6_ADDRSTRLEN] = "";
  if (::inet_pton(AF_INET, a.c_str(), buf) == 1) ::inet_ntop(AF_INET, buf, text, sizeof text);
  else if (::inet_pton(AF_INET6, a.c_str(), buf) == 1) ::inet_ntop(AF_INET6, buf, text, sizeof text);
  return text;
}

Options parseOptions(std::vector<std::string> args) {
  Options o;
  // --check is the one long option; the scaffold reads short ones.
  const auto check = std::find(args.begin(), args.end(), "--check");
  if (check != args.end()) {
    o.check = true;
    args.erase(check);
  }
  ArgCursor arg(args);
  while (arg.next()) {
    switch (arg.option()) {
      case 'c': o.configDir = arg.value("a directory"); break;
      case 'a': {
        const std::string a = arg.value("an address");
        const std::string canonical = canonicalAddress(a);
        if (canonical.empty()) throw UsageError("-a takes an IPv4 or IPv6 address, not \"" + a + "\"");
        if (std::find(o.addresses.begin(), o.addresses.end(), canonical) == o.addresses.end())
          o.addresses.push_back(canonical);
        break;
      }
      default: arg.unknown();
    }
  }
  const auto operands = arg.operands();
  if (operands.size() > 1) throw UsageError("too many arguments");
  if (!operands.empty()) {
    o.domain = util::lower(operands[0]);
    if (!o.domain.empty() && o.domain.back() == '.') o.domain.pop_back();
    if (!mailauth::isDkimName(o.domain, true)) throw UsageError("\"" + operands[0] + "\" is not a domain name");
  }
  return o;
}

const char* verdictName(DnsVerdict v) {
  switch (v) {
    case DnsVerdict::Ok: return "OK";
    case DnsVerdict::Missing: return "MISSING";
    case DnsVerdict::Wrong: return "WRONG";
    case DnsVerdict::Unknown: return "UNKNOWN";
  }
  return "?";
}

}  // namespace

int runDns(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return kDns.run(err, [&] {
    Options o = parseOptions(args);
    const config::Config cfg = config::Config::load(configDirectory(o.configDir));
    if (o.domain.empty()) o.domain = util::lower(cfg.get("mydomain"));
    const DnsPlan plan = planDns(cfg, o.domain, o.addresses);
    out << "; the DNS records of " << plan.domain << " for mail through " << plan.host << "\n";
    for (const std::string& note : plan.notes) out << "; note: " << note << "\n";
    if (!o.check) {
      for (const NeededRecord& r : plan.records) out << "\n; " << r.comment << "\n" << r.line << "\n";
      return 0;
    }
    dns::Resolver resolver(dns::ResolverConfig::fromConfig(cfg));
    int bad = 0;
    for (const NeededRecord& r : plan.records) {
      const DnsCheck c = r.check(resolver);
      std::string verdict = verdictName(c.verdict);
      verdict.resize(8, ' ');
      out << verdict << r.line << "\n";
      if (c.verdict == DnsVerdict::Ok) continue;
      ++bad;
      if (!c.found.empty()) out << "        found: " << c.found << "\n";
      if (c.verdict != DnsVerdict::Unknown) out << "        publish the record above (" << r.comment << ")\n";
    }
    out << (bad == 0 ? "all " + std::to_string(plan.records.size()) + " records are in place"
                     : std::to_string(bad) + " of " + std::to_string(plan.records.size()) + " records need attention")
        << "\n";
    return bad == 0 ? 0 : 1;
  });
}

}  // namespace posthorn::tools
