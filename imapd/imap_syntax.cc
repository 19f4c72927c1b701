// imap_syntax - recursive descent over one command's text (RFC 3501 section 9,
// with LITERAL+ {N+} of RFC 7888 and literal8 ~{N} of RFC 3516)
#include "imapd/imap_syntax.h"

#include <string>

#include "lib/util/ascii.h"

namespace posthorn::imapd {

namespace {

bool isAtomChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  switch (c) {
    case '(': case ')': case '{': case '"': case '\\': case '[': case ']':
      return false;
    default:
      return true;  // '*' and '%' too: sequence sets and LIST patterns
  }
}

std::string describe(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u < 0x20 || u >= 0x7f) {
    static const char* hex = "0123456789abcdef";
    return std::string("byte 0x") + hex[u >> 4] + hex[u & 15];
  }
  return std::string("'") + c + "'";
}

struct Failure {
  SyntaxError::Kind kind;
  std::string message;
};

class Grammar {
 public:
  Grammar(std::string_view text, std::vector<ReadLiteral>& literals, const SyntaxLimits& limits)
      : t_(text), literals_(literals), limits_(limits) {}

  void command(ImapCommand& out) {
    const std::size_t start = p_;
    while (p_ < t_.size() && isTagChar(t_[p_])) ++p_;
    if (p_ == start) fail(p_ < t_.size() ? "bad tag: unexpected " + describe(t_[p_]) : "missing tag");
    out.tag = std::string(t_.substr(start, p_ - start));
    expectSpace("after the tag");
    out.name = util::upper(atom("command name"));
    if (out.name == "UID") {
      expectSpace("after UID");
      out.name += " " + util::upper(atom("command name after UID"));
    }
    while (p_ < t_.size()) {
      expectSpace("between arguments");
      out.args.push_back(value(0, false));
    }
    if (next_ != literals_.size()) fail("literal out of place");
  }

 private:
  [[noreturn]] void fail(std::string message, SyntaxError::Kind kind = SyntaxError::Kind::Syntax) {
    throw Failure{kind, std::move(message)};
  }
  bool at(char c) const { return p_ < t_.size() && t_[p_] == c; }
  void expectSpace(const char* where) {
    if (at(' ')) {
      ++p_;
      return;
    }
    if (p_ >= t_.size()) fail(std::string("line ends too early, expected a space ") + where);
    fail("expected a space " + std::string(where) + ", got " + describe(t_[p_]));
  }
  std::string_view atom(const char* what) {
    const std::size_t start = p_;
    while (p_ < t_.size() && isAtomChar(t_[p_])) ++p_;
    if (p_ == start) fail(std::string("missing ") + what);
    return t_.substr(start, p_ - start);
  }
  void count() {
    if (++values_ > limits_.maxArguments)
      fail("more than " + std::to_string(limits_.maxArguments) + " arguments", SyntaxError::Kind::TooManyArguments);
  }
  void deeper(std::size_t depth) {
    if (depth + 1 > limits_.maxDepth)
      fail("lists nested deeper than " + std::to_string(limits_.maxDepth), SyntaxError::Kind::TooDeep);
  }

  ImapValue value(std::size_t depth, bool inSection) {
    count();
    if (p_ >= t_.size()) fail("line ends where a value was expected");
    const char c = t_[p_];
    if (c == '(') return list(depth, inSection);
    if (c == '"') return quoted();
    if (c == '{' || c == '~') return literal();
    if (c == '\\') {
      ++p_;
      ImapValue v;
      if (at('*')) {
        ++p_;
        v.text = "\\*";
      } else {
        v.text = "\\" + std::string(atom("flag name after '\\'"));
      }
      return v;
    }
    return atomValue(depth, inSection);
  }

