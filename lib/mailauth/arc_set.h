// arc_set - the ARC sets of a message (RFC 8617 4.1) and the data each of
// their signatures covers
//
//   ArcChain chain = collectArcChain(mime::parseHeaderFields(header));
//   chain.sets[0].seal;   // the raw value of ARC-Seal i=1
//
// An ARC set is three fields with the same instance i=: the
// ARC-Authentication-Results (AAR: what the sealer's checks found), the
// ARC-Message-Signature (AMS: a DKIM-like signature of the message) and
// the ARC-Seal (AS: a signature over every set up to its own). Sealer and
// verifier compute the signed data with the same functions here.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "lib/mime/header_fields.h"

namespace posthorn::mailauth {

inline constexpr int kMaxArcInstances = 50;  // RFC 8617 4.2.1

struct ArcSetFields {
  int instance = 0;
  std::string aar, ams, seal;  // raw values (after the colon, folding kept)
};

struct ArcChain {
  std::vector<ArcSetFields> sets;  // sets[k] has instance k + 1
  std::string error;  // why the fields do not form a chain ("" when they do, or when there are none)
};

// The i= of an ARC field's value; 0 when it has none or a bad one.
int arcInstance(std::string_view rawValue);

// Every ARC field of the header, by instance. Missing, repeated or
// out-of-range instances (more than 50) leave an error.
ArcChain collectArcChain(const std::vector<mime::HeaderField>& fields);

// What an AMS signs: the fields its h= names, each name taking the
// bottom-most instance not taken yet, in relaxed form, then the AMS field
// itself without its b= value and without the final CRLF.
std::string amsSignedData(const std::vector<mime::HeaderField>& fields, std::string_view hList,
                          std::string_view amsRawValue);

// What the seal of set n (1-based) signs: AAR, AMS and AS of sets 1..n in
// order, relaxed, the last AS (sealRawValue, set n) without its b= value
// and final CRLF. sets holds at least n - 1 sets before it; set n's AAR and
// AMS come from sets[n - 1].
std::string sealSignedData(const std::vector<ArcSetFields>& sets, int n, std::string_view sealRawValue);

}  // namespace posthorn::mailauth
