// index_record - one line of the mailbox index files, checksummed
//
// A line is "<crc32c as 8 hex digits> <field> <field> ...\n"; the CRC
// covers everything between the space after it and the newline. Fields
// are percent-encoded so that any byte can be stored: '%', ',', space,
// control and non-ASCII bytes become %XX, and the empty string is "-"
// (a literal "-" is "%2D"). A line whose CRC does not match, or that has
// no newline, is not a record (a torn write).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace posthorn::mailbox {

std::string encodeField(std::string_view raw);
// nullopt for a malformed escape.
std::optional<std::string> decodeField(std::string_view encoded);

// The whole line, newline included.
std::string formatRecord(const std::vector<std::string>& fields);

// Splits text at the next record. Returns the fields and advances *consumed
// past the line; nullopt when the next line is incomplete or damaged
// (*consumed is left where the damage starts).
std::optional<std::vector<std::string>> parseRecord(std::string_view text, std::size_t* consumed);

}  // namespace posthorn::mailbox
