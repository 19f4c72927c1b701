// mime_params - Content-Type / Content-Disposition values: "token[/token]; name=value; ..."
#include "lib/mime/mime_params.h"

#include "lib/mime/header_fields.h"

namespace posthorn::mime {

namespace {

bool isTspecial(char c) {
  switch (c) {
    case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':': case '\\': case '"':
    case '[': case ']': case '?': case '=':
      return true;
    default:
      return false;
  }
}

class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  void skipSpace() {
    while (p_ < s_.size()) {
      const char c = s_[p_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        ++p_;
      } else if (c == '(') {
        int depth = 0;
        while (p_ < s_.size()) {
          const char x = s_[p_++];
          if (x == '\\') ++p_;
          else if (x == '(') ++depth;
          else if (x == ')' && --depth == 0) break;
        }
        if (p_ > s_.size()) p_ = s_.size();
      } else {
        break;
      }
    }
  }
  bool at(char c) {
    skipSpace();
    return p_ < s_.size() && s_[p_] == c;
  }
  bool done() {
    skipSpace();
    return p_ >= s_.size();
  }
  void advance() { ++p_; }
  // A token (with '/' allowed inside when slash is true).
  std::string token(bool slash) {
    skipSpace();
    const std::size_t start = p_;
    while (p_ < s_.size()) {
      const char c = s_[p_];
      if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f || (isTspecial(c)) || (c == '/' && !slash)) break;
      ++p_;
    }
    return std::string(s_.substr(start, p_ - start));
  }
  std::string quoted() {
    std::string out;
    ++p_;  // the opening quote
    while (p_ < s_.size() && s_[p_] != '"') {
      if (s_[p_] == '\\' && p_ + 1 < s_.size()) ++p_;
      if (s_[p_] != '\r' && s_[p_] != '\n') out += s_[p_];
      ++p_;
    }
    if (p_ < s_.size()) ++p_;
    return out;
  }
  void skipToSemicolon() {
    while (p_ < s_.size() && s_[p_] != ';') {
      if (s_[p_] == '"') quoted();
      else ++p_;
    }
  }

 private:
  std::string_view s_;
  std::size_t p_ = 0;
};

}  // namespace

MimeValue parseMimeValue(std::string_view raw) {
  MimeValue out;
  Reader r(raw);
  out.value = r.token(true);
  // Tolerate "text / plain".
  if (out.value.find('/') == std::string::npos && r.at('/')) {
    r.advance();
    out.value += '/';
    out.value += r.token(false);
  }
  r.skipToSemicolon();
  while (!r.done()) {
    if (!r.at(';')) {
      r.skipToSemicolon();
      continue;
    }
    r.advance();
    std::string name = r.token(false);
    if (name.empty() || !r.at('=')) {
      r.skipToSemicolon();
      continue;
    }
    r.advance();
    std::string value;
    if (r.at('"')) {
      value = r.quoted();
    } else {
      value = r.token(true);
      if (value.empty()) {
        r.skipToSemicolon();
        continue;
      }
    }
    out.params.emplace_back(std::move(name), std::move(value));
    r.skipToSemicolon();
  }
  return out;
}

std::optional<std::string> findMimeParam(const MimeParams& params, std::string_view name) {
  for (const auto& [n, v] : params)
    if (headerNameEquals(n, name)) return v;
  return std::nullopt;
}

}  // namespace posthorn::mime
