// auth_command - `posthorn auth check`: the sender authentication smtpd
// would do, for one message, printed as the Authentication-Results field
//
//   posthorn auth check [-c DIR] -a ADDRESS [-H HELO] [-s SENDER] [FILE]
//
// ADDRESS is the client's IP address, HELO the name it gave (default: the
// address as a literal is not used; empty when not given), SENDER the
// MAIL FROM address ("" for the null sender). Uses the configured
// resolver (dns_servers, dns_trust_anchor_file) and authserv_id. Checks:
// the client's forward-confirmed reverse name (iprev), SPF (RFC 7208) of
// the MAIL FROM identity, and of the HELO
// identity when the sender is null; with FILE (a message, "-" for
// standard input), DKIM (RFC 6376) of each of its signatures. See
// posthorn-auth(1).
//
// Exit status: 0 the field was printed (whatever the results), 1 failure
// (configuration, resolver), 2 usage.
#pragma once

#include <iostream>
#include <string>
#include <vector>

namespace posthorn::tools {

// args exclude the program and the word "auth".
int runAuth(const std::vector<std::string>& args, std::ostream& out = std::cout,
            std::ostream& err = std::cerr);

}  // namespace posthorn::tools
