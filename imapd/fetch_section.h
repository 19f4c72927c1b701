// fetch_section - BODY[section]<partial> of FETCH: parsing the section and cutting its bytes
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "imapd/imap_command.h"
#include "imapd/message_view.h"

namespace posthorn::imapd {

struct FetchSection {
  std::vector<std::uint32_t> part;  // "1.2" -> {1,2}; empty = the whole message
  enum class Kind { Whole, Header, HeaderFields, HeaderFieldsNot, Text, Mime } kind = Kind::Whole;
  std::vector<std::string> fields;  // for HEADER.FIELDS[.NOT], as the client wrote them
  std::optional<std::uint64_t> partialStart;  // <start.length>
  std::optional<std::uint64_t> partialLength;
  bool peek = false;  // BODY.PEEK: does not set \Seen
  // What the FETCH response names it: "BODY[1.HEADER.FIELDS (FROM TO)]<0>"
  // (field names upper-cased; the partial shows only its start).
  std::string responseName() const;
};

// From a fetch attribute the parser gave: the atom BODY or BODY.PEEK
// (any case) with hasSection, items = the section's tokens and partial
// "start.length". nullopt and *error (when error is not null) for an invalid
// section: another attribute name, an unknown section text, HEADER.FIELDS
// without a non-empty list of field names, extra tokens, MIME without a part
// number, part number 0 or above 2^32-1, a partial without ".length", a zero
// length or numbers that do not fit.
std::optional<FetchSection> parseFetchSection(const ImapValue& attribute, std::string* error);

// The bytes of that section (RFC 3501 6.4.5): a nonexistent part gives "";
// the partial applied; HEADER.FIELDS[.NOT] keeps the blank line at the end;
// HEADER and TEXT of a part need a message/rfc822 part (else "");
// part N of a message/rfc822 part refers to the encapsulated message's
// parts; a non-multipart message's part 1 is its body.
std::string fetchSection(const MessageView& message, const FetchSection& section);
// The same without a copy: a view into the message (or into `storage`
// for HEADER.FIELDS[.NOT]), valid while both live. FETCH writes it out.
std::string_view fetchSection(const MessageView& message, const FetchSection& section, std::string& storage);

}  // namespace posthorn::imapd
