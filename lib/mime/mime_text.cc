// mime_text - the readable text of a message: decoded header fields and text parts
#include "lib/mime/mime_text.h"

#include "lib/mime/charset.h"
#include "lib/mime/header_fields.h"
#include "lib/mime/rfc2047.h"
#include "lib/mime/transfer_decode.h"

namespace posthorn::mime {

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

std::string decodedHeaderText(std::string_view header) {
  std::string out;
  appendDecodedHeader(out, header);
  return out;
}

std::string decodedBodyText(std::string_view text, const MimePart& part) {
  std::string out;
  appendBodyText(out, text, part);
  return out;
}

}  // namespace posthorn::mime
