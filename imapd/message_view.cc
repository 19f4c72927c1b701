// message_view - one message as IMAP sees it (CRLF line ends), parsed once, for FETCH and SEARCH
#include "imapd/message_view.h"

#include "imapd/charset.h"
#include "imapd/header_fields.h"
#include "imapd/imap_bodystructure.h"
#include "imapd/imap_envelope.h"
#include "imapd/rfc2047.h"
#include "imapd/imap_date.h"
#include "imapd/transfer_decode.h"

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
  headerEnd_ = headerEnd(text_);
}

MessageView::~MessageView() = default;
MessageView::MessageView(MessageView&&) noexcept = default;
MessageView& MessageView::operator=(MessageView&&) noexcept = default;

std::string_view MessageView::header() const { return std::string_view(text_).substr(0, headerEnd_); }

std::string_view MessageView::body() const { return std::string_view(text_).substr(headerEnd_); }

std::vector<std::string> MessageView::headerValues(std::string_view name) const {
  std::vector<std::string> out;
  forEachHeaderField(header(), [&](const HeaderField& f) {
    if (headerNameEquals(f.name, name)) out.push_back(unfoldHeaderValue(f.value));
    return true;
  });
  return out;
}

std::vector<std::string> MessageView::decodedHeaderValues(std::string_view name) const {
  std::vector<std::string> out = headerValues(name);
  for (std::string& v : out) v = decodeRfc2047(v);
  return out;
}

namespace {

void appendDecodedHeader(std::string& out, std::string_view header) {
  forEachHeaderField(header, [&](const HeaderField& f) {
    out.append(f.name);
    out += ": ";
    out += decodeRfc2047(unfoldHeaderValue(f.value));
    out += "\r\n";
    return true;
  });
}

void appendBodyText(std::string& out, std::string_view text, const MimePart& p) {
  if (p.isMultipart()) {
    for (const MimePart& c : p.children) appendBodyText(out, text, c);
  } else if (p.isMessage()) {
    const MimePart& inner = p.children.front();
    appendDecodedHeader(out, inner.header(text));
    appendBodyText(out, text, inner);
  } else if (p.isText()) {
    std::string encoding;
    forEachHeaderField(p.header(text), [&](const HeaderField& f) {
      if (!headerNameEquals(f.name, "content-transfer-encoding")) return true;
      encoding = unfoldHeaderValue(f.value);
      return false;
    });
    const std::string raw = decodeTransferEncoding(p.body(text), encoding);
    out += toUtf8(raw, findMimeParam(p.params, "charset").value_or(""));
    if (!out.empty() && out.back() != '\n') out += "\r\n";
  }
}

}  // namespace

std::string MessageView::decodedHeaderText() const {
  std::string out;
  appendDecodedHeader(out, header());
  return out;
}

std::string MessageView::decodedBodyText() const {
  std::string out;
  appendBodyText(out, text_, mimeTree());
  return out;
}

std::optional<std::time_t> MessageView::sentDate() const {
  std::optional<std::time_t> date;
  forEachHeaderField(header(), [&](const HeaderField& f) {
    if (!headerNameEquals(f.name, "date")) return true;
    if (const auto d = parseMessageDate(unfoldHeaderValue(f.value))) date = d->time;
    return false;
  });
  return date;
}

std::string MessageView::envelope() const { return imapEnvelope(header()); }

std::string MessageView::bodyStructure(bool extended) const {
  return imapBodyStructure(text_, mimeTree(), extended);
}

const MimePart& MessageView::mimeTree() const {
  if (!tree_) tree_ = std::make_unique<MimePart>(parseMimeTree(text_));
  return *tree_;
}

}  // namespace posthorn::imapd
