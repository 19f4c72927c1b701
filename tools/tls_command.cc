// tls_command - `posthorn tls selfsigned`: a key and a self-signed certificate
#include "tools/tls_command.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <optional>
#include <stdexcept>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/config/config.h"
#include "lib/tls/tls.h"
#include "tools/command.h"
#include "tools/key_file.h"

namespace posthorn::tools {

namespace {

constexpr Command kTls{"posthorn tls",
                       "usage: posthorn tls selfsigned [-c DIR] [-d DAYS] [-t rsa|ecdsa] [-f] [HOSTNAME]"};

class Failure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Options {
  std::optional<std::string> configDir;
  long days = 365;
  bool ecdsa = false;
  bool force = false;
  std::string hostname;
};

Options parseOptions(const std::vector<std::string>& args) {
  Options o;
  ArgCursor arg(args);
  while (arg.next()) {
    switch (arg.option()) {
      case 'c': o.configDir = arg.value(); break;
      case 'd': {
        const std::string v = arg.value();
        char* end = nullptr;
        errno = 0;
        const long days = std::strtol(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || errno != 0 || days < 1 || days > 36500)
          throw UsageError("-d takes a number of days from 1 to 36500, not \"" + v + "\"");
        o.days = days;
        break;
      }
      case 't': {
        const std::string v = arg.value();
        if (v == "rsa") o.ecdsa = false;
        else if (v == "ecdsa" || v == "ec") o.ecdsa = true;
        else throw UsageError("-t takes rsa or ecdsa, not \"" + v + "\"");
        break;
      }
      case 'f':
        arg.alone();
        o.force = true;
        break;
      default: arg.unknown();
    }
  }
  const std::vector<std::string> operands = arg.operands();
  if (operands.empty()) throw UsageError("missing subcommand (selfsigned)");
  if (operands[0] != "selfsigned")
    throw UsageError("unknown subcommand \"" + operands[0] + "\" (known: selfsigned)");
  if (operands.size() > 2) throw UsageError("too many arguments");
  if (operands.size() == 2) o.hostname = operands[1];
  return o;
}

// A host name for a certificate: letters, digits, '-', '.', and a leading
// "*." for a wildcard; no empty labels.
bool validHostname(const std::string& name) {
  if (name.empty() || name.size() > 253) return false;
  std::string_view rest = name;
  if (rest.substr(0, 2) == "*.") rest.remove_prefix(2);
  std::size_t label = 0;
  for (char c : rest) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
      continue;
    }
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-')) return false;
    if (++label > 63) return false;
  }
  return label > 0;
}

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
struct ExtFree {
  void operator()(X509_EXTENSION* e) const { X509_EXTENSION_free(e); }
};

void addExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ExtFree> ext(
      X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1)
    throw Failure("cannot add the " + std::string(OBJ_nid2sn(nid)) + " extension: " +
                  tls::errorText());
}

std::unique_ptr<EVP_PKEY, KeyFree> newKey(bool ecdsa) {
  EVP_PKEY* key = ecdsa ? EVP_EC_gen("P-256") : EVP_RSA_gen(2048);
  if (key == nullptr) throw Failure("cannot generate a key: " + tls::errorText());
  return std::unique_ptr<EVP_PKEY, KeyFree>(key);
}

std::unique_ptr<X509, CertFree> newCertificate(EVP_PKEY* key, const std::string& host,
                                               long days, bool ecdsa) {
  std::unique_ptr<X509, CertFree> cert(X509_new());
  if (!cert) throw Failure("cannot create a certificate: " + tls::errorText());
  X509_set_version(cert.get(), 2);  // v3
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) throw Failure("no random bytes: " + tls::errorText());
  serial[0] &= 0x7f;  // positive
  serial[0] |= 0x01;  // and no leading zero byte
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  if (bn == nullptr || BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) == nullptr) {
    BN_free(bn);
    throw Failure("cannot set the serial number: " + tls::errorText());
  }
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -300);
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), static_cast<int>(days), 0, nullptr);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(host.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  addExtension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
  addExtension(cert.get(), NID_key_usage,
               ecdsa ? "critical,digitalSignature,keyCertSign"
                     : "critical,digitalSignature,keyEncipherment,keyCertSign");
  addExtension(cert.get(), NID_ext_key_usage, "serverAuth,clientAuth");
  addExtension(cert.get(), NID_subject_key_identifier, "hash");
  addExtension(cert.get(), NID_authority_key_identifier, "keyid:always");
  addExtension(cert.get(), NID_subject_alt_name, "DNS:" + host);
  if (X509_sign(cert.get(), key, EVP_sha256()) == 0)
    throw Failure("cannot sign the certificate: " + tls::errorText());
  return cert;
}

std::string pemCertificate(X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (bio == nullptr || PEM_write_bio_X509(bio, cert) != 1) {
    BIO_free(bio);
    throw Failure("cannot encode the certificate: " + tls::errorText());
  }
  char* data = nullptr;
  long n = BIO_get_mem_data(bio, &data);
  std::string text(data, static_cast<std::size_t>(n));
  BIO_free(bio);
  return text;
}

std::string fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &len) != 1) return "";
  static const char kHex[] = "0123456789ABCDEF";
  std::string text;
  for (unsigned int i = 0; i < len; ++i) {
    if (i) text += ':';
    text += kHex[md[i] >> 4];
    text += kHex[md[i] & 15];
  }
  return text;
}


}  // namespace

int runTls(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  return kTls.run(err, [&] {
    const Options o = parseOptions(args);
    const config::Config cfg = configOrDefaults(o.configDir.value_or(""));
    const std::string host = o.hostname.empty() ? cfg.get("myhostname") : o.hostname;
    if (!validHostname(host))
      throw Failure("\"" + host + "\" is not a valid host name for a certificate");
    std::string configDir = cfg.get("config_directory");
    if (configDir.empty()) configDir = cfg.configDir();
    const std::string dir = configDir + "/tls";
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      throw Failure("cannot create " + dir + ": " + std::strerror(errno));
    const std::string keyPath = dir + "/posthorn.key";
    const std::string certPath = dir + "/posthorn.crt";
    if (!o.force) {
      for (const auto& p : {keyPath, certPath}) {
        struct stat st{};
        if (::lstat(p.c_str(), &st) == 0)
          throw Failure(p + " already exists (use -f to replace it)");
      }
    }
    auto key = newKey(o.ecdsa);
    auto cert = newCertificate(key.get(), host, o.days, o.ecdsa);
    // The key first: a certificate without its key is useless, the reverse
    // is merely incomplete.
    writeKeyFile(keyPath, pemPrivateKey(key.get()), 0600, o.force);
    writeKeyFile(certPath, pemCertificate(cert.get()), 0644, o.force);
    out << kTls.name << ": wrote " << keyPath << " (" << (o.ecdsa ? "ECDSA P-256" : "RSA 2048")
        << ") and " << certPath << " (CN=" << host << ", " << o.days << " days)\n"
        << "SHA256 fingerprint: " << fingerprint(cert.get()) << "\n"
        << "posthorn.conf:\n"
        << "    smtpd_tls_cert_file = " << certPath << "\n"
        << "    smtpd_tls_key_file = " << keyPath << "\n";
    return 0;
  });
}

}  // namespace posthorn::tools
