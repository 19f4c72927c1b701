// address_list - a tolerant RFC 5322 address-list scanner
#include "lib/address/address_list.h"

namespace posthorn::address {
namespace {

enum class Tok { Word, Quoted, Special, End };

struct Token {
  Tok kind = Tok::End;
  std::string text;  // a word, a quoted string's content, or one special character
};

class Scanner {
 public:
  explicit Scanner(std::string_view in) : in_(in) {}

  Token next() {
    skipSpaceAndComments();
    if (pos_ >= in_.size()) return {};
    const char c = in_[pos_];
    if (c == '"') return quoted();
    if (isSpecial(c)) {
      ++pos_;
      return {Tok::Special, std::string(1, c)};
    }
    std::string word;
    while (pos_ < in_.size() && !isSpace(in_[pos_]) && !isSpecial(in_[pos_]) && in_[pos_] != '"' &&
           in_[pos_] != '(')
      word += in_[pos_++];
    return {Tok::Word, word};
  }

 private:
  static bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
  static bool isSpecial(char c) {
    return c == '<' || c == '>' || c == ',' || c == ':' || c == ';' || c == '@' || c == '.' ||
           c == '[' || c == ']' || c == ')';
  }

  void skipSpaceAndComments() {
    while (pos_ < in_.size()) {
      if (isSpace(in_[pos_])) {
        ++pos_;
      } else if (in_[pos_] == '(') {
        int depth = 0;
        while (pos_ < in_.size()) {
          const char c = in_[pos_++];
          if (c == '\\' && pos_ < in_.size()) {
            ++pos_;
          } else if (c == '(') {
            ++depth;
          } else if (c == ')' && --depth == 0) {
            break;
          }
        }
      } else {
        break;
      }
    }
  }

  Token quoted() {
    ++pos_;  // the opening quote
    std::string text;
    while (pos_ < in_.size() && in_[pos_] != '"') {
      if (in_[pos_] == '\\' && pos_ + 1 < in_.size()) ++pos_;
      if (in_[pos_] != '\r' && in_[pos_] != '\n') text += in_[pos_];
      ++pos_;
    }
    if (pos_ < in_.size()) ++pos_;  // the closing quote
    return {Tok::Quoted, text};
  }

  std::string_view in_;
  std::size_t pos_ = 0;
};

// Joins the tokens of an addr-spec: words, quoted strings, '.', '@' and a
// domain literal's brackets, without the white space between them.
std::string joinSpec(const std::vector<Token>& tokens) {
  std::string out;
  for (const Token& t : tokens) {
    if (t.kind == Tok::Special && t.text != "." && t.text != "@" && t.text != "[" && t.text != "]")
      continue;
    out += t.text;
  }
  return out;
}

}  // namespace

std::vector<std::string> parseAddressList(std::string_view value) {
  std::vector<std::string> out;
  Scanner scanner(value);
  std::vector<Token> plain;       // tokens of the current mailbox outside <>
  std::vector<Token> angle;       // tokens inside <>
  bool inAngle = false, sawAngle = false;

  auto endMailbox = [&] {
    const std::string address = sawAngle ? joinSpec(angle) : joinSpec(plain);
    if (!address.empty() && address != "@") out.push_back(address);
    plain.clear();
    angle.clear();
    inAngle = sawAngle = false;
  };

  for (;;) {
    Token t = scanner.next();
    if (t.kind == Tok::End) break;
    if (inAngle) {
      if (t.kind == Tok::Special && t.text == ">") {
        inAngle = false;
      } else if (t.kind == Tok::Special && t.text == ":") {
        angle.clear();  // the end of an obsolete source route "<@a,@b:user@host>"
      } else if (t.kind == Tok::Special && t.text == ",") {
        // inside a source route: dropped with it
      } else {
        angle.push_back(t);
      }
      continue;
    }
    if (t.kind == Tok::Special) {
      if (t.text == "<") {
        inAngle = sawAngle = true;
        angle.clear();
      } else if (t.text == ",") {
        endMailbox();
      } else if (t.text == ":") {
        plain.clear();  // a group's display name
      } else if (t.text == ";") {
        endMailbox();
      } else if (t.text == "." || t.text == "@" || t.text == "[" || t.text == "]") {
        plain.push_back(t);
      }
      continue;
    }
    plain.push_back(t);
  }
  endMailbox();
  return out;
}

std::string qualifyAddress(std::string_view address, std::string_view origin) {
  if (address.find('@') != std::string_view::npos) return std::string(address);
  return std::string(address) + "@" + std::string(origin);
}

}  // namespace posthorn::address
