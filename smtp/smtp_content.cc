// smtp_content - CRLF and dot-stuffing, 8-bit detection, quoted-printable
#include "smtp/smtp_content.h"

#include <vector>

#include "lib/util/ascii.h"
#include "lib/util/logical_lines.h"

namespace posthorn::smtp {

namespace {

// Unfolded header fields of a header section: (lower-case name, value).
std::vector<std::pair<std::string, std::string>> parseHeaders(std::string_view headers) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t pos = 0;
  while (pos < headers.size()) {
    const std::string_view line = util::withoutLf(util::takeLine(headers, pos));
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !out.empty()) {
      out.back().second += " ";
      out.back().second += std::string(line);
      continue;
    }
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
    out.emplace_back(util::lower(line.substr(0, colon)), std::string(value));
  }
  return out;
}

std::string headerValue(std::string_view headers, std::string_view name) {
  for (auto& [n, v] : parseHeaders(headers))
    if (n == name) return v;
  return "";
}

// A parameter of a Content-Type value (boundary="..."), case-insensitive name.
std::string parameter(const std::string& value, std::string_view name) {
  const std::string low = util::lower(value);
  std::size_t at = 0;
  while ((at = low.find(name, at)) != std::string::npos) {
    const bool startOk = at > 0 && (low[at - 1] == ';' || low[at - 1] == ' ' || low[at - 1] == '\t');
    std::size_t p = at + name.size();
    while (p < low.size() && low[p] == ' ') ++p;
    if (startOk && p < low.size() && low[p] == '=') {
      ++p;
      while (p < value.size() && value[p] == ' ') ++p;
      if (p < value.size() && value[p] == '"') {
        const auto end = value.find('"', p + 1);
        return value.substr(p + 1, end == std::string::npos ? std::string::npos : end - p - 1);
      }
      std::size_t end = p;
      while (end < value.size() && value[end] != ';' && value[end] != ' ' && value[end] != '\t') ++end;
      return value.substr(p, end - p);
    }
    at += name.size();
  }
  return "";
}

// Replaces (or adds) Content-Transfer-Encoding in a header section (which
// ends with its empty line, or not at all for a part without one).
std::string withEncoding(std::string_view headers, std::string_view encoding, bool addMimeVersion) {
  std::string out;
  bool sawMimeVersion = false;
  bool skipping = false;
  std::size_t pos = 0;
  while (pos < headers.size()) {
    const std::string_view line = util::takeLine(headers, pos);
    if (line == "\n") break;
    if (line[0] == ' ' || line[0] == '\t') {
      if (!skipping) out += line;
      continue;
    }
    const std::string name = util::lower(line.substr(0, line.find(':')));
    skipping = name == "content-transfer-encoding";
    if (name == "mime-version") sawMimeVersion = true;
    if (!skipping) out += line;
  }
  if (addMimeVersion && !sawMimeVersion) out += "MIME-Version: 1.0\n";
  out += "Content-Transfer-Encoding: ";
  out += encoding;
  out += "\n\n";
  return out;
}

