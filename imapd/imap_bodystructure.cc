// imap_bodystructure - the BODY and BODYSTRUCTURE fetch items (RFC 3501 7.4.2)
#include "imapd/imap_bodystructure.h"

#include <optional>

#include "imapd/imap_envelope.h"
#include "imapd/imap_string.h"
#include "lib/mime/header_fields.h"
#include "lib/mime/mime_params.h"

namespace posthorn::imapd {

namespace {

// The MIME header fields of one part that BODYSTRUCTURE reports (raw values).
struct PartFields {
  std::optional<std::string_view> id, description, encoding, md5, disposition, language, location;
};

PartFields partFields(std::string_view header) {
  PartFields pf;
  mime::forEachHeaderField(header, [&](const mime::HeaderField& f) {
    if (f.name.size() < 10 || !mime::headerNameEquals(f.name.substr(0, 8), "content-")) return true;
    const std::string_view rest = f.name.substr(8);
    std::optional<std::string_view>* slot = nullptr;
    if (mime::headerNameEquals(rest, "id")) slot = &pf.id;
    else if (mime::headerNameEquals(rest, "description")) slot = &pf.description;
    else if (mime::headerNameEquals(rest, "transfer-encoding")) slot = &pf.encoding;
    else if (mime::headerNameEquals(rest, "md5")) slot = &pf.md5;
    else if (mime::headerNameEquals(rest, "disposition")) slot = &pf.disposition;
    else if (mime::headerNameEquals(rest, "language")) slot = &pf.language;
    else if (mime::headerNameEquals(rest, "location")) slot = &pf.location;
    if (slot && !*slot) *slot = f.value;
    return true;
  });
  return pf;
}

// An unfolded field value as a string ("" when empty), or NIL when missing.
std::string nstring(const std::optional<std::string_view>& raw) {
  if (!raw) return "NIL";
  return imapString(mime::unfoldHeaderValue(*raw));
}

std::string paramList(const mime::MimeParams& params, bool addCharset) {
  if (params.empty() && !addCharset) return "NIL";
  std::string out = "(";
  for (const auto& [name, value] : params) {
    if (out.size() > 1) out += ' ';
    out += imapString(name);
    out += ' ';
    out += imapString(value);
  }
  if (addCharset) out += out.size() > 1 ? " \"charset\" \"us-ascii\"" : "\"charset\" \"us-ascii\"";
  out += ')';
  return out;
}

std::string disposition(const std::optional<std::string_view>& raw) {
  if (!raw) return "NIL";
  const mime::MimeValue v = mime::parseMimeValue(*raw);
  if (v.value.empty()) return "NIL";
  return imapList({imapString(v.value), paramList(v.params, false)});
}

std::string languages(const std::optional<std::string_view>& raw) {
  if (!raw) return "NIL";
  std::string out = "(";
  const std::string v = mime::unfoldHeaderValue(*raw);
  std::size_t pos = 0;
  while (pos < v.size()) {
    std::size_t comma = v.find(',', pos);
    if (comma == std::string::npos) comma = v.size();
    std::string tag = mime::unfoldHeaderValue(std::string_view(v).substr(pos, comma - pos));
    if (!tag.empty()) {
      if (out.size() > 1) out += ' ';
      out += imapString(tag);
    }
    pos = comma + 1;
  }
  if (out.size() == 1) return "NIL";
  return out + ")";
}

class Writer {
 public:
  Writer(std::string_view text, bool extended) : t_(text), ext_(extended) {}

  void part(const mime::MimePart& p) {
    if (p.isMultipart()) {
      multipart(p);
    } else {
      single(p);
    }
  }

  std::string out;

 private:
  void multipart(const mime::MimePart& p) {
    out += '(';
    for (const mime::MimePart& c : p.children) part(c);
    appendFields(out, {imapString(p.subtype)});
    if (ext_) extensions(partFields(p.header(t_)), paramList(p.params, false));
    out += ')';
  }

  void single(const mime::MimePart& p) {
    const PartFields pf = partFields(p.header(t_));
    const std::string_view body = p.body(t_);
    out += '(';
    if (p.opaque) {
      out += "\"application\" \"octet-stream\" NIL";
    } else {
      out += imapString(p.type);
      appendFields(out, {imapString(p.subtype),
                         paramList(p.params, p.isText() && !mime::findMimeParam(p.params, "charset"))});
    }
    const std::string encoding = pf.encoding ? mime::unfoldHeaderValue(*pf.encoding) : std::string();
    appendFields(out, {nstring(pf.id), nstring(pf.description),
                       imapString(encoding.empty() ? std::string_view("7bit") : std::string_view(encoding)),
                       std::to_string(body.size())});
    const auto lines = [&] {
      std::size_t n = 0;
      for (std::size_t lf = body.find('\n'); lf != std::string_view::npos; lf = body.find('\n', lf + 1)) ++n;
      return std::to_string(n);
    };
    if (p.isMessage()) {
      const mime::MimePart& inner = p.children.front();
      appendFields(out, {imapEnvelope(inner.header(t_))});
      out += ' ';
      part(inner);
      appendFields(out, {lines()});
    } else if (p.isText()) {
      appendFields(out, {lines()});
    }
    if (ext_) extensions(pf, nstring(pf.md5));
    out += ')';
  }

  // The extension data after `first` (a multipart's parameters, a part's MD5).
  void extensions(const PartFields& pf, std::string_view first) {
    appendFields(out, {first, disposition(pf.disposition), languages(pf.language), nstring(pf.location)});
  }

  std::string_view t_;
  bool ext_;
};

}  // namespace

std::string imapBodyStructure(std::string_view text, const mime::MimePart& part, bool extended) {
  Writer w(text, extended);
  w.part(part);
  return std::move(w.out);
}

}  // namespace posthorn::imapd
