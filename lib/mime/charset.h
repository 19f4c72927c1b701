// charset - converting text in a MIME charset to UTF-8 (to search or filter it)
#pragma once

#include <string>
#include <string_view>

namespace posthorn::mime {

// bytes in the named charset (case-insensitive) as UTF-8. utf-8, us-ascii,
// iso-8859-1 and windows-1252 are converted here; other charsets through
// iconv(3) when it knows them; bytes that cannot be converted, and unknown
// charsets, are passed through as they are.
std::string toUtf8(std::string_view bytes, std::string_view charset);

}  // namespace posthorn::mime
