// dkim_test_keys - DKIM keys for unit tests: made with OpenSSL, written
// where dkim_signing_maps looks for them ($config_directory/dkim/D/S.key),
// and the DNS record (v=DKIM1; k=...; p=...) that publishes each
//
//   writeDkimKey(dir.path(), "example.org", "rsa", dkimKeyPem(DkimKeyKind::Rsa2048));
//
// Each kind of key is made once per test program (RSA keys take a while);
// every selector written with it shares the key.
#pragma once

#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <map>
#include <stdexcept>
#include <string>

namespace posthorn::testing {

enum class DkimKeyKind { Rsa2048, Rsa512, Ed25519 };

// A new private key of that kind in PKCS#8 PEM.
inline std::string makeDkimKeyPem(DkimKeyKind kind) {
  EVP_PKEY* key = kind == DkimKeyKind::Ed25519 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                               : EVP_RSA_gen(kind == DkimKeyKind::Rsa512 ? 512u : 2048u);
  if (key == nullptr) throw std::runtime_error("OpenSSL could not make a key");
  BIO* bio = BIO_new(BIO_s_mem());
  std::string pem;
  if (bio != nullptr && PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) == 1) {
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    pem.assign(data, static_cast<std::size_t>(size));
  }
  BIO_free(bio);
  EVP_PKEY_free(key);
  if (pem.empty()) throw std::runtime_error("OpenSSL could not write a key");
  return pem;
}

// The key of that kind this test program uses everywhere.
inline const std::string& dkimKeyPem(DkimKeyKind kind) {
  static std::map<DkimKeyKind, std::string> made;
  auto it = made.find(kind);
  if (it == made.end()) it = made.emplace(kind, makeDkimKeyPem(kind)).first;
  return it->second;
}

// Writes `text` as CONFIGDIR/dkim/DOMAIN/SELECTOR.key with exactly `mode`
// (whatever the umask), making the directories; returns the path.
inline std::string writeDkimKey(const std::string& configDir, const std::string& domain,
                                const std::string& selector, const std::string& text, mode_t mode = 0600) {
  for (const std::string& dir : {configDir + "/dkim", configDir + "/dkim/" + domain})
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) throw std::runtime_error("cannot make " + dir);
  const std::string path = configDir + "/dkim/" + domain + "/" + selector + ".key";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) throw std::runtime_error("cannot create " + path);
  const bool ok = ::fchmod(fd, mode) == 0 &&
                  ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::close(fd);
  if (!ok) throw std::runtime_error("cannot write " + path);
  return path;
}

// The TXT record that publishes the public half of a PEM private key
// (RFC 6376 3.6.1; ed25519: the raw 32-byte key, RFC 8463).
inline std::string dkimKeyRecord(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = bio != nullptr ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (key == nullptr) throw std::runtime_error("not a PEM private key");
  std::string type = "rsa";
  std::string raw;
  if (EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519) {
    type = "ed25519";
    unsigned char bytes[32];
    std::size_t size = sizeof bytes;
    if (EVP_PKEY_get_raw_public_key(key, bytes, &size) == 1) raw.assign(reinterpret_cast<char*>(bytes), size);
  } else {
    unsigned char* der = nullptr;
    const int size = i2d_PUBKEY(key, &der);
    if (size > 0) raw.assign(reinterpret_cast<char*>(der), static_cast<std::size_t>(size));
    OPENSSL_free(der);
  }
  EVP_PKEY_free(key);
  if (raw.empty()) throw std::runtime_error("no public key");
  std::string b64(4 * ((raw.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                                reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  b64.resize(static_cast<std::size_t>(n));
  return "v=DKIM1; k=" + type + "; p=" + b64;
}

}  // namespace posthorn::testing
