// dns_command - `posthorn dns`: the DNS records a mail domain needs
//
//   posthorn dns [-c DIR] [-a ADDRESS]... [--check] [DOMAIN]
//
// prints, ready to paste into DOMAIN's zone (default $mydomain), the
// records dns_records.h lists; with --check asks the DNS (posthorn's
// resolver, dns_servers) and marks each OK, MISSING, WRONG (with what is
// there) or UNKNOWN (the lookup failed). See posthorn-dns(1).
//
// Exit status: 0 printed, or every record OK; 1 something is missing,
// wrong or could not be checked, or a failure; 2 usage.
#pragma once

#include <iostream>
#include <string>
#include <vector>

namespace posthorn::tools {

// args exclude the program and the word "dns".
int runDns(const std::vector<std::string>& args, std::ostream& out = std::cout, std::ostream& err = std::cerr);

}  // namespace posthorn::tools
