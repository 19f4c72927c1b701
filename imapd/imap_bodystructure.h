// imap_bodystructure - the BODY and BODYSTRUCTURE fetch items (RFC 3501 7.4.2)
#pragma once

#include <string>
#include <string_view>

#include "lib/mime/mime_part.h"

namespace posthorn::imapd {

// The body structure of part (usually the root of mime::parseMimeTree(text)).
// extended: BODYSTRUCTURE (with extension data: MD5, disposition, language,
// location for single parts; parameters, disposition, language, location for
// multiparts); else BODY. Sizes are octets of text; text/* parts without a
// charset parameter get ("charset" "us-ascii") after their parameters
// (as Dovecot does).
std::string imapBodyStructure(std::string_view text, const mime::MimePart& part, bool extended);

}  // namespace posthorn::imapd
