// tlsrpt_command - `posthorn tlsrpt`: SMTP TLS reports (RFC 8460)
//
//   posthorn tlsrpt send [-c DIR] [-d YYYYMMDD] [-n] [-o DIR]
//
// send builds, from the TLS sessions smtp kept in $queue_directory/tls-rpt
// (smtp/tls_rpt_log.h), one report (RFC 8460 4.4, gzip JSON) per policy
// domain and day, and mails it to each mailto: address of the domain's
// _smtp._tls TXT record (https: addresses are not supported: said and
// skipped); then the day's file is renamed DAY.reported. Without -d,
// every day before today that is not reported yet. -n sends nothing and
// renames nothing; -o DIR keeps a copy of each report there. See
// posthorn-tlsrpt(1).
//
// Exit status: 0 done; 1 a report could not be sent; 2 usage.
#pragma once

#include <iostream>
#include <string>
#include <vector>

namespace posthorn::tools {

// args exclude the program and the word "tlsrpt".
int runTlsRpt(const std::vector<std::string>& args, std::ostream& out = std::cout, std::ostream& err = std::cerr);

}  // namespace posthorn::tools
