// mime_text - the readable text of a message: header fields with RFC 2047
// words decoded, text parts transfer-decoded and converted to UTF-8
#pragma once

#include <string>
#include <string_view>

#include "lib/mime/mime_part.h"

namespace posthorn::mime {

// Every field of a header block as "Name: value" lines (CRLF after each),
// the values unfolded and decoded (RFC 2047) to UTF-8.
std::string decodedHeaderText(std::string_view header);

// The text of the text/* parts under part (parsed from text), each
// transfer-decoded (base64, QP) and converted to UTF-8, parts joined by
// CRLF. The headers of encapsulated (message/rfc822) messages are
// included, decoded; other parts are left out.
std::string decodedBodyText(std::string_view text, const MimePart& part);

}  // namespace posthorn::mime
