// arc_seal - AAR from our Authentication-Results, AMS over the message, AS over the chain
#include "lib/mailauth/arc_seal.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <stdexcept>

#include "lib/mailauth/arc_set.h"
#include "lib/mailauth/auth_results.h"
#include "lib/mailauth/dkim_sign.h"
#include "lib/mailauth/relaxed_canon.h"
#include "lib/mailauth/tag_list.h"
#include "lib/mime/header_fields.h"

namespace posthorn::mailauth {
namespace {

// A base64 signature folded into lines a reader can take.
std::string folded(const std::string& base64) {
  std::string out;
  for (std::size_t i = 0; i < base64.size(); i += 64) {
    if (i > 0) out += "\n\t ";
    out += base64.substr(i, 64);
  }
  return out;
}

std::string withoutCr(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != '\r') out += c;
  return out;
}

}  // namespace

const std::vector<std::string>& ArcSealer::signedFields() {
  // What DKIM signs, and the DKIM signatures themselves, so that the next
  // hop can tell they are the ones we saw.
  static const std::vector<std::string> fields = [] {
    std::vector<std::string> f = DkimSigner::signedFields();
    f.push_back("dkim-signature");
    return f;
  }();
  return fields;
}

ArcSealer::ArcSealer(std::shared_ptr<const DkimKey> key) : key_(std::move(key)) {
  if (key_->algorithm != "rsa-sha256")
    throw std::runtime_error(key_->file + ": ARC seals only with rsa-sha256 keys (RFC 8617)");
  BIO* bio = BIO_new_mem_buf(key_->pem.data(), static_cast<int>(key_->pem.size()));
  EVP_PKEY* pkey = bio ? PEM_read_bio_PrivateKey_ex(bio, nullptr, nullptr, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (pkey == nullptr) throw std::runtime_error(key_->file + ": the key does not load");
  pkey_.reset(pkey, EVP_PKEY_free);
}

std::string ArcSealer::sign(std::string_view data) const {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::size_t len = 0;
  std::string sig;
  bool ok = ctx != nullptr && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, pkey_.get()) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  if (ok) {
    sig.resize(len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                        reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
    sig.resize(len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) throw std::runtime_error("RSA signing with " + key_->file + " failed");
  return base64Encode(sig);
}

ArcSealResult ArcSealer::seal(const ArcSealInput& in) const {
  ArcSealResult out;
  const std::vector<mime::HeaderField> fields = mime::parseHeaderFields(in.header);
  ArcChain chain = collectArcChain(fields);
  if (!chain.error.empty()) {
    out.error = "the message's ARC sets are malformed: " + chain.error;
    return out;
  }
  const int n = static_cast<int>(chain.sets.size()) + 1;
  if (n > kMaxArcInstances) {
    out.error = "the message has " + std::to_string(n - 1) + " ARC sets already";
    return out;
  }
  if (n > 1 && tagValue(chain.sets.back().seal, "cv") == "fail") {
    out.error = "the message's ARC chain has already failed (cv=fail)";
    return out;
  }
  const mime::HeaderField* ours = nullptr;
  for (const auto& f : fields)
    if (mime::headerNameEquals(f.name, "Authentication-Results") && authservIdOf(f.value) == in.authservId) {
      ours = &f;
      break;
    }
  if (ours == nullptr) {
    out.error = "no Authentication-Results field of " + in.authservId + " to seal";
    return out;
  }
  std::string cv = "none";
  if (n > 1) {
    cv = methodResult(ours->value, "arc");
    if (cv != "pass" && cv != "fail") {
      out.error = "our Authentication-Results field has no arc= result for the sets already there";
      return out;
    }
  }
  const std::string instance = "i=" + std::to_string(n);
  const std::string_view raw = ours->value;
  const std::size_t semi = raw.find(';');
  const std::string results = semi == std::string_view::npos ? " none" : withoutCr(raw.substr(semi + 1));
  ArcSetFields set;
  set.instance = n;
  set.aar = " " + instance + "; " + in.authservId + ";" + results;

  std::string h;
  for (const auto& name : signedFields())
    for (const auto& f : fields)
      if (mime::headerNameEquals(f.name, name)) {
        h += (h.empty() ? "" : ":") + name;
        break;
      }
  const std::string t = std::to_string(in.time);
  const std::string ds = "d=" + key_->domain + "; s=" + key_->selector + ";";
  set.ams = " " + instance + "; a=rsa-sha256; c=relaxed/relaxed; " + ds + "\n\tt=" + t + "; h=" + h +
            ";\n\tbh=" + in.bodyHash + ";\n\tb=";
  set.ams += folded(sign(amsSignedData(fields, h, set.ams)));
  set.seal = " " + instance + "; a=rsa-sha256; t=" + t + "; cv=" + cv + ";\n\t" + ds + "\n\tb=";
  chain.sets.push_back(set);
  set.seal += folded(sign(sealSignedData(chain.sets, n, set.seal)));

  out.fields = "ARC-Seal:" + set.seal + "\nARC-Message-Signature:" + set.ams +
               "\nARC-Authentication-Results:" + set.aar + "\n";
  out.instance = n;
  out.cv = cv;
  return out;
}

}  // namespace posthorn::mailauth
