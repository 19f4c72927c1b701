// dkim_sign - libopendkim signing handles, one per key, fed together
#include "lib/mailauth/dkim_sign.h"

#include <cstdlib>
#include <stdexcept>

#include "lib/mailauth/dkim_key_cache.h"
#include "lib/mailauth/libopendkim.h"

namespace posthorn::mailauth {
namespace {

const std::vector<std::string> kSigned = {
    "from", "sender", "reply-to", "subject", "date", "message-id", "to", "cc",
    "mime-version", "content-type", "content-transfer-encoding", "content-id",
    "content-description", "in-reply-to", "references", "resent-date", "resent-from",
    "resent-sender", "resent-to", "resent-cc", "resent-message-id", "list-id", "list-help",
    "list-unsubscribe", "list-subscribe", "list-post", "list-owner", "list-archive",
    "list-unsubscribe-post", "tls-report-domain", "tls-report-submitter"};
const std::vector<std::string> kOverSigned = {
    "from", "reply-to", "subject", "date", "message-id", "to", "cc", "mime-version",
    "content-type", "content-transfer-encoding", "in-reply-to", "references"};

// libopendkim wants NULL-terminated arrays of C strings.
std::vector<const char*> cStrings(const std::vector<std::string>& names) {
  std::vector<const char*> out;
  for (const auto& n : names) out.push_back(n.c_str());
  out.push_back(nullptr);
  return out;
}

constexpr std::size_t kFieldNameWidth = sizeof("DKIM-Signature: ") - 1;

}  // namespace

struct DkimSigner::Impl {
  DKIM_LIB* lib = nullptr;
};

struct DkimSigner::Stream::Handle {
  DKIM* dkim = nullptr;
  std::shared_ptr<const DkimKey> key;
  DKIM_STAT status = DKIM_STAT_OK;
};

DkimSigner::DkimSigner() : impl_(std::make_unique<Impl>()) {
  impl_->lib = dkim_init(nullptr, nullptr);
  if (impl_->lib == nullptr) throw std::runtime_error("libopendkim: cannot initialize");
  // Queue files end lines with a bare LF: signed as CRLF, as sent.
  unsigned int flags = DKIM_LIBFLAGS_FIXCRLF;
  dkim_options(impl_->lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
  auto sign = cStrings(kSigned);
  auto over = cStrings(kOverSigned);
  if (dkim_options(impl_->lib, DKIM_OP_SETOPT, DKIM_OPTS_SIGNHDRS, sign.data(), sizeof(char**)) != DKIM_STAT_OK ||
      dkim_options(impl_->lib, DKIM_OP_SETOPT, DKIM_OPTS_OVERSIGNHDRS, over.data(), sizeof(char**)) !=
          DKIM_STAT_OK)
    throw std::runtime_error("libopendkim: cannot set the signed header fields");
}

DkimSigner::~DkimSigner() {
  if (impl_->lib != nullptr) dkim_close(impl_->lib);
}

const std::vector<std::string>& DkimSigner::signedFields() { return kSigned; }
const std::vector<std::string>& DkimSigner::overSignedFields() { return kOverSigned; }

std::unique_ptr<DkimSigner::Stream> DkimSigner::start(const std::vector<std::shared_ptr<const DkimKey>>& keys,
                                                      const std::string& id) {
  std::unique_ptr<Stream> s(new Stream);
  for (const auto& key : keys) {
    try {
      registerDkimKey(key->pem);  // decoded once: libopendkim would decode it for every message
    } catch (const std::exception&) {
      // Not cached: libopendkim decodes it, or says why it cannot.
    }
    Stream::Handle h;
    h.key = key;
    const dkim_alg_t alg = key->algorithm == "ed25519-sha256" ? DKIM_SIGN_ED25519SHA256 : DKIM_SIGN_RSASHA256;
    h.dkim = dkim_sign(impl_->lib, reinterpret_cast<const unsigned char*>(id.c_str()), nullptr,
                       const_cast<unsigned char*>(reinterpret_cast<const unsigned char*>(key->pem.c_str())),
                       reinterpret_cast<const unsigned char*>(key->selector.c_str()),
                       reinterpret_cast<const unsigned char*>(key->domain.c_str()), DKIM_CANON_RELAXED,
                       DKIM_CANON_RELAXED, alg, -1, &h.status);
    s->handles_.push_back(std::move(h));  // a failed start is reported by finish()
  }
  return s;
}

DkimSigner::Stream::~Stream() {
  for (auto& h : handles_)
    if (h.dkim != nullptr) dkim_free(h.dkim);
}

void DkimSigner::Stream::feed(std::string_view piece) {
  if (piece.empty()) return;
  for (auto& h : handles_) {
    if (h.dkim == nullptr || h.status != DKIM_STAT_OK) continue;
    h.status = dkim_chunk(h.dkim, reinterpret_cast<unsigned char*>(const_cast<char*>(piece.data())), piece.size());
  }
}

std::vector<DkimSigner::Stream::Signature> DkimSigner::Stream::finish() {
  std::vector<Signature> out;
  for (auto& h : handles_) {
    Signature sig;
    sig.key = h.key;
    if (h.dkim != nullptr && h.status == DKIM_STAT_OK) h.status = dkim_chunk(h.dkim, nullptr, 0);
    if (h.dkim != nullptr && h.status == DKIM_STAT_OK) h.status = dkim_eom(h.dkim, nullptr);
    unsigned char* value = nullptr;
    std::size_t length = 0;
    if (h.dkim != nullptr && h.status == DKIM_STAT_OK)
      h.status = dkim_getsighdr_d(h.dkim, kFieldNameWidth, &value, &length);
    if (h.status != DKIM_STAT_OK || value == nullptr) {
      const char* detail = h.dkim != nullptr ? dkim_geterror(h.dkim) : nullptr;
      sig.error = detail != nullptr ? detail : dkim_getresultstr(h.status);
    } else {
      // libopendkim folds with CRLF; queue files hold LF.
      sig.field = "DKIM-Signature: ";
      for (std::size_t i = 0; i < length; ++i)
        if (value[i] != '\r') sig.field += static_cast<char>(value[i]);
      sig.field += '\n';
    }
    out.push_back(std::move(sig));
  }
  return out;
}

}  // namespace posthorn::mailauth
