// dkim_record - public key to TXT record
#include "tools/dkim_record.h"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <stdexcept>
#include <string_view>

#include "lib/proto/passdb_client.h"
#include "lib/tls/tls.h"

namespace posthorn::tools {
namespace {

std::string base64(const unsigned char* data, std::size_t size) {
  return passdb::encodeBase64(std::string_view(reinterpret_cast<const char*>(data), size));
}

}  // namespace

std::string dkimRecordValue(EVP_PKEY* key) {
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
    unsigned char raw[32];
    std::size_t size = sizeof raw;
    if (EVP_PKEY_get_raw_public_key(key, raw, &size) != 1 || size != sizeof raw)
      throw std::runtime_error("cannot read the ed25519 public key: " + tls::errorText());
    return "v=DKIM1; k=ed25519; p=" + base64(raw, size);
  }
  if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA) throw std::runtime_error("not an RSA or ed25519 key");
  unsigned char* der = nullptr;
  const int size = i2d_PUBKEY(key, &der);
  if (size <= 0) throw std::runtime_error("cannot encode the public key: " + tls::errorText());
  std::string out = "v=DKIM1; k=rsa; p=" + base64(der, static_cast<std::size_t>(size));
  OPENSSL_free(der);
  return out;
}

std::string dkimRecordValueOfPem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = bio != nullptr ? PEM_read_bio_PrivateKey_ex(bio, nullptr, nullptr, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (key == nullptr) throw std::runtime_error("not a PEM private key");
  try {
    std::string value = dkimRecordValue(key);
    EVP_PKEY_free(key);
    return value;
  } catch (...) {
    EVP_PKEY_free(key);
    throw;
  }
}

std::string dkimRecordLine(const std::string& selector, const std::string& domain, const std::string& value) {
  std::string line = selector + "._domainkey." + domain + ". IN TXT (";
  for (std::size_t i = 0; i < value.size(); i += 250) line += " \"" + value.substr(i, 250) + "\"";
  return line + " )";
}

}  // namespace posthorn::tools
