// dkim_verify - libopendkim with our resolver behind its DNS hooks, and
// each signature's outcome in RFC 8601's words
#include "lib/mailauth/dkim_verify.h"

#include <cstring>
#include <stdexcept>

#include "lib/mailauth/canonical_body.h"
#include "lib/mailauth/libopendkim.h"

namespace posthorn::mailauth {

namespace {

// One key lookup, answered at once: libopendkim's hooks are start, wait
// and cancel (always called at the end), made for asynchronous resolvers.
struct KeyQuery {
  bool answered = false;
  std::size_t bytes = 0;
  int dnssec = DKIM_DNSSEC_UNKNOWN;
};

int startQuery(void* service, int type, unsigned char* name, unsigned char* buf, std::size_t buflen, void** handle) {
  auto* resolver = static_cast<dns::Resolver*>(service);
  dns::QueryResult r;
  try {
    r = resolver->query(reinterpret_cast<const char*>(name), static_cast<dns::RrType>(type), /*keepPacket=*/true);
  } catch (const std::exception&) {
    return -1;  // nothing may unwind through libopendkim: "query failed"
  }
  auto* q = new KeyQuery;
  // A failure (SERVFAIL, timeout, bogus) must not reach libopendkim as a
  // packet without answers: it would take it for "no key" (permerror).
  if (r.status != dns::Status::TempFail && !r.packet.empty() && r.packet.size() <= buflen) {
    std::memcpy(buf, r.packet.data(), r.packet.size());
    q->answered = true;
    q->bytes = r.packet.size();
  }
  q->dnssec = r.security == dns::Security::Secure  ? DKIM_DNSSEC_SECURE
              : r.security == dns::Security::Bogus ? DKIM_DNSSEC_BOGUS
                                                   : DKIM_DNSSEC_INSECURE;
  *handle = q;
  return 0;
}

int waitReply(void*, void* handle, struct timeval*, std::size_t* bytes, int* error, int* dnssec) {
  const auto* q = static_cast<KeyQuery*>(handle);
  if (!q->answered) {
    if (error != nullptr) *error = 0;
    return DKIM_DNS_ERROR;
  }
  if (bytes != nullptr) *bytes = q->bytes;
  if (dnssec != nullptr) *dnssec = q->dnssec;
  return DKIM_DNS_SUCCESS;
}

// At most this many signatures of a message are verified (each costs a
// key lookup): a message with hundreds cannot hold the caller for long.
constexpr int kMaxSignatures = 8;

DKIM_CBSTAT ignoreBeyondLimit(DKIM*, DKIM_SIGINFO** sigs, int count) {
  for (int i = kMaxSignatures; i < count; ++i) dkim_sig_ignore(sigs[i]);
  return DKIM_CBSTAT_CONTINUE;
}

// The service is our resolver, not libresolv's state: nothing to close
// (libopendkim's default close would free it as a res_state).
void closeService(void*) {}

int cancelQuery(void*, void* handle) {
  delete static_cast<KeyQuery*>(handle);
  return DKIM_DNS_SUCCESS;
}

std::string algorithmName(DKIM_SIGINFO* sig) {
  dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
  dkim_sig_getsignalg(sig, &alg);
  switch (alg) {
    case DKIM_SIGN_RSASHA1: return "rsa-sha1";
    case DKIM_SIGN_RSASHA256: return "rsa-sha256";
    case DKIM_SIGN_ED25519SHA256: return "ed25519-sha256";
    default: return "unknown";
  }
}

const char* text(const unsigned char* s) { return s == nullptr ? "" : reinterpret_cast<const char*>(s); }

// RFC 8601 section 2.7.1 for one signature libopendkim has processed.
DkimSignature judge(DKIM* dkim, DKIM_SIGINFO* sig, const CanonicalBodyLength& body) {
  DkimSignature out;
  out.domain = text(dkim_sig_getdomain(sig));
  out.selector = text(dkim_sig_getselector(sig));
  out.algorithm = algorithmName(sig);
  out.dnssec = dkim_sig_getdnssec(sig) == DKIM_DNSSEC_SECURE;
  const int error = dkim_sig_geterror(sig);
  const unsigned int flags = dkim_sig_getflags(sig);
  const bool verified = (flags & DKIM_SIGFLAG_PASSED) != 0 && dkim_sig_getbh(sig) == DKIM_SIGBH_MATCH;
  switch (error) {
    case DKIM_SIGERROR_OK:
      out.result = verified ? "pass" : "fail";
      if (!verified) out.comment = dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH ? "body hash mismatch" : "bad signature";
      break;
    case DKIM_SIGERROR_BADSIG:
    case DKIM_SIGERROR_CORRUPT_BH:
    case DKIM_SIGERROR_KEYHASHMISMATCH:
      out.result = "fail";
      out.comment = dkim_sig_geterrorstr(error);
      break;
    case DKIM_SIGERROR_KEYFAIL:
    case DKIM_SIGERROR_MULTIREPLY:
      out.result = "temperror";
      out.comment = dkim_sig_geterrorstr(error);
      break;
    case DKIM_SIGERROR_NOKEY:
    case DKIM_SIGERROR_DNSSYNTAX:
    case DKIM_SIGERROR_KEYVERSION:
    case DKIM_SIGERROR_KEYUNKNOWNHASH:
    case DKIM_SIGERROR_NOTEMAILKEY:
    case DKIM_SIGERROR_KEYTYPEMISSING:
    case DKIM_SIGERROR_KEYTYPEUNKNOWN:
    case DKIM_SIGERROR_KEYREVOKED:
    case DKIM_SIGERROR_KEYDECODE:
      out.result = "permerror";
      out.comment = dkim_sig_geterrorstr(error);
      break;
    case DKIM_SIGERROR_KEYTOOSMALL:
      out.result = "policy";
      out.comment = "key shorter than 1024 bits";
      break;
    default:  // the signature's own syntax, expiry, subdomain rules
      out.result = "neutral";
      out.comment = dkim_sig_geterrorstr(error) != nullptr ? dkim_sig_geterrorstr(error) : "unusable signature";
      break;
  }
  // RFC 8301: SHA-1 signatures are not acceptable however they verify.
  if (out.result == "pass" && out.algorithm == "rsa-sha1") {
    out.result = "policy";
    out.comment = "rsa-sha1 is not accepted, RFC 8301";
  }
  ssize_t messageLength = 0, hashedLength = 0, signedLength = 0;
  unsigned char tag[] = "c";
  const unsigned char* canon = dkim_sig_gettagvalue(sig, false, tag);
  const std::string c = text(canon);  // "header/body"; without '/', the body is simple
  const auto slash = c.find('/');
  const bool relaxedBody = slash != std::string::npos && c.substr(slash + 1) == "relaxed";
  if (dkim_sig_getcanonlen(dkim, sig, &messageLength, &hashedLength, &signedLength) == DKIM_STAT_OK &&
      signedLength >= 0 && signedLength < (relaxedBody ? body.relaxed() : body.simple())) {
    out.partialBody = true;
    const std::string partial = "body partly signed: " + std::to_string(signedLength) + " of " +
                                std::to_string(relaxedBody ? body.relaxed() : body.simple()) + " bytes";
    out.comment = out.comment.empty() ? partial : out.comment + "; " + partial;
  }
  return out;
}

}  // namespace

struct DkimVerifier::Impl {
  dns::Resolver& resolver;
  DKIM_LIB* lib = nullptr;
  explicit Impl(dns::Resolver& r) : resolver(r) {}
};

DkimVerifier::DkimVerifier(dns::Resolver& resolver) : impl_(std::make_unique<Impl>(resolver)) {
  impl_->lib = dkim_init(nullptr, nullptr);
  if (impl_->lib == nullptr) throw std::runtime_error("libopendkim: cannot initialize");
  // Bare LF line ends (posthorn's queue files, `posthorn auth check` on a
  // file) become CRLF; l= is honoured and reported.
  // BADSIGHANDLES: a DKIM-Signature that does not parse still gets a
  // handle, so it is reported (neutral) instead of vanishing into "none".
  unsigned int flags = DKIM_LIBFLAGS_FIXCRLF | DKIM_LIBFLAGS_BADSIGHANDLES;
  dkim_options(impl_->lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags);
  unsigned int minimumBits = 1024;
  dkim_options(impl_->lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &minimumBits, sizeof minimumBits);
  dkim_dns_set_query_service(impl_->lib, &impl_->resolver);
  dkim_dns_set_query_start(impl_->lib, startQuery);
  dkim_dns_set_query_waitreply(impl_->lib, waitReply);
  dkim_dns_set_query_cancel(impl_->lib, cancelQuery);
  dkim_dns_set_close(impl_->lib, closeService);
  dkim_set_prescreen(impl_->lib, ignoreBeyondLimit);
}

DkimVerifier::~DkimVerifier() {
  if (impl_->lib != nullptr) dkim_close(impl_->lib);
}

struct DkimVerifier::Stream::State {
  DKIM* dkim = nullptr;
  DKIM_STAT status = DKIM_STAT_OK;
  std::string error;  // the verification could not start
  CanonicalBodyLength body;
};

DkimVerifier::Stream::Stream(void* lib) : state_(std::make_unique<State>()) {
  state_->dkim = dkim_verify(static_cast<DKIM_LIB*>(lib), reinterpret_cast<const unsigned char*>("posthorn"),
                             nullptr, &state_->status);
  if (state_->dkim == nullptr) state_->error = std::string("libopendkim: ") + dkim_getresultstr(state_->status);
}

DkimVerifier::Stream::~Stream() {
  if (state_->dkim != nullptr) dkim_free(state_->dkim);
}

void DkimVerifier::Stream::feed(std::string_view piece) {
  // NOSIG comes as soon as the header ends without a DKIM-Signature:
  // nothing more to do with the rest (the body is not even counted).
  if (state_->dkim == nullptr || state_->status != DKIM_STAT_OK || piece.empty()) return;
  state_->body.feed(piece);
  state_->status = dkim_chunk(state_->dkim, reinterpret_cast<unsigned char*>(const_cast<char*>(piece.data())),
                              piece.size());
}

DkimOutcome DkimVerifier::Stream::finish() {
  DkimOutcome out;
  if (state_->dkim == nullptr) {
    out.error = state_->error;
    return out;
  }
  DKIM* dkim = state_->dkim;
  DKIM_STAT status = state_->status;
  if (status == DKIM_STAT_OK) status = dkim_chunk(dkim, nullptr, 0);
  if (status == DKIM_STAT_OK) status = dkim_eom(dkim, nullptr);
  DKIM_SIGINFO** sigs = nullptr;
  int count = 0;
  if (dkim_getsiglist(dkim, &sigs, &count) == DKIM_STAT_OK) {
    for (int i = 0; i < count; ++i) {
      if ((dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_IGNORE) != 0) continue;  // beyond kMaxSignatures
      if ((dkim_sig_getflags(sigs[i]) & DKIM_SIGFLAG_PROCESSED) == 0) dkim_sig_process(dkim, sigs[i]);
      out.signatures.push_back(judge(dkim, sigs[i], state_->body));
    }
  }
  if (out.signatures.empty() && status != DKIM_STAT_NOSIG && status != DKIM_STAT_OK) {
    const char* why = dkim_geterror(dkim);
    out.error = why != nullptr ? why : dkim_getresultstr(status);
  }
  return out;
}

std::unique_ptr<DkimVerifier::Stream> DkimVerifier::start() {
  return std::unique_ptr<Stream>(new Stream(impl_->lib));
}

DkimOutcome DkimVerifier::verify(std::string_view message) {
  const std::unique_ptr<Stream> stream = start();
  stream->feed(message);
  return stream->finish();
}

}  // namespace posthorn::mailauth
