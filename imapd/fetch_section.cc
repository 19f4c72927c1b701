// fetch_section - BODY[section]<partial> of FETCH: parsing the section and cutting its bytes
#include "imapd/fetch_section.h"

#include <algorithm>

#include "imapd/imap_string.h"
#include "lib/mime/header_fields.h"

namespace posthorn::imapd {

namespace {

void setError(std::string* error, std::string message) {
  if (error) *error = std::move(message);
}

bool parseNumber(std::string_view s, std::uint64_t max, std::uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (max - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
  return out;
}

std::string_view kindName(FetchSection::Kind k) {
  switch (k) {
    case FetchSection::Kind::Whole: return "";
    case FetchSection::Kind::Header: return "HEADER";
    case FetchSection::Kind::HeaderFields: return "HEADER.FIELDS";
    case FetchSection::Kind::HeaderFieldsNot: return "HEADER.FIELDS.NOT";
    case FetchSection::Kind::Text: return "TEXT";
    case FetchSection::Kind::Mime: return "MIME";
  }
  return "";
}

}  // namespace

std::string FetchSection::responseName() const {
  std::string out = "BODY[";
  for (std::size_t i = 0; i < part.size(); ++i) {
    if (i > 0) out += '.';
    out += std::to_string(part[i]);
  }
  if (kind != Kind::Whole) {
    if (!part.empty()) out += '.';
    out += kindName(kind);
  }
  if (kind == Kind::HeaderFields || kind == Kind::HeaderFieldsNot) {
    out += " (";
    for (std::size_t i = 0; i < fields.size(); ++i) {
      if (i > 0) out += ' ';
      out += imapAString(upper(fields[i]));
    }
    out += ')';
  }
  out += ']';
  if (partialStart) {
    out += '<';
    out += std::to_string(*partialStart);
    out += '>';
  }
  return out;
}

std::optional<FetchSection> parseFetchSection(const ImapValue& attribute, std::string* error) {
  FetchSection s;
  if (attribute.kind != ImapValue::Kind::Atom || !attribute.hasSection) {
    setError(error, "not a BODY[section] attribute");
    return std::nullopt;
  }
  if (equalsIgnoreCase(attribute.text, "BODY.PEEK")) {
    s.peek = true;
  } else if (!equalsIgnoreCase(attribute.text, "BODY")) {
    setError(error, "unknown fetch attribute " + attribute.text + "[]");
    return std::nullopt;
  }
  const std::vector<ImapValue>& items = attribute.items;
  if (!items.empty()) {
    if (items[0].kind != ImapValue::Kind::Atom || items[0].hasSection) {
      setError(error, "bad section");
      return std::nullopt;
    }
    std::string_view spec = items[0].text;
    // Leading part numbers "1.2." ...
    while (!spec.empty() && spec[0] >= '0' && spec[0] <= '9') {
      const std::size_t dot = spec.find('.');
      const std::string_view num = spec.substr(0, dot);
      std::uint64_t n = 0;
      if (!parseNumber(num, 0xffffffffu, n) || n == 0) {
        setError(error, "bad section part number " + std::string(num));
        return std::nullopt;
      }
      s.part.push_back(static_cast<std::uint32_t>(n));
      if (dot == std::string_view::npos) {
        spec = {};
        break;
      }
      spec.remove_prefix(dot + 1);
      if (spec.empty()) {
        setError(error, "bad section: trailing '.'");
        return std::nullopt;
      }
    }
    if (spec.empty()) s.kind = FetchSection::Kind::Whole;
    else if (equalsIgnoreCase(spec, "HEADER")) s.kind = FetchSection::Kind::Header;
    else if (equalsIgnoreCase(spec, "HEADER.FIELDS")) s.kind = FetchSection::Kind::HeaderFields;
    else if (equalsIgnoreCase(spec, "HEADER.FIELDS.NOT")) s.kind = FetchSection::Kind::HeaderFieldsNot;
    else if (equalsIgnoreCase(spec, "TEXT")) s.kind = FetchSection::Kind::Text;
    else if (equalsIgnoreCase(spec, "MIME")) s.kind = FetchSection::Kind::Mime;
    else {
      setError(error, "unknown section " + std::string(spec));
      return std::nullopt;
    }
    const bool wantsList = s.kind == FetchSection::Kind::HeaderFields || s.kind == FetchSection::Kind::HeaderFieldsNot;
    if (wantsList) {
      if (items.size() != 2 || items[1].kind != ImapValue::Kind::List || items[1].items.empty()) {
        setError(error, "HEADER.FIELDS needs a list of field names");
        return std::nullopt;
      }
      for (const ImapValue& f : items[1].items) {
        if (!f.isString() || f.text.empty() || f.hasSection) {
          setError(error, "bad header field name in HEADER.FIELDS");
          return std::nullopt;
        }
        for (unsigned char c : f.text)
          if (c <= ' ' || c >= 0x7f || c == ':') {
            setError(error, "bad header field name in HEADER.FIELDS");
            return std::nullopt;
          }
        s.fields.push_back(f.text);
      }
    } else if (items.size() != 1) {
      setError(error, "bad section: unexpected tokens after " + items[0].text);
      return std::nullopt;
    }
    if (s.kind == FetchSection::Kind::Mime && s.part.empty()) {
      setError(error, "MIME needs a part number");
      return std::nullopt;
    }
  }
  if (attribute.partial) {
    const std::string_view p = *attribute.partial;
    const std::size_t dot = p.find('.');
    std::uint64_t start = 0, length = 0;
    if (dot == std::string_view::npos || !parseNumber(p.substr(0, dot), UINT32_MAX, start) ||
        !parseNumber(p.substr(dot + 1), UINT32_MAX, length) || length == 0) {
      setError(error, "bad partial <" + std::string(p) + ">");
      return std::nullopt;
    }
    s.partialStart = start;
    s.partialLength = length;
  }
  return s;
}

namespace {

// The part a part-number path names. For a message entity (the root or an
// encapsulated message) that is not multipart, part 1 is the entity itself;
// like Dovecot, a single part inside a multipart also answers to ".1" once
// ("1.1" is part 1 when part 1 is text/plain; "1.1.1" does not exist).
const mime::MimePart* resolve(const mime::MimePart& root, const std::vector<std::uint32_t>& path) {
  const mime::MimePart* cur = &root;
  bool entity = true;
  bool selfUsed = false;
  for (const std::uint32_t n : path) {
    // Into the encapsulated message of a message/rfc822 part.
    if (!entity && cur->isMessage()) {
      cur = &cur->children.front();
      entity = true;
      selfUsed = false;
    }
    if (cur->isMultipart()) {
      if (n > cur->children.size()) return nullptr;
      cur = &cur->children[n - 1];
      entity = false;
      selfUsed = false;
    } else if (n == 1 && (entity || !selfUsed)) {
      entity = false;
      selfUsed = true;
    } else {
      return nullptr;
    }
  }
  return cur;
}

std::string headerFields(std::string_view header, const std::vector<std::string>& names, bool exclude) {
  std::string out;
  mime::forEachHeaderField(header, [&](const mime::HeaderField& f) {
    bool listed = false;
    for (const std::string& n : names)
      if (mime::headerNameEquals(f.name, n)) {
        listed = true;
        break;
      }
    if (listed != exclude) {
      out.append(f.line);
      if (out.back() != '\n') out += "\r\n";
    }
    return true;
  });
  out += "\r\n";
  return out;
}

// The section's bytes: a view into the message, or into `built` for the
// header fields, which are picked out one by one.
std::string_view content(const MessageView& m, const FetchSection& s, std::string& built) {
  const std::string_view text = m.text();
  if (s.part.empty()) {
    switch (s.kind) {
      case FetchSection::Kind::Whole: return m.text();
      case FetchSection::Kind::Header: return m.header();
      case FetchSection::Kind::Text: return m.body();
      case FetchSection::Kind::HeaderFields: return built = headerFields(m.header(), s.fields, false);
      case FetchSection::Kind::HeaderFieldsNot: return built = headerFields(m.header(), s.fields, true);
      case FetchSection::Kind::Mime: return {};
    }
    return {};
  }
  const mime::MimePart* p = resolve(m.mimeTree(), s.part);
  if (!p) return {};
  switch (s.kind) {
    case FetchSection::Kind::Whole: return p->body(text);
    case FetchSection::Kind::Mime: return p->header(text);
    default: break;
  }
  if (!p->isMessage()) return {};
  const mime::MimePart& inner = p->children.front();
  switch (s.kind) {
    case FetchSection::Kind::Header: return inner.header(text);
    case FetchSection::Kind::Text: return inner.body(text);
    case FetchSection::Kind::HeaderFields: return built = headerFields(inner.header(text), s.fields, false);
    case FetchSection::Kind::HeaderFieldsNot: return built = headerFields(inner.header(text), s.fields, true);
    default: return {};
  }
}

}  // namespace

std::string_view fetchSection(const MessageView& message, const FetchSection& section, std::string& storage) {
  const std::string_view bytes = content(message, section, storage);
  if (!section.partialStart) return bytes;
  const std::uint64_t start = *section.partialStart;
  if (start >= bytes.size()) return {};
  const std::uint64_t length = section.partialLength.value_or(bytes.size());
  return bytes.substr(static_cast<std::size_t>(start),
                      static_cast<std::size_t>(std::min<std::uint64_t>(length, bytes.size() - start)));
}

std::string fetchSection(const MessageView& message, const FetchSection& section) {
  std::string storage;
  return std::string(fetchSection(message, section, storage));
}

}  // namespace posthorn::imapd
