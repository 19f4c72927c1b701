// imap_envelope - the ENVELOPE fetch item (RFC 3501 7.4.2) from a header block
#pragma once

#include <string>
#include <string_view>

namespace posthorn::imapd {

// "(date subject from sender reply-to to cc bcc in-reply-to message-id)"
// from a message's header block (CRLF or LF line ends). The first field of
// each name counts; missing fields are NIL; date, subject, in-reply-to and
// message-id are the unfolded raw values (encoded words left as written,
// leading white space dropped);
// an empty or missing Sender or Reply-To is the From list.
std::string imapEnvelope(std::string_view header);

}  // namespace posthorn::imapd
