// imap_address - an RFC 5322 address-list header value as an IMAP address list
#include "imapd/imap_address.h"

#include "imapd/imap_string.h"

namespace posthorn::imapd {

namespace {

constexpr std::size_t kMaxAddresses = 10000;

struct Token {
  enum class Kind { Word, Quoted, Special, DomainLiteral } kind = Kind::Word;
  std::string text;
  char special = 0;
  bool spaceBefore = false;  // white space or a comment before it
};

bool isSpecial(char c) {
  switch (c) {
    case '<': case '>': case '@': case ',': case ';': case ':': case '.': case '[': case ']':
      return true;
    default:
      return false;
  }
}

// Tokens of the value; comments are collected separately (the last one
// seen before each token boundary can serve as a name).
class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  // Next token, false at the end. comment gets the text of comments met.
  bool next(Token& t, std::string& comment) {
    bool space = false;
    while (p_ < s_.size()) {
      const char c = s_[p_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
        space = true;
        ++p_;
      } else if (c == '(') {
        comment = readComment();
        space = true;
      } else {
        break;
      }
    }
    if (p_ >= s_.size()) return false;
    t = Token{};
    t.spaceBefore = space;
    const char c = s_[p_];
    if (c == '"') {
      t.kind = Token::Kind::Quoted;
      ++p_;
      while (p_ < s_.size() && s_[p_] != '"') {
        if (s_[p_] == '\\' && p_ + 1 < s_.size()) ++p_;
        if (s_[p_] != '\r' && s_[p_] != '\n') t.text += s_[p_];
        ++p_;
      }
      if (p_ < s_.size()) ++p_;
    } else if (c == '[') {
      t.kind = Token::Kind::DomainLiteral;
      const std::size_t close = s_.find(']', p_);
      const std::size_t end = close == std::string_view::npos ? s_.size() : close + 1;
      t.text = std::string(s_.substr(p_, end - p_));
      p_ = end;
    } else if (isSpecial(c) || c == ')') {
      t.kind = Token::Kind::Special;
      t.special = c;
      t.text = std::string(1, c);
      ++p_;
    } else {
      const std::size_t start = p_;
      while (p_ < s_.size()) {
        const char x = s_[p_];
        if (x == ' ' || x == '\t' || x == '\r' || x == '\n' || x == '(' || x == ')' || x == '"' || isSpecial(x)) break;
        ++p_;
      }
      t.text = std::string(s_.substr(start, p_ - start));
    }
    return true;
  }

 private:
  std::string readComment() {
    std::string text;
    int depth = 0;
    while (p_ < s_.size()) {
      const char c = s_[p_++];
      if (c == '\\' && p_ < s_.size()) {
        text += s_[p_++];
        continue;
      }
      if (c == '(') {
        if (depth++ > 0) text += c;
      } else if (c == ')') {
        if (--depth == 0) break;
        text += c;
      } else if (c != '\r' && c != '\n') {
        text += c;
      }
    }
    return text;
  }

  std::string_view s_;
  std::size_t p_ = 0;
};

class AddressParser {
 public:
  explicit AddressParser(std::string_view s) : lex_(s) {}

  std::vector<ImapAddress> run() {
    std::vector<Token> words;  // the pending phrase or addr-spec
    bool inGroup = false;
    Token t;
    while (out_.size() < kMaxAddresses) {
      if (!lex_.next(t, pendingComment_)) break;
      if (t.kind == Token::Kind::Special && t.special == ':' && !inGroup && !words.empty() && !hasAt(words)) {
        out_.push_back(ImapAddress{std::nullopt, std::nullopt, phrase(words), std::nullopt});
        words.clear();
        pendingComment_.clear();
        inGroup = true;
      } else if (t.kind == Token::Kind::Special && t.special == '<') {
        angleAddress(words);
        words.clear();
      } else if (t.kind == Token::Kind::Special && (t.special == ',' || t.special == ';')) {
        addrSpec(words);
        words.clear();
        if (t.special == ';' && inGroup) {
          out_.push_back(ImapAddress{});
          inGroup = false;
        }
      } else {
        words.push_back(std::move(t));
      }
    }
    addrSpec(words);
    if (inGroup) out_.push_back(ImapAddress{});
    return std::move(out_);
  }

