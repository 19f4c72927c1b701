// dkim_verify - DKIM signature verification (RFC 6376) through
// libopendkim, asking posthorn's resolver for the keys
//
// Every signature of a message gets a result, as RFC 8601 reports them:
//   pass       the signature verifies (a body only partly covered by l=
//              passes too, and says so in the comment)
//   fail       it does not verify (a changed header or body, a key that
//              does not match)
//   policy     it verifies but is not acceptable: rsa-sha1 (RFC 8301) or
//              an RSA key under 1024 bits
//   neutral    it could not be processed (a syntax error in the signature)
//   temperror  the key could not be looked up now (DNS failure, timeout)
//   permerror  there is no usable key (none published, revoked, malformed)
// A message without signatures gets the single result "none". Only the
// first kMaxSignatures (8) signatures are verified: each costs a lookup.
//
// libopendkim asks for keys through its DNS hooks (dkim_dns_set_query_*),
// answered from dns::Resolver with the whole answer packet, so it never
// uses the system resolver; each key lookup waits at most the resolver's
// deadline. ed25519-sha256 (RFC 8463) and rsa-sha256 are verified.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/dns/dns_resolver.h"

namespace posthorn::mailauth {

struct DkimSignature {
  std::string result;     // "pass", "fail", "policy", "neutral", "temperror", "permerror"
  std::string domain;     // d=
  std::string selector;   // s=
  std::string algorithm;  // "rsa-sha256", "ed25519-sha256", "rsa-sha1"
  std::string comment;    // why, for the header's comment and the log
  bool partialBody = false;  // l= left part of the body unsigned
  bool dnssec = false;       // the key came from a DNSSEC-secure answer
};

struct DkimOutcome {
  std::vector<DkimSignature> signatures;  // empty: the message is not signed ("none")
  std::string error;                      // the message could not be examined at all
};

class DkimVerifier {
 public:
  explicit DkimVerifier(dns::Resolver& resolver);
  ~DkimVerifier();
  DkimVerifier(const DkimVerifier&) = delete;
  DkimVerifier& operator=(const DkimVerifier&) = delete;

  // One message as it streams by: feed() its bytes in pieces of any size
  // (header and body, LF or CRLF line ends), then finish() once. The key
  // lookups happen in finish().
  class Stream {
   public:
    ~Stream();
    void feed(std::string_view piece);
    DkimOutcome finish();

   private:
    friend class DkimVerifier;
    explicit Stream(void* lib);
    struct State;
    std::unique_ptr<State> state_;
  };
  std::unique_ptr<Stream> start();

  // A whole message at once: start(), feed(), finish().
  DkimOutcome verify(std::string_view message);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace posthorn::mailauth
