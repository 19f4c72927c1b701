// dkim_sign - DKIM signatures (RFC 6376, ed25519 RFC 8463) through
// libopendkim
//
//   DkimSigner signer;                       // one per process
//   auto s = signer.start(keys, queueId);    // one handle per key
//   s->feed(piece); ...                      // the whole message, LF or CRLF
//   for (auto& sig : s->finish()) ...        // one per key, in order
//
// Every signature is relaxed/relaxed over the header fields receivers and
// DMARC look at; the ones nobody should add after us are over-signed
// (named once more than they occur), so a second From, Subject or
// Content-Type added on the way breaks the signature instead of fooling the
// reader. List-* fields are signed when present but not over-signed:
// mailing lists add them. The body is signed whole (no l=).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lib/mailauth/dkim_signing_table.h"

namespace posthorn::mailauth {

class DkimSigner {
 public:
  DkimSigner();
  ~DkimSigner();
  DkimSigner(const DkimSigner&) = delete;
  DkimSigner& operator=(const DkimSigner&) = delete;

  class Stream {
   public:
    ~Stream();
    void feed(std::string_view piece);
    struct Signature {
      std::shared_ptr<const DkimKey> key;
      std::string field;  // "DKIM-Signature: ...\n", folded, LF line ends; "" if failed
      std::string error;  // why it failed
    };
    std::vector<Signature> finish();

   private:
    friend class DkimSigner;
    Stream() = default;
    struct Handle;
    std::vector<Handle> handles_;
  };

  std::unique_ptr<Stream> start(const std::vector<std::shared_ptr<const DkimKey>>& keys,
                                const std::string& id);

  // The header fields signed (all names, lower case) and over-signed.
  static const std::vector<std::string>& signedFields();
  static const std::vector<std::string>& overSignedFields();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace posthorn::mailauth
