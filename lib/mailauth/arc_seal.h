// arc_seal - adding an ARC set (RFC 8617 5.1) to a message we forward
//
//   ArcSealer sealer(key);   // an rsa-sha256 key from dkim_signing_maps
//   ArcSealResult s = sealer.seal({.header = header, .bodyHash = hash,
//                                  .authservId = "mx.example.org", .time = now});
//   s.fields;                // "ARC-Seal: ...\nARC-Message-Signature: ...\nARC-Authentication-Results: ...\n"
//
// The new set's ARC-Authentication-Results copies our own
// Authentication-Results field (the one smtpd added when the message
// arrived, found by our authserv-id), so the next receiver learns what we
// saw before the forwarding changed the envelope. The chain status cv= is
// what smtpd found for the sets already there (the arc= result in that
// field): none for the first set, else pass or fail. Nothing is added
// when the message carries no result of ours to copy, when its sets are
// malformed or already failed (cv=fail), or at the 50th set; the reason
// is in ArcSealResult::error.
#pragma once

#include <openssl/types.h>

#include <ctime>
#include <memory>
#include <string>
#include <string_view>

#include "lib/mailauth/dkim_signing_table.h"

namespace posthorn::mailauth {

struct ArcSealInput {
  std::string_view header;  // the whole header section as it will leave, LF or CRLF line ends
  std::string bodyHash;     // RelaxedBodyHash of the body
  std::string authservId;   // ours
  std::time_t time = 0;
};

struct ArcSealResult {
  std::string fields;  // the new set, LF line ends; "" when not sealed
  std::string error;   // why not
  int instance = 0;
  std::string cv;
};

class ArcSealer {
 public:
  // Throws std::runtime_error when the key is not an RSA key that loads.
  explicit ArcSealer(std::shared_ptr<const DkimKey> key);
  ArcSealResult seal(const ArcSealInput& input) const;
  const DkimKey& key() const { return *key_; }

  // The header fields the ARC-Message-Signature covers when present.
  static const std::vector<std::string>& signedFields();

 private:
  std::string sign(std::string_view data) const;
  std::shared_ptr<const DkimKey> key_;
  std::shared_ptr<EVP_PKEY> pkey_;
};

}  // namespace posthorn::mailauth
