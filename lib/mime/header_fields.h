// header_fields - split an RFC 5322 header block into fields (name, raw folded value)
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace posthorn::mime {

struct HeaderField {
  std::string_view name;   // as written, without the colon
  std::string_view value;  // raw, after the colon, folding kept, no final line end
  std::string_view line;   // the whole field: name, colon, value and its line end(s)
};

// Offset just past the blank line that ends the header starting at
// text[0] (CRLF or bare LF line ends), or text.size() when there is none.
std::size_t headerEnd(std::string_view text);

// The fields of a header block (may include the blank line). Lines that are
// not fields (no colon, a continuation with no field before it) are skipped.
std::vector<HeaderField> parseHeaderFields(std::string_view header);

// Calls f(field) for each field; f returns false to stop early.
template <typename F>
void forEachHeaderField(std::string_view header, F&& f);

// A raw value unfolded and trimmed of surrounding white space: each line
// break with the white space after it becomes one space (as Dovecot shows
// folded values); a bare CR or LF not followed by white space is dropped.
// trimEnd false keeps trailing white space (ENVELOPE shows it, as Dovecot).
std::string unfoldHeaderValue(std::string_view raw, bool trimEnd = true);

// First field with that name (case-insensitive), or nullptr.
const HeaderField* findHeaderField(const std::vector<HeaderField>& fields, std::string_view name);

// Case-insensitive ASCII compare.
bool headerNameEquals(std::string_view a, std::string_view b);

// ---- implementation of the template ----
namespace detail {
// Reads one field starting at pos; returns false at the end of the header.
bool nextHeaderField(std::string_view header, std::size_t& pos, HeaderField& field, bool& isField);
}  // namespace detail

template <typename F>
void forEachHeaderField(std::string_view header, F&& f) {
  std::size_t pos = 0;
  HeaderField field;
  bool isField = false;
  while (detail::nextHeaderField(header, pos, field, isField)) {
    if (isField && !f(field)) return;
  }
}

}  // namespace posthorn::mime
