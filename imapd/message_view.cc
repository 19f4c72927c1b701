// message_view - one message as IMAP sees it (CRLF line ends), parsed once, for FETCH and SEARCH
#include "imapd/message_view.h"

#include "imapd/imap_bodystructure.h"
#include "imapd/imap_date.h"
#include "imapd/imap_envelope.h"
#include "lib/mime/header_fields.h"
#include "lib/mime/mime_text.h"
#include "lib/mime/rfc2047.h"

namespace posthorn::imapd {

std::string MessageView::normalizeLineEnds(std::string bytes) {
  const std::string_view in(bytes);
  std::size_t bare = 0;
  for (std::size_t lf = in.find('\n'); lf != std::string_view::npos; lf = in.find('\n', lf + 1))
    if (lf == 0 || in[lf - 1] != '\r') ++bare;
  if (bare == 0) return bytes;
  std::string out;
  out.reserve(in.size() + bare);
  std::size_t from = 0;
  for (std::size_t lf = in.find('\n'); lf != std::string_view::npos; lf = in.find('\n', lf + 1)) {
    if (lf > 0 && in[lf - 1] == '\r') continue;
    out.append(in.substr(from, lf - from));
    out += "\r\n";
    from = lf + 1;
  }
  out.append(in.substr(from));
  return out;
}

MessageView::MessageView(std::string bytes) : text_(normalizeLineEnds(std::move(bytes))) {
  headerEnd_ = mime::headerEnd(text_);
}

MessageView::~MessageView() = default;
MessageView::MessageView(MessageView&&) noexcept = default;
MessageView& MessageView::operator=(MessageView&&) noexcept = default;

std::string_view MessageView::header() const { return std::string_view(text_).substr(0, headerEnd_); }

std::string_view MessageView::body() const { return std::string_view(text_).substr(headerEnd_); }

std::vector<std::string> MessageView::headerValues(std::string_view name) const {
  std::vector<std::string> out;
  mime::forEachHeaderField(header(), [&](const mime::HeaderField& f) {
    if (mime::headerNameEquals(f.name, name)) out.push_back(mime::unfoldHeaderValue(f.value));
    return true;
  });
  return out;
}

std::vector<std::string> MessageView::decodedHeaderValues(std::string_view name) const {
  std::vector<std::string> out = headerValues(name);
  for (std::string& v : out) v = mime::decodeRfc2047(v);
  return out;
}

std::string MessageView::decodedHeaderText() const { return mime::decodedHeaderText(header()); }

std::string MessageView::decodedBodyText() const { return mime::decodedBodyText(text_, mimeTree()); }

std::optional<std::time_t> MessageView::sentDate() const {
  std::optional<std::time_t> date;
  mime::forEachHeaderField(header(), [&](const mime::HeaderField& f) {
    if (!mime::headerNameEquals(f.name, "date")) return true;
    if (const auto d = parseMessageDate(mime::unfoldHeaderValue(f.value))) date = d->time;
    return false;
  });
  return date;
}

std::string MessageView::envelope() const { return imapEnvelope(header()); }

std::string MessageView::bodyStructure(bool extended) const {
  return imapBodyStructure(text_, mimeTree(), extended);
}

const mime::MimePart& MessageView::mimeTree() const {
  if (!tree_) tree_ = std::make_unique<mime::MimePart>(mime::parseMimeTree(text_));
  return *tree_;
}

}  // namespace posthorn::imapd
