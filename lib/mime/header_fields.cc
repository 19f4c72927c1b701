// header_fields - split an RFC 5322 header block into fields
#include "lib/mime/header_fields.h"

namespace posthorn::mime {

namespace {

// End of the line starting at pos (index just past its LF, or size).
std::size_t lineEnd(std::string_view s, std::size_t pos) {
  const std::size_t lf = s.find('\n', pos);
  return lf == std::string_view::npos ? s.size() : lf + 1;
}

bool isBlankLine(std::string_view s, std::size_t pos) {
  return (pos < s.size() && s[pos] == '\n') || (pos + 1 < s.size() && s[pos] == '\r' && s[pos + 1] == '\n');
}

bool isWsp(char c) { return c == ' ' || c == '\t'; }

}  // namespace

bool headerNameEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x + 32);
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y + 32);
    if (x != y) return false;
  }
  return true;
}

std::size_t headerEnd(std::string_view text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    if (isBlankLine(text, pos)) return lineEnd(text, pos);
    pos = lineEnd(text, pos);
  }
  return text.size();
}

namespace detail {

bool nextHeaderField(std::string_view h, std::size_t& pos, HeaderField& field, bool& isField) {
  if (pos >= h.size() || isBlankLine(h, pos)) return false;
  const std::size_t start = pos;
  std::size_t end = lineEnd(h, pos);
  // Continuation lines belong to this field.
  while (end < h.size() && isWsp(h[end])) end = lineEnd(h, end);
  pos = end;
  isField = false;
  if (isWsp(h[start])) return true;  // continuation with no field before it
  const std::string_view line = h.substr(start, end - start);
  const std::size_t colon = line.find(':');
  const std::size_t firstEol = line.find_first_of("\r\n");
  if (colon == std::string_view::npos || colon == 0 || (firstEol != std::string_view::npos && colon > firstEol))
    return true;
  std::size_t nameEnd = colon;
  while (nameEnd > 0 && isWsp(line[nameEnd - 1])) --nameEnd;  // "Subject : x" is tolerated
  if (nameEnd == 0) return true;
  std::size_t valueEnd = line.size();
  if (valueEnd > 0 && line[valueEnd - 1] == '\n') --valueEnd;
  if (valueEnd > colon + 1 && line[valueEnd - 1] == '\r') --valueEnd;
  field.name = line.substr(0, nameEnd);
  field.value = line.substr(colon + 1, valueEnd - colon - 1);
  field.line = line;
  isField = true;
  return true;
}

}  // namespace detail

std::vector<HeaderField> parseHeaderFields(std::string_view header) {
  std::vector<HeaderField> out;
  forEachHeaderField(header, [&](const HeaderField& f) {
    out.push_back(f);
    return true;
  });
  return out;
}

std::string unfoldHeaderValue(std::string_view raw, bool trimEnd) {
  std::string out;
  out.reserve(raw.size());
  std::size_t i = 0;
  while (i < raw.size()) {
    const char c = raw[i];
    if (c == '\r' || c == '\n') {
      // A line break and the white space after it read as one space.
      std::size_t j = i;
      while (j < raw.size() && (raw[j] == '\r' || raw[j] == '\n')) ++j;
      const std::size_t k = j;
      while (j < raw.size() && isWsp(raw[j])) ++j;
      if (j > k) out += ' ';
      i = j;
      continue;
    }
    out += c;
    ++i;
  }
  std::size_t b = 0, e = out.size();
  while (b < e && isWsp(out[b])) ++b;
  while (trimEnd && e > b && isWsp(out[e - 1])) --e;
  return out.substr(b, e - b);
}

const HeaderField* findHeaderField(const std::vector<HeaderField>& fields, std::string_view name) {
  for (const HeaderField& f : fields)
    if (headerNameEquals(f.name, name)) return &f;
  return nullptr;
}

}  // namespace posthorn::mime
