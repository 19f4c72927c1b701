// mime_part - the MIME structure of a message: part boundaries as offsets into its text
#include "lib/mime/mime_part.h"

#include <utility>

#include "lib/mime/header_fields.h"

namespace posthorn::mime {

bool MimePart::isMultipart() const { return !opaque && headerNameEquals(type, "multipart"); }

bool MimePart::isMessage() const {
  return !opaque && !children.empty() && headerNameEquals(type, "message") && headerNameEquals(subtype, "rfc822");
}

bool MimePart::isText() const { return !opaque && headerNameEquals(type, "text"); }

namespace {

class TreeParser {
 public:
  explicit TreeParser(std::string_view text) : t_(text) {}

  // The entity in [start, end): header, body and (recursively) its parts.
  MimePart entity(std::size_t start, std::size_t end, bool inDigest, std::size_t depth) {
    MimePart p;
    p.headerStart = start;
    p.bodyStart = start + headerEnd(t_.substr(start, end - start));
    p.end = end;
    std::string_view contentType;
    bool haveType = false;
    forEachHeaderField(p.header(t_), [&](const HeaderField& f) {
      if (headerNameEquals(f.name, "content-type")) {
        contentType = f.value;
        haveType = true;
        return false;
      }
      return true;
    });
    bool typed = false;
    if (haveType) {
      MimeValue v = parseMimeValue(contentType);
      const std::size_t slash = v.value.find('/');
      if (slash != std::string::npos && slash > 0 && slash + 1 < v.value.size()) {
        p.type = v.value.substr(0, slash);
        p.subtype = v.value.substr(slash + 1);
        p.params = std::move(v.params);
        typed = true;
      }
    }
    if (!typed) {
      p.type = inDigest ? "message" : "text";
      p.subtype = inDigest ? "rfc822" : "plain";
    }
    const bool multipart = headerNameEquals(p.type, "multipart");
    const bool message = headerNameEquals(p.type, "message") && headerNameEquals(p.subtype, "rfc822");
    if ((multipart || message) && depth >= kMaxMimeDepth) {
      p.opaque = true;
    } else if (multipart) {
      parts(p, headerNameEquals(p.subtype, "digest"), depth);
    } else if (message) {
      p.children.push_back(entity(p.bodyStart, p.end, false, depth + 1));
    }
    return p;
  }

 private:
  // The end of the line whose delimiter text ends at q, or npos when more
  // than white space follows it on the line.
  std::size_t delimiterLineEnd(std::size_t q, std::size_t end) const {
    while (q < end && (t_[q] == ' ' || t_[q] == '\t')) ++q;
    if (q == end) return end;
    if (t_[q] == '\n') return q + 1;
    if (t_[q] == '\r' && q + 1 < end && t_[q + 1] == '\n') return q + 2;
    return std::string_view::npos;
  }

  // Where content before a delimiter line at f ends: the line end before
  // it belongs to the delimiter.
  std::size_t contentEnd(std::size_t f, std::size_t childStart) const {
    std::size_t e = f;
    if (e > childStart && t_[e - 1] == '\n') --e;
    if (e > childStart && t_[e - 1] == '\r') --e;
    return e;
  }

  void parts(MimePart& p, bool digest, std::size_t depth) {
    const std::optional<std::string> boundary = findMimeParam(p.params, "boundary");
    std::vector<std::pair<std::size_t, std::size_t>> ranges;
    if (boundary && !boundary->empty()) {
      const std::string delim = "--" + *boundary;
      const std::string_view scope = t_.substr(0, p.end);
      std::size_t pos = p.bodyStart;
      std::size_t childStart = std::string_view::npos;
      bool closed = false;
      while (pos < p.end) {
        const std::size_t f = scope.find(delim, pos);
        if (f == std::string_view::npos) break;
        pos = f + 1;
        if (f != p.bodyStart && t_[f - 1] != '\n') continue;
        std::size_t q = f + delim.size();
        bool close = false;
        if (q + 2 <= p.end && t_[q] == '-' && t_[q + 1] == '-') {
          close = true;
          q += 2;
        }
        const std::size_t next = delimiterLineEnd(q, p.end);
        if (next == std::string_view::npos) continue;
        if (childStart != std::string_view::npos) ranges.emplace_back(childStart, contentEnd(f, childStart));
        if (close) {
          closed = true;
          childStart = std::string_view::npos;
          break;
        }
        childStart = next;
        pos = next;
      }
      if (!closed && childStart != std::string_view::npos) ranges.emplace_back(childStart, p.end);
    }
    if (ranges.empty()) {
      MimePart empty;
      empty.headerStart = empty.bodyStart = empty.end = p.end;
      empty.type = "text";
      empty.subtype = "plain";
      p.children.push_back(std::move(empty));
      return;
    }
    p.children.reserve(ranges.size());
    for (const auto& [s, e] : ranges) p.children.push_back(entity(s, e, digest, depth + 1));
  }

  std::string_view t_;
};

}  // namespace

MimePart parseMimeTree(std::string_view text) { return TreeParser(text).entity(0, text.size(), false, 0); }

}  // namespace posthorn::mime
