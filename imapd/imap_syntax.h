// imap_syntax - the grammar of one whole command, once its bytes are read
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "imapd/imap_command.h"

namespace posthorn::imapd {

// A literal read by the parser: its marker "{N}" ends at offset in the text.
struct ReadLiteral {
  std::size_t offset = 0;
  std::uint64_t size = 0;
  bool binary = false;
  std::string bytes;
  std::shared_ptr<LiteralSink> sink;
};

struct SyntaxLimits {
  std::size_t maxDepth = 16;
  std::size_t maxArguments = 1000;
};

struct SyntaxError {
  enum class Kind { Syntax, TooDeep, TooManyArguments } kind = Kind::Syntax;
  std::string message;  // empty: no error
};

// Parses "tag SP name *(SP value)" (CRLFs and literal bytes left out; each
// literal's marker stays in text). Fills out; the literals' bytes are moved.
SyntaxError parseCommandText(std::string_view text, std::vector<ReadLiteral>& literals,
                             const SyntaxLimits& limits, ImapCommand& out);

// Tag characters: ASTRING-CHAR except '+' (RFC 3501 section 9).
bool isTagChar(char c);

}  // namespace posthorn::imapd
