// imap_capability - the CAPABILITY lists (RFC 3501 7.2.1 and each extension's RFC)
#include "imapd/imap_capability.h"

namespace posthorn::imapd {
namespace {

// Announced in both states: what a client may use right away.
constexpr const char* kCommon = "IMAP4rev1 SASL-IR LITERAL+ ID ENABLE IDLE";

}  // namespace

std::string preLoginCapability(bool tlsActive, bool tlsAvailable, bool plaintextAllowed,
                               const std::vector<std::string>& mechanisms) {
  std::string caps = kCommon;
  if (!tlsActive && tlsAvailable) caps += " STARTTLS";
  for (const auto& m : mechanisms) caps += " AUTH=" + m;
  if (!plaintextAllowed) caps += " LOGINDISABLED";
  return caps;
}

std::string postLoginCapability() {
  return std::string(kCommon) + " NAMESPACE UIDPLUS MOVE UNSELECT SPECIAL-USE CHILDREN ESEARCH";
}

}  // namespace posthorn::imapd
