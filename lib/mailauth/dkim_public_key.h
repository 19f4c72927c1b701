// dkim_public_key - a DKIM key record (RFC 6376 3.6.1) looked up and
// decoded: SELECTOR._domainkey.DOMAIN, through posthorn's resolver
//
//   DkimPublicKey k = lookupDkimPublicKey(resolver, "example.org", "202612-rsa");
//   if (k.status == DkimPublicKey::Status::Found) EVP_DigestVerify...(k.key.get(), ...)
//
// For ARC's signatures (RFC 8617 uses DKIM's keys); libopendkim looks up
// the keys of DKIM-Signature fields itself. Only RSA keys are returned
// (ARC is rsa-sha256 only), of 1024 bits or more (RFC 8301).
#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "lib/dns/dns_resolver.h"

namespace posthorn::mailauth {

struct DkimPublicKey {
  enum class Status { Found, TempFail, PermFail };
  Status status = Status::PermFail;
  std::shared_ptr<EVP_PKEY> key;
  std::string error;  // why not Found
};

DkimPublicKey lookupDkimPublicKey(dns::Resolver& resolver, std::string_view domain, std::string_view selector);

// The key of a record's text ("v=DKIM1; k=rsa; p=MIIB..."); PermFail with
// the reason when it is not a usable RSA key.
DkimPublicKey parseDkimPublicKey(std::string_view record);

}  // namespace posthorn::mailauth
