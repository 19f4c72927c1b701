// imap_parser - the byte-level state machine: lines, literal markers,
// literal bytes (memory or sink), limits and resynchronization
#include "imapd/imap_parser.h"

#include <algorithm>
#include <utility>

namespace posthorn::imapd {

namespace {

// A literal marker "{N}", "{N+}", "~{N}" ending the line; false when none.
bool literalMarker(std::string_view line, std::uint64_t& size, bool& sync, bool& binary) {
  if (line.empty() || line.back() != '}') return false;
  const std::size_t open = line.rfind('{');
  if (open == std::string_view::npos) return false;
  std::string_view digits = line.substr(open + 1, line.size() - open - 2);
  sync = true;
  if (!digits.empty() && digits.back() == '+') {
    sync = false;
    digits.remove_suffix(1);
  }
  if (digits.empty() || digits.size() > 20) return false;
  std::uint64_t v = 0;
  for (const char c : digits) {
    if (c < '0' || c > '9') return false;
    const std::uint64_t d = static_cast<unsigned>(c - '0');
    v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
  }
  std::size_t before = open;
  binary = before > 0 && line[before - 1] == '~';
  if (binary) --before;
  if (before == 0) return false;  // no tag: not a command's literal
  const char prev = line[before - 1];
  if (prev != ' ' && prev != '(' && prev != '[') return false;
  size = v;
  return true;
}

}  // namespace

std::string ImapError::response() const {
  if (kind == ImapErrorKind::LiteralTooBig) return "NO [TOOBIG] " + message;
  return "BAD " + message;
}

ImapParser::ImapParser(ImapLimits limits, SinkFactory sinks) : limits_(limits), sinks_(std::move(sinks)) {}

void ImapParser::feed(std::string_view bytes) { in_.append(bytes); }

bool ImapParser::idle() const {
  return state_ == State::Line && segment_.empty() && text_.empty() && !failed_;
}

std::string ImapParser::takeBuffered() {
  std::string rest = in_.substr(pos_);
  in_.clear();
  pos_ = 0;
  return rest;
}

void ImapParser::compact() {
  in_.erase(0, pos_);
  pos_ = 0;
}

std::string ImapParser::currentTag() const {
  const std::string_view t = text_.empty() ? std::string_view(segment_) : std::string_view(text_);
  std::size_t n = 0;
  while (n < t.size() && isTagChar(t[n])) ++n;
  if (n == 0 || n > 64 || (n < t.size() && t[n] != ' ')) return "";
  return std::string(t.substr(0, n));
}

void ImapParser::resetCommand() {
  segment_.clear();
  text_.clear();
  inQuote_ = false;
  escape_ = false;
  literals_.clear();
  memoryUsed_ = 0;
  literalLeft_ = 0;
  failed_ = false;
}

ImapParser::Event ImapParser::fail(ImapErrorKind kind, std::string message, bool skipLine) {
  error_ = ImapError{kind, expectLine_ && text_.empty() ? std::string() : currentTag(), std::move(message)};
  expectLine_ = false;
  resetCommand();
  state_ = skipLine ? State::SkipLine : State::Line;
  return Event::Error;
}

void ImapParser::startLiteral() {
  ReadLiteral lit;
  lit.offset = text_.size();
  lit.size = announcement_.size;
  lit.binary = announcement_.binary;
  if (announcement_.streamed) {
    lit.sink = sinks_(announcement_);
    if (!lit.sink) {  // no place for it: drop the bytes, fail the command
      failure_ = ImapError{ImapErrorKind::LiteralTooBig, announcement_.tag,
                           "no place to store a literal of " + std::to_string(announcement_.size) + " bytes"};
      failed_ = true;
      text_.clear();
      literals_.clear();
      literalLeft_ = announcement_.size;
      state_ = State::DiscardLiteral;
      return;
    }
  } else {
    memoryUsed_ += static_cast<std::size_t>(announcement_.size);
  }
  literals_.push_back(std::move(lit));
  literalLeft_ = announcement_.size;
  state_ = State::Literal;
}

void ImapParser::acceptLiteral() {
  if (state_ == State::AwaitDecision) startLiteral();
}

void ImapParser::refuseLiteral() {
  if (state_ != State::AwaitDecision) return;
  resetCommand();
  state_ = State::Line;
}

ImapParser::Event ImapParser::next() {
  while (true) {
    switch (state_) {
      case State::AwaitDecision:
        return Event::Literal;

      case State::Literal:
      case State::DiscardLiteral: {
        const std::uint64_t take = std::min<std::uint64_t>(literalLeft_, in_.size() - pos_);
        const std::string_view bytes(in_.data() + pos_, static_cast<std::size_t>(take));
        if (state_ == State::Literal) {
          ReadLiteral& lit = literals_.back();
          if (lit.sink) {
            if (!bytes.empty()) lit.sink->write(bytes);
          } else {
            lit.bytes.append(bytes);
          }
        }
        pos_ += bytes.size();
        literalLeft_ -= take;
        if (literalLeft_ > 0) {
          compact();
          return Event::NeedMore;
        }
        if (state_ == State::Literal && literals_.back().sink) literals_.back().sink->finish();
        state_ = State::Line;
        break;
      }

      case State::SkipLine: {
        const std::size_t lf = in_.find('\n', pos_);
        if (lf == std::string::npos) {
          pos_ = in_.size();
          compact();
          return Event::NeedMore;
        }
        pos_ = lf + 1;
        state_ = State::Line;
        break;
      }

      case State::Line: {
        const std::size_t limit = limits_.maxLineLength;
        while (pos_ < in_.size()) {
          const char c = in_[pos_++];
          if (c == '\n') {
            if (!segment_.empty() && segment_.back() == '\r') segment_.pop_back();
            const Event e = endOfLine();
            if (e == Event::NeedMore) break;  // a literal follows: go on reading
            return e;
          }
          if (text_.size() + segment_.size() >= limit) {
            return fail(ImapErrorKind::LineTooLong,
                        "command line longer than " + std::to_string(limit) + " bytes", true);
          }
          segment_ += c;
          if (inQuote_) {
            if (escape_) {
              escape_ = false;
            } else if (c == '\\') {
              escape_ = true;
            } else if (c == '"') {
              inQuote_ = false;
            }
          } else if (c == '"') {
            inQuote_ = true;
          }
        }
        if (state_ == State::Line) {
          compact();
          return Event::NeedMore;
        }
        break;  // a literal state: continue the outer loop
      }
    }
  }
}

// A line has ended (its CRLF consumed). NeedMore means: go on, a
// non-synchronizing literal is being read or discarded.
ImapParser::Event ImapParser::endOfLine() {
  if (expectLine_ && text_.empty()) {
    expectLine_ = false;
    rawLine_ = std::move(segment_);
    resetCommand();
    return Event::Line;
  }
  if (inQuote_) {
    if (failed_) {
      error_ = failure_;
      resetCommand();
      return Event::Error;
    }
    return fail(ImapErrorKind::Syntax, "unterminated quoted string", false);
  }
  std::uint64_t size = 0;
  bool sync = true, binary = false;
  if (literalMarker(segment_, size, sync, binary)) {
    const std::string tag = currentTag();
    text_ += segment_;
    segment_.clear();
    announcement_ = LiteralAnnouncement{tag, size, sync, binary, false};
    if (failed_) {
      if (sync) {  // the client waits for "+": answer the command now
        error_ = failure_;
        resetCommand();
        return Event::Error;
      }
      text_.clear();
      literalLeft_ = size;
      state_ = State::DiscardLiteral;
      return Event::NeedMore;
    }
    const bool streamed = size > limits_.memoryLiteralSize || memoryUsed_ + size > limits_.maxMemoryLiterals;
    announcement_.streamed = streamed;
    std::string tooBig;
    if (size > limits_.maxLiteralSize) {
      tooBig = "literal of " + std::to_string(size) + " bytes is larger than the limit of " +
               std::to_string(limits_.maxLiteralSize);
    } else if (streamed && !sinks_) {
      tooBig = "literal of " + std::to_string(size) + " bytes is too large for this command";
    }
    if (!tooBig.empty()) {
      if (sync) return fail(ImapErrorKind::LiteralTooBig, tooBig, false);
      // {N+}: the bytes come anyway; read and drop them, answer at the end.
      failure_ = ImapError{ImapErrorKind::LiteralTooBig, tag, tooBig};
      failed_ = true;
      text_.clear();  // nothing of the command is kept
      literals_.clear();
      literalLeft_ = size;
      state_ = State::DiscardLiteral;
      return Event::NeedMore;
    }
    if (sync) {
      state_ = State::AwaitDecision;
      return Event::Literal;
    }
    startLiteral();
    return Event::Literal;
  }
  text_ += segment_;
  segment_.clear();
  if (failed_) {
    error_ = failure_;
    resetCommand();
    return Event::Error;
  }
  if (text_.empty()) return fail(ImapErrorKind::Syntax, "empty command line", false);
  SyntaxLimits sl{limits_.maxDepth, limits_.maxArguments};
  const SyntaxError se = parseCommandText(text_, literals_, sl, command_);
  if (!se.message.empty()) {
    const ImapErrorKind kind = se.kind == SyntaxError::Kind::TooDeep          ? ImapErrorKind::TooDeep
                               : se.kind == SyntaxError::Kind::TooManyArguments ? ImapErrorKind::TooManyArguments
                                                                                : ImapErrorKind::Syntax;
    return fail(kind, se.message, false);
  }
  resetCommand();
  return Event::Command;
}

}  // namespace posthorn::imapd
