// tls_command - `posthorn tls`: TLS key and certificate housekeeping
//
//   posthorn tls selfsigned [-c DIR] [-d DAYS] [-t rsa|ecdsa] [-f] [HOSTNAME]
//
// writes $config_directory/tls/posthorn.key (mode 0600) and posthorn.crt
// (0644): a new private key (RSA 2048 by default, or ECDSA P-256) and a
// self-signed certificate for HOSTNAME (default $myhostname) with the name
// in subjectAltName, valid for DAYS days (default 365). Existing files are
// kept unless -f is given. Prints the paths, the SHA-256 fingerprint and
// the posthorn.conf lines that use them. See posthorn-tls(1).
//
// Exit status: 0 success, 1 failure (files exist, cannot write), 2 usage.
#pragma once

#include <iostream>
#include <string>
#include <vector>

namespace posthorn::tools {

// args exclude the program and the word "tls".
int runTls(const std::vector<std::string>& args, std::ostream& out = std::cout,
           std::ostream& err = std::cerr);

}  // namespace posthorn::tools
