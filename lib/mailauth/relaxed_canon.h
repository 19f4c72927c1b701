// relaxed_canon - DKIM's "relaxed" canonicalization (RFC 6376 3.4.2 and
// 3.4.4), which ARC (RFC 8617) uses for its signatures and seals
//
//   relaxedHeaderField("Subject", " Hello\r\n\t world ")  == "subject:Hello world\r\n"
//   RelaxedBodyHash h; h.feed(body1); h.feed(body2); h.finish();  // base64 SHA-256
//
// libopendkim does this for DKIM-Signature fields but offers nothing for
// fields of other names, so ARC has its own (doc/outbound-trust.md).
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace posthorn::mailauth {

// name in lower case, ":", the value unfolded, runs of white space made one
// space, white space at its ends removed, then CRLF.
std::string relaxedHeaderField(std::string_view name, std::string_view rawValue);

// The raw value of a signature field with the value of its b= tag removed
// (everything else, folding included, kept), as signer and verifier hash it.
std::string withoutSignatureValue(std::string_view rawValue);

// SHA-256 of a body in relaxed form, fed in pieces of any size: white space
// runs become one space, white space at line ends and empty lines at the
// end are dropped, lines end with CRLF (a bare LF counts as one).
class RelaxedBodyHash {
 public:
  RelaxedBodyHash();
  ~RelaxedBodyHash();
  void feed(std::string_view body);
  std::string finish();  // base64; call once

 private:
  void emit(std::string_view bytes);
  void ordinary(char c);
  struct Digest;
  std::unique_ptr<Digest> digest_;
  long long pendingEmptyLines_ = 0;
  bool spacePending_ = false;
  bool lineHasContent_ = false;
  bool crPending_ = false;
  std::string out_;  // buffered for the digest
};

std::string base64Encode(std::string_view bytes);
// White space inside is ignored; nullopt-like "" with *ok false when invalid.
std::string base64Decode(std::string_view text, bool* ok);

}  // namespace posthorn::mailauth
