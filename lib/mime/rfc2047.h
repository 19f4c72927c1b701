// rfc2047 - decoding RFC 2047 encoded-words in header values to UTF-8
#pragma once

#include <string>
#include <string_view>

namespace posthorn::mime {

// value with every well-formed encoded-word "=?charset[*lang]?B|Q?text?="
// decoded and converted to UTF-8 (charset.h); white space between two
// adjacent encoded-words is dropped. Malformed words stay as written.
std::string decodeRfc2047(std::string_view value);

}  // namespace posthorn::mime
