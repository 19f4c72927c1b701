// dkim_command - `posthorn dkim`: DKIM signing keys
//
//   posthorn dkim keygen [-c DIR] [-a rsa|ed25519] [-b BITS] [-f] DOMAIN [SELECTOR]
//   posthorn dkim rotate [-c DIR] DOMAIN
//
// writes $config_directory/dkim/DOMAIN/SELECTOR.key, the private key
// (PKCS#8 PEM, mode 0600, owned by whoever runs it: root, as cleanup
// reads it as root before its jail), and SELECTOR.txt, the TXT record to publish at
// SELECTOR._domainkey.DOMAIN in zone-file form, and prints the record. RSA
// has 2048 bits unless -b says otherwise (1024 to 4096); ed25519 keys are
// published as RFC 8463 says (k=ed25519, the raw 32-byte public key). The
// default selector is the year and month and the algorithm: 202612-rsa,
// 202612-ed25519. An existing key is kept unless -f is given. rotate makes
// a new key like each one dkim_signing_maps names for DOMAIN and prints
// the records, the new table line and when the old records may go. See
// posthorn-dkim(1).
//
// Exit status: 0 success, 1 failure (the key exists, cannot write), 2 usage.
#pragma once

#include <iostream>
#include <string>
#include <vector>

namespace posthorn::tools {

// args exclude the program and the word "dkim".
int runDkim(const std::vector<std::string>& args, std::ostream& out = std::cout,
            std::ostream& err = std::cerr);

}  // namespace posthorn::tools
