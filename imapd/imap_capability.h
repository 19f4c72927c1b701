// imap_capability - what imapd announces before and after login
#pragma once

#include <string>
#include <vector>

namespace posthorn::imapd {

// Before login: IMAP4rev1 and the extensions, STARTTLS when it can be
// started, AUTH= for each mechanism offered, or LOGINDISABLED.
std::string preLoginCapability(bool tlsActive, bool tlsAvailable, bool plaintextAllowed,
                               const std::vector<std::string>& mechanisms);
// After login (also the CAPABILITY response code of the tagged OK).
std::string postLoginCapability();

}  // namespace posthorn::imapd
