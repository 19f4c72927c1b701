// dkim_key_cache - PEM_read_bio_PrivateKey answered from decoded keys
#include "lib/mailauth/dkim_key_cache.h"

#include <dlfcn.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>
#include <string_view>
#include <vector>

namespace posthorn::mailauth {
namespace {

struct CachedKey {
  std::string pem;
  EVP_PKEY* key;  // owned for the life of the process
};

std::vector<CachedKey>& cache() {
  static std::vector<CachedKey> keys;
  return keys;
}

unsigned long hits = 0;

using ReadKey = EVP_PKEY* (*)(BIO*, EVP_PKEY**, pem_password_cb*, void*);

ReadKey libcryptoReadKey() {
  static const auto real = reinterpret_cast<ReadKey>(::dlsym(RTLD_NEXT, "PEM_read_bio_PrivateKey"));
  return real;
}

EVP_PKEY* decode(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = bio != nullptr ? libcryptoReadKey()(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  return key;
}

}  // namespace

void registerDkimKey(const std::string& pem) {
  for (const auto& k : cache())
    if (k.pem == pem) return;
  if (libcryptoReadKey() == nullptr) throw std::runtime_error("libcrypto's PEM_read_bio_PrivateKey not found");
  EVP_PKEY* key = decode(pem);
  if (key == nullptr) throw std::runtime_error("not a PEM private key");
  cache().push_back({pem, key});
}

unsigned long dkimKeyCacheHits() { return hits; }

}  // namespace posthorn::mailauth

using posthorn::mailauth::cache;

extern "C" EVP_PKEY* PEM_read_bio_PrivateKey(BIO* bio, EVP_PKEY** out, pem_password_cb* cb, void* u) {
  // Only a whole, unread memory BIO can be compared; and only when the
  // caller does not want the key written into *out.
  if (out == nullptr && bio != nullptr && BIO_method_type(bio) == BIO_TYPE_MEM) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    if (size > 0) {
      const std::string_view text(data, static_cast<std::size_t>(size));
      for (const auto& k : cache()) {
        if (text != k.pem || EVP_PKEY_up_ref(k.key) != 1) continue;
        ++posthorn::mailauth::hits;
        return k.key;
      }
    }
  }
  const auto real = posthorn::mailauth::libcryptoReadKey();
  return real != nullptr ? real(bio, out, cb, u) : nullptr;
}
