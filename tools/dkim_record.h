// dkim_record - the DNS record that publishes a DKIM key (RFC 6376 3.6.1,
// RFC 8463 4.2), shared by `posthorn dkim` and `posthorn dns`
#pragma once

#include <openssl/evp.h>

#include <string>

namespace posthorn::tools {

// The record's data, "v=DKIM1; k=rsa; p=BASE64": RSA as the DER
// SubjectPublicKeyInfo, ed25519 as the raw 32-byte key. Throws
// std::runtime_error for other key types.
std::string dkimRecordValue(EVP_PKEY* key);
// The same from a PEM private key (a key file's text).
std::string dkimRecordValueOfPem(const std::string& pem);

// The zone-file line: the data split into strings of at most 250 bytes
// (one may not exceed 255).
std::string dkimRecordLine(const std::string& selector, const std::string& domain, const std::string& value);

}  // namespace posthorn::tools
