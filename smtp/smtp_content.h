// smtp_content - the message as it goes out after DATA
//
// The queue holds LF-terminated lines (lib/proto/proto_cleanup.h). On the wire
// each line ends in CRLF, a line starting with "." gets another "."
// (RFC 5321 4.5.2), and ".\r\n" ends the data:
//
//   DataEncoder enc;
//   std::string wire;
//   enc.feed(chunk, &wire);  ...  enc.finish(&wire);
//
// For a peer without 8BITMIME, 8-bit content is converted to
// quoted-printable (RFC 6152 says the client must convert or bounce):
// every leaf MIME part with 8-bit bytes is encoded, multiparts are walked.
// What cannot be converted (an 8-bit message/* part, a multipart without
// a boundary) returns nullopt: the caller bounces with 5.6.3.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "lib/queue/queue_envelope.h"

namespace posthorn::smtp {

class DataEncoder {
 public:
  void feed(std::string_view chunk, std::string* out);
  void finish(std::string* out);

 private:
  bool atLineStart_ = true;
};

// Any byte >= 0x80.
bool hasEightBit(std::string_view data);

// The message needs SMTPUTF8 (the envelope says so and an address or a
// header has non-ASCII bytes).
bool needsSmtpUtf8(const queue::Envelope& envelope, std::string_view headers);

// The header section of LF content (up to and including the empty line).
std::string_view headerSection(std::string_view content);

// Quoted-printable (RFC 2045 6.7) of LF lines, LF lines out, at most 76
// characters each.
std::string encodeQuotedPrintable(std::string_view body);

// The whole message with every 8-bit leaf part in quoted-printable;
// nullopt with *why when it cannot be done.
std::optional<std::string> convertTo7Bit(std::string_view content, std::string* why);

}  // namespace posthorn::smtp