  ImapValue list(std::size_t depth, bool inSection) {
    deeper(depth);
    ++p_;
    ImapValue v;
    v.kind = ImapValue::Kind::List;
    if (at(')')) {
      ++p_;
      return v;
    }
    while (true) {
      v.items.push_back(value(depth + 1, inSection));
      if (at(')')) break;
      expectSpace("or ')' in a list");
    }
    ++p_;
    return v;
  }

  ImapValue quoted() {
    ++p_;
    ImapValue v;
    v.kind = ImapValue::Kind::Quoted;
    while (true) {
      if (p_ >= t_.size()) fail("unterminated quoted string");
      const char c = t_[p_++];
      if (c == '"') return v;
      if (c == '\\') {
        if (p_ >= t_.size() || (t_[p_] != '"' && t_[p_] != '\\'))
          fail("bad escape in a quoted string (only \\\" and \\\\)");
        v.text += t_[p_++];
        continue;
      }
      if (c == '\0' || c == '\r' || c == '\n') fail("quoted string contains " + describe(c));
      v.text += c;
    }
  }

  ImapValue literal() {
    ImapValue v;
    v.kind = ImapValue::Kind::Literal;
    if (at('~')) {
      ++p_;
      v.binary = true;
      if (!at('{')) fail("'~' not followed by a literal");
    }
    ++p_;
    while (p_ < t_.size() && t_[p_] != '}') ++p_;
    if (p_ >= t_.size()) fail("unterminated literal size");
    ++p_;
    if (next_ >= literals_.size() || literals_[next_].offset != p_)
      fail("a literal must end its line");
    ReadLiteral& lit = literals_[next_++];
    v.text = std::move(lit.bytes);
    v.size = lit.size;
    v.sink = std::move(lit.sink);
    if (lit.binary != v.binary) fail("literal out of place");
    return v;
  }

  ImapValue atomValue(std::size_t depth, bool inSection) {
    const std::size_t start = p_;
    while (p_ < t_.size() && (isAtomChar(t_[p_]) || (!inSection && t_[p_] == ']'))) ++p_;
    if (p_ == start) fail("unexpected " + describe(t_[p_]));
    ImapValue v;
    v.text = std::string(t_.substr(start, p_ - start));
    if (!at('[')) return v;
    deeper(depth);
    ++p_;
    v.hasSection = true;
    if (!at(']')) {
      while (true) {
        v.items.push_back(value(depth + 1, true));
        if (at(']')) break;
        expectSpace("or ']' in a section");
      }
    }
    ++p_;
    if (at('<')) {
      const std::size_t open = ++p_;
      bool dot = false;
      while (p_ < t_.size() && t_[p_] != '>') {
        const char c = t_[p_];
        if (c == '.' && !dot && p_ > open) {
          dot = true;
        } else if (c < '0' || c > '9') {
          fail("bad partial <start.length>: unexpected " + describe(c));
        }
        ++p_;
      }
      if (p_ >= t_.size() || p_ == open || t_[p_ - 1] == '.') fail("bad partial <start.length>");
      v.partial = std::string(t_.substr(open, p_ - open));
      ++p_;
    }
    return v;
  }

  std::string_view t_;
  std::size_t p_ = 0;
  std::vector<ReadLiteral>& literals_;
  std::size_t next_ = 0;
  const SyntaxLimits& limits_;
  std::size_t values_ = 0;
};

}  // namespace

bool isTagChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u <= 0x20 || u >= 0x7f) return false;
  switch (c) {
    case '(': case ')': case '{': case '"': case '\\': case '%': case '*': case '+':
      return false;
    default:
      return true;
  }
}

SyntaxError parseCommandText(std::string_view text, std::vector<ReadLiteral>& literals,
                             const SyntaxLimits& limits, ImapCommand& out) {
  out = ImapCommand{};
  try {
    Grammar(text, literals, limits).command(out);
  } catch (const Failure& f) {
    return SyntaxError{f.kind, f.message};
  }
  return {};
}

}  // namespace posthorn::imapd
