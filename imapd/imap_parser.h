// imap_parser - incremental IMAP command parser with literals and limits
//
// Bytes are fed as they arrive; next() reports what happened. Memory stays
// within the limits whatever the client sends: the non-literal bytes of one
// command (maxLineLength), in-memory literals (maxMemoryLiterals in all),
// and literals above memoryLiteralSize go to a LiteralSink from the sink
// factory. See doc/imapd.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "imapd/imap_command.h"
#include "imapd/imap_syntax.h"

namespace posthorn::imapd {

struct ImapLimits {
  std::size_t maxLineLength = 64 * 1024;  // one command's bytes outside literals
  std::uint64_t maxLiteralSize = 64ULL << 20;  // larger: NO [TOOBIG]
  std::size_t memoryLiteralSize = 64 * 1024;  // larger literals are streamed
  std::size_t maxMemoryLiterals = 1 << 20;  // all in-memory literals of one command
  std::size_t maxDepth = 16;                // nesting of lists and sections
  std::size_t maxArguments = 1000;          // values in one command, nested ones too
};

enum class ImapErrorKind {
  Syntax,            // BAD
  LineTooLong,       // BAD
  TooDeep,           // BAD
  TooManyArguments,  // BAD
  LiteralTooBig,     // NO [TOOBIG]
};

struct ImapError {
  ImapErrorKind kind = ImapErrorKind::Syntax;
  std::string tag;      // empty when no tag was read: answer "* BAD"
  std::string message;  // what was wrong, for the BAD/NO text
  // "NO [TOOBIG] message" or "BAD message", without the tag.
  std::string response() const;
};

// A literal announced by the client, reported before any of its bytes are read.
struct LiteralAnnouncement {
  std::string tag;
  std::uint64_t size = 0;
  bool synchronizing = true;  // {N}: the client waits for "+ "
  bool binary = false;        // ~{N}
  bool streamed = false;      // will go to a sink, not memory
};

class ImapParser {
 public:
  enum class Event {
    NeedMore,  // feed more bytes
    Command,   // command() holds a whole command
    // A synchronizing literal: call acceptLiteral() (and send "+ go ahead")
    // or refuseLiteral() (and send the tagged NO [TOOBIG]); then next().
    // A non-synchronizing one needs nothing: just call next() again.
    Literal,
    Line,   // after expectLine(): line() holds a raw line (AUTHENTICATE, DONE)
    Error,  // error(): answer it; the parser has skipped or will skip the
            // rest of the command (to the next CRLF outside accepted literals)
  };
  using SinkFactory = std::function<std::shared_ptr<LiteralSink>(const LiteralAnnouncement&)>;

  explicit ImapParser(ImapLimits limits = {}, SinkFactory sinks = {});

  void feed(std::string_view bytes);
  Event next();

  const ImapCommand& command() const { return command_; }
  ImapCommand takeCommand() { return std::move(command_); }
  const LiteralAnnouncement& literal() const { return announcement_; }
  const ImapError& error() const { return error_; }
  const std::string& line() const { return rawLine_; }

  void acceptLiteral();
  // The client will not send the literal; the command is dropped.
  void refuseLiteral();
  // The next line is returned raw as Event::Line (SASL responses, IDLE's DONE).
  void expectLine() { expectLine_ = true; }

  // Bytes fed and not yet taken (bounded by the caller's read size).
  std::size_t buffered() const { return in_.size() - pos_; }
  // Those bytes, taken out (the login stage passes them on with the
  // client; STARTTLS throws them away).
  std::string takeBuffered();
  // True between commands (nothing of a command read yet).
  bool idle() const;

 private:
  enum class State { Line, AwaitDecision, Literal, DiscardLiteral, SkipLine };
  Event endOfLine();
  Event fail(ImapErrorKind kind, std::string message, bool skipLine);
  void resetCommand();
  void startLiteral();
  void compact();
  std::string currentTag() const;

  ImapLimits limits_;
  SinkFactory sinks_;
  std::string in_;
  std::size_t pos_ = 0;

  State state_ = State::Line;
  std::string segment_;     // the current line, not yet ended by CRLF
  std::string text_;        // the command's bytes outside literals, without CRLFs
  bool inQuote_ = false;
  bool escape_ = false;
  std::vector<ReadLiteral> literals_;
  std::size_t memoryUsed_ = 0;
  std::uint64_t literalLeft_ = 0;
  bool failed_ = false;     // the command already failed (a discarded {N+})
  ImapError failure_;       // why
  bool expectLine_ = false;

  ImapCommand command_;
  LiteralAnnouncement announcement_;
  ImapError error_;
  std::string rawLine_;
};

}  // namespace posthorn::imapd
