// arc_verify - structure, the newest message signature, every seal
#include "lib/mailauth/arc_verify.h"

#include <openssl/evp.h>

#include "lib/mailauth/arc_set.h"
#include "lib/mailauth/relaxed_canon.h"
#include "lib/mailauth/tag_list.h"
#include "lib/mime/header_fields.h"

namespace posthorn::mailauth {
namespace {

ArcOutcome failed(ArcOutcome r, std::string why) {
  r.result = "fail";
  r.comment = std::move(why);
  return r;
}

bool verifyRsaSha256(EVP_PKEY* key, const std::string& data, const std::string& signature) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
                  EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()), signature.size(),
                                   reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

}  // namespace

ArcVerifier::ArcVerifier(dns::Resolver& resolver)
    : lookup_([&resolver](const std::string& domain, const std::string& selector) {
        return lookupDkimPublicKey(resolver, domain, selector);
      }) {}

bool hasArcFields(std::string_view header) {
  bool found = false;
  mime::forEachHeaderField(header, [&](const mime::HeaderField& f) {
    found = mime::headerNameEquals(f.name, "ARC-Seal") || mime::headerNameEquals(f.name, "ARC-Message-Signature") ||
            mime::headerNameEquals(f.name, "ARC-Authentication-Results");
    return !found;
  });
  return found;
}

std::string ArcVerifier::checkSignature(std::string_view fieldName, std::string_view raw, const std::string& data) {
  const std::string what = std::string(fieldName) + " i=" + std::to_string(arcInstance(raw));
  if (tagValue(raw, "a") != "rsa-sha256") return what + ": a=" + tagValue(raw, "a") + " is not rsa-sha256";
  const std::string d = tagValue(raw, "d"), s = tagValue(raw, "s");
  if (d.empty() || s.empty()) return what + ": no d= or s=";
  const DkimPublicKey key = lookup_(d, s);
  if (key.status == DkimPublicKey::Status::TempFail) return what + ": temporary: " + key.error;
  if (key.status != DkimPublicKey::Status::Found) return what + ": " + key.error;
  bool ok = false;
  const std::string signature = base64Decode(tagValue(raw, "b"), &ok);
  if (!ok || signature.empty()) return what + ": b= is not base64";
  if (!verifyRsaSha256(key.key.get(), data, signature)) return what + ": the signature does not verify (d=" + d + ")";
  return "";
}

ArcOutcome ArcVerifier::verify(std::string_view header, const std::string& bodyHash) {
  ArcOutcome r;
  const std::vector<mime::HeaderField> fields = mime::parseHeaderFields(header);
  const ArcChain chain = collectArcChain(fields);
  r.instances = static_cast<int>(chain.sets.size());
  if (chain.sets.empty() && chain.error.empty()) return r;
  if (!chain.error.empty()) return failed(r, chain.error);
  const ArcSetFields& newest = chain.sets.back();
  r.sealer = tagValue(newest.seal, "d");
  r.sealerResults = newest.aar;
  for (const auto& set : chain.sets) {
    const std::string cv = tagValue(set.seal, "cv");
    const std::string expected = set.instance == 1 ? "none" : "pass";
    if (cv == "fail") return failed(r, "ARC-Seal i=" + std::to_string(set.instance) + " says cv=fail");
    if (cv != expected)
      return failed(r, "ARC-Seal i=" + std::to_string(set.instance) + " says cv=" + cv + ", not " + expected);
  }
  // The newest message signature: the message as the last sealer sent it.
  const std::string c = tagValue(newest.ams, "c");
  if (c != "relaxed/relaxed") return failed(r, "ARC-Message-Signature c=" + c + " is not supported");
  if (!tagValue(newest.ams, "l").empty()) return failed(r, "ARC-Message-Signature with l= is not supported");
  std::string bh;
  for (char ch : tagValue(newest.ams, "bh"))
    if (ch != ' ' && ch != '\t' && ch != '\r' && ch != '\n') bh += ch;
  if (bh != bodyHash)
    return failed(r, "ARC-Message-Signature i=" + std::to_string(newest.instance) + ": the body has changed");
  if (std::string why = checkSignature("ARC-Message-Signature", newest.ams,
                                       amsSignedData(fields, tagValue(newest.ams, "h"), newest.ams));
      !why.empty())
    return failed(r, why);
  for (int n = r.instances; n >= 1; --n) {
    const ArcSetFields& set = chain.sets[n - 1];
    if (std::string why = checkSignature("ARC-Seal", set.seal, sealSignedData(chain.sets, n, set.seal)); !why.empty())
      return failed(r, why);
  }
  r.result = "pass";
  r.comment = "i=" + std::to_string(r.instances) + ", sealed by " + r.sealer;
  return r;
}

}  // namespace posthorn::mailauth