 private:
  static bool hasAt(const std::vector<Token>& w) {
    for (const Token& t : w)
      if (t.kind == Token::Kind::Special && t.special == '@') return true;
    return false;
  }

  // Display-name words joined with single spaces where the source had space.
  static std::optional<std::string> phrase(const std::vector<Token>& w) {
    std::string s;
    for (const Token& t : w) {
      if (!s.empty() && t.spaceBefore) s += ' ';
      s += t.text;
    }
    if (s.empty()) return std::nullopt;
    return s;
  }

  // local@domain from tokens (no white space kept); host MISSING_DOMAIN when no '@'.
  void mailbox(const std::vector<Token>& w, std::size_t from, std::size_t to, ImapAddress& a) {
    std::string local, domain;
    bool at = false;
    for (std::size_t i = from; i < to; ++i) {
      const Token& t = w[i];
      if (t.kind == Token::Kind::Special && t.special == '@' && !at) {
        at = true;
        continue;
      }
      (at ? domain : local) += t.text;
    }
    a.mailbox = local;
    a.host = at && !domain.empty() ? domain : std::string("MISSING_DOMAIN");
  }

  void addrSpec(const std::vector<Token>& w) {
    if (w.empty()) {
      pendingComment_.clear();
      return;
    }
    ImapAddress a;
    if (w.front().kind == Token::Kind::Quoted && !hasAt(w)) {
      // "Only Name" with no address: a name (as Dovecot reads it).
      a.name = phrase(w);
      a.mailbox = std::string("MISSING_MAILBOX");
      a.host = std::string("MISSING_DOMAIN");
      pendingComment_.clear();
      out_.push_back(std::move(a));
      return;
    }
    mailbox(w, 0, w.size(), a);
    if (!pendingComment_.empty()) a.name = pendingComment_;
    pendingComment_.clear();
    if (a.mailbox->empty() && a.host == "MISSING_DOMAIN") return;
    out_.push_back(std::move(a));
  }

  // After '<': [route ':'] addr-spec '>'.
  void angleAddress(const std::vector<Token>& nameWords) {
    ImapAddress a;
    a.name = phrase(nameWords);
    std::vector<Token> inside;
    std::string ignored;
    Token t;
    while (lex_.next(t, ignored)) {
      if (t.kind == Token::Kind::Special && t.special == '>') break;
      inside.push_back(std::move(t));
    }
    std::size_t start = 0;
    for (std::size_t i = 0; i < inside.size(); ++i) {
      if (inside[i].kind == Token::Kind::Special && inside[i].special == ':') {
        std::string route;
        for (std::size_t j = 0; j < i; ++j) route += inside[j].text;
        if (!route.empty()) a.adl = route;
        start = i + 1;
        break;
      }
    }
    if (start == inside.size()) {
      a.mailbox = std::string("MISSING_MAILBOX");  // "<>"
      a.host = std::string("MISSING_DOMAIN");
    } else {
      mailbox(inside, start, inside.size(), a);
    }
    pendingComment_.clear();
    out_.push_back(std::move(a));
  }

  Lexer lex_;
  std::string pendingComment_;
  std::vector<ImapAddress> out_;
};

}  // namespace

std::vector<ImapAddress> parseAddressList(std::string_view value) { return AddressParser(value).run(); }

std::string imapAddressList(std::string_view value) {
  const std::vector<ImapAddress> list = parseAddressList(value);
  if (list.empty()) return "NIL";
  std::string out = "(";
  for (const ImapAddress& a : list)
    out += imapList({imapNString(a.name), imapNString(a.adl), imapNString(a.mailbox), imapNString(a.host)});
  out += ')';
  return out;
}

}  // namespace posthorn::imapd
