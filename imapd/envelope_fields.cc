// envelope_fields - read an IMAP ENVELOPE back into searchable text
#include "imapd/envelope_fields.h"

#include <cctype>
#include <vector>

#include "imapd/imap_command.h"
#include "lib/mime/rfc2047.h"
#include "lib/util/ascii.h"

namespace posthorn::imapd {
namespace {

// A value of the envelope: NIL, a string (quoted or literal) or a list.
struct Node {
  enum class Kind { Nil, String, List } kind = Kind::Nil;
  std::string text;
  std::vector<Node> items;
};

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  bool read(Node& out, int depth) {
    skipSpace();
    if (pos_ >= s_.size() || depth > 4) return false;
    const char c = s_[pos_];
    if (c == '(') {
      ++pos_;
      out.kind = Node::Kind::List;
      while (true) {
        skipSpace();
        if (pos_ >= s_.size()) return false;
        if (s_[pos_] == ')') {
          ++pos_;
          return true;
        }
        out.items.emplace_back();
        if (!read(out.items.back(), depth + 1)) return false;
      }
    }
    if (c == '"') {
      ++pos_;
      out.kind = Node::Kind::String;
      while (pos_ < s_.size() && s_[pos_] != '"') {
        if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) ++pos_;
        out.text += s_[pos_++];
      }
      if (pos_ >= s_.size()) return false;
      ++pos_;
      return true;
    }
    if (c == '{') {
      const std::size_t close = s_.find('}', pos_);
      if (close == std::string_view::npos || s_.substr(close + 1, 2) != "\r\n") return false;
      std::size_t n = 0;
      for (std::size_t i = pos_ + 1; i < close; ++i) {
        if (!std::isdigit(static_cast<unsigned char>(s_[i])) || n > (1u << 24)) return false;
        n = n * 10 + static_cast<std::size_t>(s_[i] - '0');
      }
      pos_ = close + 3;
      if (pos_ + n > s_.size()) return false;
      out.kind = Node::Kind::String;
      out.text = std::string(s_.substr(pos_, n));
      pos_ += n;
      return true;
    }
    if (s_.substr(pos_, 3) == "NIL") {
      pos_ += 3;
      out.kind = Node::Kind::Nil;
      return true;
    }
    return false;
  }

 private:
  void skipSpace() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  std::string_view s_;
  std::size_t pos_ = 0;
};

std::optional<std::string> text(const Node& n) {
  if (n.kind != Node::Kind::String) return std::nullopt;
  return mime::decodeRfc2047(n.text);
}

// (name adl mailbox host) lists as "Name <mailbox@host>, ..." (groups as
// "group: ...;"); NIL as no field at all.
std::optional<std::string> addresses(const Node& n) {
  if (n.kind != Node::Kind::List) return std::nullopt;
  std::string out;
  for (const Node& a : n.items) {
    if (a.kind != Node::Kind::List || a.items.size() != 4) continue;
    const Node& name = a.items[0];
    const Node& mailbox = a.items[2];
    const Node& host = a.items[3];
    if (host.kind == Node::Kind::Nil) {
      // Group start (mailbox = its name) or end (mailbox NIL).
      if (mailbox.kind == Node::Kind::String) {
        if (!out.empty()) out += ", ";
        out += mime::decodeRfc2047(mailbox.text) + ":";
      } else {
        out += ";";
      }
      continue;
    }
    if (!out.empty() && out.back() != ':') out += ", ";
    if (out.size() > 0 && out.back() == ':') out += ' ';
    std::string addr = (mailbox.kind == Node::Kind::String ? mailbox.text : "") + "@" + host.text;
    if (name.kind == Node::Kind::String && !name.text.empty())
      out += mime::decodeRfc2047(name.text) + " <" + addr + ">";
    else
      out += addr;
  }
  return out;
}

}  // namespace

const std::optional<std::string>* EnvelopeFields::field(std::string_view name) const {
  if (util::equalsIgnoreCase(name, "SUBJECT")) return &subject;
  if (util::equalsIgnoreCase(name, "FROM")) return &from;
  if (util::equalsIgnoreCase(name, "TO")) return &to;
  if (util::equalsIgnoreCase(name, "CC")) return &cc;
  if (util::equalsIgnoreCase(name, "BCC")) return &bcc;
  return nullptr;
}

std::optional<EnvelopeFields> parseEnvelopeFields(std::string_view envelope) {
  Node root;
  Reader reader(envelope);
  if (!reader.read(root, 0) || root.kind != Node::Kind::List || root.items.size() != 10) return std::nullopt;
  EnvelopeFields f;
  f.subject = text(root.items[1]);
  f.from = addresses(root.items[2]);
  f.to = addresses(root.items[5]);
  f.cc = addresses(root.items[6]);
  f.bcc = addresses(root.items[7]);
  return f;
}

}  // namespace posthorn::imapd
