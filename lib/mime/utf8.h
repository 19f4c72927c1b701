// utf8 - encoding and decoding one UTF-8 code point
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace posthorn::mime {

// Appends code point cp (at most U+10FFFF) to out as UTF-8.
void appendUtf8(std::string& out, char32_t cp);

// Decodes the well-formed UTF-8 sequence at s[i] into cp and returns its
// length; 0 when it is ill-formed (a bad lead or continuation byte,
// truncated, overlong, a surrogate, above U+10FFFF). i < s.size().
std::size_t decodeUtf8(std::string_view s, std::size_t i, char32_t& cp);

}  // namespace posthorn::mime
