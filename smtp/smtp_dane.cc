// smtp_dane - TLSA lookups and OpenSSL's DANE verification
#include "smtp/smtp_dane.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace posthorn::smtp {
namespace {

// "3 1 1 9A0B...": RFC 6698 2.2's presentation form.
std::string presentation(const Tlsa& t) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out = std::to_string(t.usage) + " " + std::to_string(t.selector) + " " + std::to_string(t.matching) + " ";
  for (unsigned char c : t.data) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

}  // namespace

std::optional<Tlsa> parseTlsa(std::string_view rdata) {
  if (rdata.size() < 4) return std::nullopt;
  Tlsa t;
  t.usage = static_cast<std::uint8_t>(rdata[0]);
  t.selector = static_cast<std::uint8_t>(rdata[1]);
  t.matching = static_cast<std::uint8_t>(rdata[2]);
  t.data = std::string(rdata.substr(3));
  return t;
}

std::string PeerTls::describe() const {
  if (mtaSts) return "mta-sts enforce";
  switch (level) {
    case TlsLevel::None: return "none";
    case TlsLevel::May: return "may";
    case TlsLevel::Encrypt: return "encrypt";
    case TlsLevel::Verify: return "verify";
    case TlsLevel::Dane:
      return "dane (" + std::to_string(tlsa.size()) + " TLSA record" + (tlsa.size() == 1 ? "" : "s") + ")";
  }
  return "?";
}

PeerTls peerTls(TlsLevel configured, const std::string& host, int port, bool secure, dns::Resolver& resolver) {
  PeerTls p;
  p.level = configured;
  if (configured != TlsLevel::Dane) return p;
  p.level = TlsLevel::May;
  if (!secure) return p;  // no DNSSEC on the way to the host: no DANE
  const std::string name = "_" + std::to_string(port) + "._tcp." + host;
  const dns::QueryResult r = resolver.query(name, dns::RrType::TLSA);
  if (r.status == dns::Status::TempFail) {
    p.deferText = "TLSA lookup of " + name + " failed: " + r.error;
    return p;
  }
  if (r.status == dns::Status::NotFound || r.records.empty() || r.security != dns::Security::Secure) return p;
  p.level = TlsLevel::Encrypt;  // a secure RRset: TLS from now on, whatever its records
  p.daneRecords = true;
  for (const auto& rec : r.records) {
    const auto t = parseTlsa(rec.data);
    if (t) p.tlsaText.push_back(presentation(*t));
    // DANE-TA(2) and DANE-EE(3), a known selector and matching type, and
    // data of the digest's length (RFC 7671 5: others are unusable).
    if (!t || (t->usage != 2 && t->usage != 3) || t->selector > 1 || t->matching > 2) continue;
    if ((t->matching == 1 && t->data.size() != 32) || (t->matching == 2 && t->data.size() != 64)) continue;
    p.tlsa.push_back(*t);
  }
  if (!p.tlsa.empty()) p.level = TlsLevel::Dane;
  return p;
}

bool enableDane(ssl_st* ssl, const std::string& host, const std::vector<Tlsa>& records, std::string* why) {
  if (SSL_dane_enable(ssl, host.c_str()) <= 0) {
    *why = "OpenSSL cannot do DANE on this connection";
    return false;
  }
  SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
  int usable = 0;
  for (const Tlsa& t : records) {
    if (SSL_dane_tlsa_add(ssl, t.usage, t.selector, t.matching,
                          reinterpret_cast<const unsigned char*>(t.data.data()), t.data.size()) > 0)
      ++usable;
  }
  if (usable == 0) {
    *why = "none of the TLSA records can be used";
    return false;
  }
  return true;
}

std::string daneVerdict(ssl_st* ssl) {
  if (SSL_get0_dane_authority(ssl, nullptr, nullptr) >= 0 && SSL_get_verify_result(ssl) == X509_V_OK) return "";
  const long result = SSL_get_verify_result(ssl);
  return std::string("the server certificate matches no TLSA record (") +
         X509_verify_cert_error_string(result) + ")";
}

std::string pkixVerdict(ssl_st* ssl) {
  if (SSL_get0_peer_certificate(ssl) == nullptr) return "no certificate";
  const long result = SSL_get_verify_result(ssl);
  return result == X509_V_OK ? "" : X509_verify_cert_error_string(result);
}

std::string pkixFailureType(ssl_st* ssl) {
  if (SSL_get0_peer_certificate(ssl) == nullptr) return "certificate-not-trusted";
  switch (SSL_get_verify_result(ssl)) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "certificate-expired";
    case X509_V_ERR_HOSTNAME_MISMATCH:
      return "certificate-host-mismatch";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REVOKED:
      return "certificate-not-trusted";
    default:
      return "validation-failure";
  }
}

}  // namespace posthorn::smtp
