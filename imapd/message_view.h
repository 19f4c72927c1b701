// message_view - one message as IMAP sees it (CRLF line ends), parsed once, for FETCH and SEARCH
#pragma once

#include <ctime>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "lib/mime/mime_part.h"

namespace posthorn::imapd {

class MessageView {
 public:
  // bytes: the message as stored (LF or CRLF line ends, maybe a mix); it is
  // normalized to CRLF (bare LF -> CRLF, bare CR kept) so every offset and
  // size below is what IMAP clients see (RFC822.SIZE == text().size()).
  explicit MessageView(std::string bytes);
  ~MessageView();
  MessageView(MessageView&&) noexcept;
  MessageView& operator=(MessageView&&) noexcept;

  const std::string& text() const { return text_; }
  std::string_view header() const;  // top-level header including the blank line
  std::string_view body() const;    // after the blank line
  // Unfolded raw values of every field with this name (case-insensitive), in order.
  std::vector<std::string> headerValues(std::string_view name) const;
  // The same, decoded (RFC 2047 encoded-words to UTF-8), for SEARCH.
  std::vector<std::string> decodedHeaderValues(std::string_view name) const;
  // All header fields decoded, "Name: value" lines (CRLF after each), for SEARCH TEXT.
  std::string decodedHeaderText() const;
  // The text of the body's text/* parts, transfer-decoded (base64, QP) and
  // converted to UTF-8, for SEARCH BODY/TEXT; parts joined by CRLF. The
  // headers of encapsulated (message/rfc822) messages are included, decoded.
  std::string decodedBodyText() const;
  // The Date: header as time_t, nullopt when missing/unparseable.
  std::optional<std::time_t> sentDate() const;
  std::string envelope() const;                    // IMAP ENVELOPE, "(...)"
  std::string bodyStructure(bool extended) const;  // BODYSTRUCTURE (true) or BODY (false), "(...)"
  // The MIME structure, parsed on first use.
  const mime::MimePart& mimeTree() const;

  // bytes with bare LF turned into CRLF (bare CR kept); moves when nothing changes.
  static std::string normalizeLineEnds(std::string bytes);

 private:
  std::string text_;
  std::size_t headerEnd_ = 0;
  mutable std::unique_ptr<mime::MimePart> tree_;
};

}  // namespace posthorn::imapd
