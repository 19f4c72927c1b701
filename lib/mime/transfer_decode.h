// transfer_decode - Content-Transfer-Encoding decoders (base64, quoted-printable)
#pragma once

#include <string>
#include <string_view>

namespace posthorn::mime {

// The value of a base64 digit (RFC 4648), -1 for any other character.
// IMAP's modified BASE64 (RFC 3501 5.1.3) ends its alphabet with ','
// instead of '/': pass it as last.
int base64Value(char c, char last = '/');
// Base64 (RFC 2045 6.8): characters outside the alphabet are skipped,
// decoding stops at the first '='.
std::string decodeBase64(std::string_view in);
// Quoted-printable (RFC 2045 6.7): "=XX" and soft line breaks; a stray '='
// is kept as is. With underscoreIsSpace, RFC 2047 "Q" encoding ('_' is space).
std::string decodeQuotedPrintable(std::string_view in, bool underscoreIsSpace = false);
// By the name of a Content-Transfer-Encoding (case-insensitive); unknown
// encodings and 7bit/8bit/binary give the input unchanged.
std::string decodeTransferEncoding(std::string_view in, std::string_view encoding);

}  // namespace posthorn::mime
