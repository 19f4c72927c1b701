// dkim_public_key - TXT lookup, tag list, base64 DER to an EVP_PKEY
#include "lib/mailauth/dkim_public_key.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "lib/mailauth/relaxed_canon.h"
#include "lib/mailauth/tag_list.h"

namespace posthorn::mailauth {
namespace {

DkimPublicKey failed(DkimPublicKey::Status status, std::string why) {
  DkimPublicKey k;
  k.status = status;
  k.error = std::move(why);
  return k;
}

}  // namespace

DkimPublicKey parseDkimPublicKey(std::string_view record) {
  const std::string v = tagValue(record, "v");
  if (!v.empty() && v != "DKIM1") return failed(DkimPublicKey::Status::PermFail, "v=" + v + " is not DKIM1");
  const std::string k = tagValue(record, "k");
  if (!k.empty() && k != "rsa") return failed(DkimPublicKey::Status::PermFail, "k=" + k + " is not rsa");
  const std::string p = tagValue(record, "p");
  if (p.empty()) return failed(DkimPublicKey::Status::PermFail, "the key is revoked (empty p=)");
  bool ok = false;
  const std::string der = base64Decode(p, &ok);
  if (!ok) return failed(DkimPublicKey::Status::PermFail, "p= is not base64");
  const unsigned char* in = reinterpret_cast<const unsigned char*>(der.data());
  EVP_PKEY* key = d2i_PUBKEY(nullptr, &in, static_cast<long>(der.size()));
  if (key == nullptr) return failed(DkimPublicKey::Status::PermFail, "p= is not a public key");
  DkimPublicKey out;
  out.key.reset(key, EVP_PKEY_free);
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) return failed(DkimPublicKey::Status::PermFail, "not an RSA key");
  if (EVP_PKEY_get_bits(key) < 1024)
    return failed(DkimPublicKey::Status::PermFail,
                  "RSA key of " + std::to_string(EVP_PKEY_get_bits(key)) + " bits (under 1024)");
  out.status = DkimPublicKey::Status::Found;
  return out;
}

DkimPublicKey lookupDkimPublicKey(dns::Resolver& resolver, std::string_view domain, std::string_view selector) {
  const std::string name = std::string(selector) + "._domainkey." + std::string(domain);
  const dns::TextResult r = resolver.lookupTxt(name);
  if (r.status == dns::Status::TempFail)
    return failed(DkimPublicKey::Status::TempFail, "key lookup " + name + ": " + r.error);
  if (r.status != dns::Status::Ok || r.values.empty())
    return failed(DkimPublicKey::Status::PermFail, "no key at " + name);
  if (r.values.size() > 1) return failed(DkimPublicKey::Status::PermFail, "several TXT records at " + name);
  DkimPublicKey k = parseDkimPublicKey(r.values.front());
  if (k.status != DkimPublicKey::Status::Found) k.error = name + ": " + k.error;
  return k;
}

}  // namespace posthorn::mailauth
