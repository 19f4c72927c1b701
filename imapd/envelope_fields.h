// envelope_fields - SEARCH FROM/TO/CC/BCC/SUBJECT from a cached ENVELOPE
//
// After the first FETCH ENVELOPE the index holds every message's envelope,
// so the common header searches need not open 20,000 files: the fields
// are read back from it, decoded (RFC 2047) as a header search would see
// them, addresses as "Name <mailbox@host>" joined by ", ".
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace posthorn::imapd {

struct EnvelopeFields {
  std::optional<std::string> subject;  // nullopt: no such field (NIL)
  std::optional<std::string> from, to, cc, bcc;
  // The field for a SEARCH header name (FROM, TO, CC, BCC, SUBJECT, any
  // case); nullptr when the envelope does not carry that field.
  const std::optional<std::string>* field(std::string_view headerName) const;
};

// nullopt for anything that is not an envelope as imapEnvelope() writes it.
std::optional<EnvelopeFields> parseEnvelopeFields(std::string_view envelope);

}  // namespace posthorn::imapd