bool convertEntity(std::string_view entity, bool top, std::string* out, std::string* why, int depth) {
  if (depth > 20) {
    *why = "MIME nesting too deep";
    return false;
  }
  std::string_view headers = headerSection(entity);
  std::string_view body = entity.substr(headers.size());
  if (!hasEightBit(entity)) {
    *out += entity;
    return true;
  }
  const std::string type = util::lower(headerValue(headers, "content-type"));
  if (type.rfind("multipart/", 0) == 0) {
    const std::string boundary = parameter(headerValue(headers, "content-type"), "boundary");
    if (boundary.empty()) {
      *why = "multipart without a boundary";
      return false;
    }
    *out += headers;
    const std::string delim = "--" + boundary;
    // Split the body at delimiter lines; convert each part.
    std::size_t lineEnd = 0, partStart = std::string::npos;
    bool closed = false;
    while (lineEnd < body.size()) {
      const std::size_t lineStart = lineEnd;
      const std::string_view line = util::takeLine(body, lineEnd);
      std::string_view bare = line;
      while (!bare.empty() && (bare.back() == '\n' || bare.back() == ' ' || bare.back() == '\t')) bare.remove_suffix(1);
      const bool isDelim = !closed && bare.rfind(delim, 0) == 0 &&
                           (bare.size() == delim.size() || bare.substr(delim.size()) == "--");
      if (isDelim) {
        std::string_view segment = body.substr(partStart == std::string::npos ? 0 : partStart,
                                               lineStart - (partStart == std::string::npos ? 0 : partStart));
        if (partStart == std::string::npos) {
          if (hasEightBit(segment)) {
            *why = "8-bit text outside the MIME parts";
            return false;
          }
          *out += segment;
        } else if (!convertEntity(segment, false, out, why, depth + 1)) {
          return false;
        }
        *out += line;
        partStart = lineEnd;
        if (bare.size() > delim.size()) closed = true;
        if (closed) {
          std::string_view epilogue = body.substr(lineEnd);
          if (hasEightBit(epilogue)) {
            *why = "8-bit text outside the MIME parts";
            return false;
          }
          *out += epilogue;
          return true;
        }
      }
    }
    *why = "multipart without its closing delimiter";
    return false;
  }
  if (type.rfind("message/", 0) == 0) {
    *why = "8-bit content in a message/* part";
    return false;
  }
  if (hasEightBit(headers)) {
    *why = "8-bit bytes in MIME part headers";
    return false;
  }
  const std::string cte = util::lower(headerValue(headers, "content-transfer-encoding"));
  if (cte == "base64" || cte == "quoted-printable") {
    *why = "8-bit bytes in " + cte + " content";
    return false;
  }
  *out += withEncoding(headers, "quoted-printable", top);
  *out += encodeQuotedPrintable(body);
  return true;
}

}  // namespace

void DataEncoder::feed(std::string_view chunk, std::string* out) {
  out->reserve(out->size() + chunk.size() + chunk.size() / 32);
  for (char c : chunk) {
    if (atLineStart_ && c == '.') *out += '.';
    if (c == '\n') {
      *out += "\r\n";
      atLineStart_ = true;
    } else {
      *out += c;
      atLineStart_ = false;
    }
  }
}

void DataEncoder::finish(std::string* out) {
  if (!atLineStart_) *out += "\r\n";
  *out += ".\r\n";
  atLineStart_ = true;
}

bool hasEightBit(std::string_view data) {
  for (char c : data)
    if (static_cast<unsigned char>(c) >= 0x80) return true;
  return false;
}

bool needsSmtpUtf8(const queue::Envelope& envelope, std::string_view headers) {
  if (!envelope.smtputf8) return false;
  if (hasEightBit(envelope.sender) || hasEightBit(headers)) return true;
  for (const auto& r : envelope.recipients)
    if (hasEightBit(r.address)) return true;
  return false;
}

std::string_view headerSection(std::string_view content) {
  if (content.rfind("\n", 0) == 0) return content.substr(0, 1);
  const auto end = content.find("\n\n");
  return end == std::string_view::npos ? content : content.substr(0, end + 2);
}

std::string encodeQuotedPrintable(std::string_view body) {
  static const char hex[] = "0123456789ABCDEF";
  std::string out;
  std::size_t pos = 0;
  while (pos < body.size()) {
    const std::string_view whole = util::takeLine(body, pos);
    const std::string_view line = util::withoutLf(whole);
    const bool hasNl = line.size() != whole.size();
    std::size_t col = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
      const auto c = static_cast<unsigned char>(line[i]);
      const bool last = i + 1 == line.size();
      std::string piece;
      if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
        piece = static_cast<char>(c);
      } else {
        piece = {'=', hex[c >> 4], hex[c & 15]};
      }
      if (col + piece.size() > 75) {
        out += "=\n";
        col = 0;
      }
      out += piece;
      col += piece.size();
    }
    if (hasNl) out += '\n';
  }
  return out;
}

std::optional<std::string> convertTo7Bit(std::string_view content, std::string* why) {
  std::string out;
  if (!convertEntity(content, true, &out, why, 0)) return std::nullopt;
  return out;
}

}  // namespace posthorn::smtp
