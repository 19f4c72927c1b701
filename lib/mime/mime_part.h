// mime_part - the MIME structure of a message: part boundaries as offsets into its text
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "lib/mime/mime_params.h"

namespace posthorn::mime {

struct MimePart {
  // Offsets into the message text: header [headerStart, bodyStart) including
  // its blank line, body [bodyStart, end).
  std::size_t headerStart = 0;
  std::size_t bodyStart = 0;
  std::size_t end = 0;
  // From Content-Type, as written; the default (text/plain, or
  // message/rfc822 in a multipart/digest) when it is missing or unusable.
  std::string type;
  std::string subtype;
  MimeParams params;
  // Multipart: its parts (at least one). message/rfc822: one child, the
  // encapsulated message (an entity with its own header).
  std::vector<MimePart> children;
  // Nested too deep to be parsed: served as application/octet-stream.
  bool opaque = false;

  bool isMultipart() const;
  bool isMessage() const;  // message/rfc822 with its encapsulated message parsed
  bool isText() const;     // text/*
  std::string_view header(std::string_view text) const {
    return text.substr(headerStart, bodyStart - headerStart);
  }
  std::string_view body(std::string_view text) const { return text.substr(bodyStart, end - bodyStart); }
};

// Multipart and message/rfc822 nesting deeper than this is not parsed.
constexpr std::size_t kMaxMimeDepth = 100;

// The structure of a whole message (CRLF or LF line ends).
// Malformed MIME gives something usable: a multipart without a boundary
// parameter or without any delimiter line has one empty text/plain part; a
// missing close delimiter ends the last part at the end of its parent.
MimePart parseMimeTree(std::string_view text);

}  // namespace posthorn::mime
