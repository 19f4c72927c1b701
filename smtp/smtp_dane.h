// smtp_dane - DANE for SMTP (RFC 7672): TLSA records, found through the
// validating resolver, decide whether and how a server's certificate is
// checked
//
// With smtp_tls_security_level = dane, for each MX host:
//   - the MX and address answers were DNSSEC-secure, and a secure TLSA
//     RRset at _PORT._tcp.HOST has usable records (DANE-TA(2) or
//     DANE-EE(3)): TLS is required and the certificate must match one of
//     them (OpenSSL's DANE support); no cleartext, no fallback;
//   - a secure RRset with no usable record: TLS required, not checked;
//   - the TLSA lookup failed or was bogus: the host is not tried (4.7.5),
//     since an attacker could be hiding the records;
//   - no secure answer on the way (an insecure zone, no TLSA): may.
// PKIX-TA(0) and PKIX-EE(1) are unusable for SMTP (RFC 7672 3.1.3).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/dns/dns_resolver.h"
#include "smtp/smtp_settings.h"

struct ssl_st;

namespace posthorn::smtp {

struct Tlsa {
  std::uint8_t usage = 0, selector = 0, matching = 0;
  std::string data;
};

// A TLSA record's data (RFC 6698 2.1); nullopt when shorter than 4 bytes.
std::optional<Tlsa> parseTlsa(std::string_view rdata);

// How one MX host is to be talked to.
struct PeerTls {
  TlsLevel level = TlsLevel::May;
  std::vector<Tlsa> tlsa;   // DANE: the usable records
  std::string deferText;    // not empty: do not connect; defer with 4.7.5 and this
  bool daneRecords = false;  // a secure TLSA RRset decided (MTA-STS then does not apply)
  std::vector<std::string> tlsaText;  // that RRset, "3 1 1 9A0B..." each (for TLS-RPT)
  bool mtaSts = false;       // Verify because the domain's MTA-STS policy enforces it
  bool stsTesting = false;   // MTA-STS testing: check the certificate, only log a failure
  std::string describe() const;  // "dane (2 TLSA records)", "mta-sts enforce", "may": logs and defer reasons
};

// `secure`: the MX and address answers for the host were DNSSEC-secure.
PeerTls peerTls(TlsLevel configured, const std::string& host, int port, bool secure, dns::Resolver& resolver);

// Before the handshake: match the certificate against the records; DANE-EE
// skips name checks (RFC 7672 3.1.1), DANE-TA checks the MX host name.
// Returns false with *why when OpenSSL takes none of them.
bool enableDane(ssl_st* ssl, const std::string& host, const std::vector<Tlsa>& records, std::string* why);

// After the handshake: "" when a TLSA record matched, else why not.
std::string daneVerdict(ssl_st* ssl);
// After the handshake: "" when the certificate chain and the name given to
// startTls verified (PKIX: MTA-STS and verify), else why not.
std::string pkixVerdict(ssl_st* ssl);
// After a failed pkixVerdict: its TLS-RPT result type (RFC 8460 4.3.2.1):
// certificate-expired, certificate-host-mismatch, certificate-not-trusted
// or validation-failure.
std::string pkixFailureType(ssl_st* ssl);

}  // namespace posthorn::smtp
