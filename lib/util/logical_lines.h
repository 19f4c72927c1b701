// logical_lines - the logical lines of a line-oriented text file, in the
// way posthorn.conf, master.conf and lookup table sources are written
//
// Blank lines and lines whose first non-blank character is `#` are
// skipped; a line that starts with white space continues the logical line
// before it (joined with one space, its leading white space dropped), and a
// skipped line in between does not end that logical line. Each logical line
// keeps the number of its first physical line, for FILE:LINE messages.
//
//   for (const util::LogicalLine& l : util::logicalLines(text)) use(l.line, l.text);
//
// A continuation line before any logical line (or, when asked for, a NUL
// byte) throws LineError; callers turn it into their own FILE:LINE error.
//
// Physical lines, for a reader with rules of its own (a header section, a
// MIME body):
//
//   for (std::size_t pos = 0; pos < text.size();) use(util::takeLine(text, pos));
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace posthorn::util {

struct LogicalLine {
  int line = 0;      // 1-based number of its first physical line
  std::string text;  // continuation lines joined with one space
};

// Where the files that use the reader differ.
struct LineRules {
  // The white space that makes a line a continuation line and that may
  // stand before a `#`. Configuration files: space, tab, CR, FF, VT.
  std::string_view indent = " \t\r\f\v";
  // true: every physical line first loses its trailing white space (space,
  // tab, CR, FF, VT). false: only the CR of a CRLF line end goes, and a
  // continuation line's trailing white space; the first line of a logical
  // line keeps its own.
  bool trimTrailing = false;
  bool rejectNul = false;  // a NUL byte in a line is an error
};

class LineError : public std::runtime_error {
 public:
  enum class Kind { OrphanContinuation, NulByte };
  // text: the line as the reader saw it (for NulByte, up to the NUL).
  LineError(Kind kind, int line, std::string text);

  Kind kind() const { return kind_; }
  int line() const { return line_; }
  const std::string& text() const { return text_; }

 private:
  Kind kind_;
  int line_;
  std::string text_;
};

// The logical lines of text, in order; throws LineError at the first
// problem.
std::vector<LogicalLine> logicalLines(std::string_view text, const LineRules& rules = {});

// The line of text that starts at pos, up to and including its LF (the
// rest of text when no LF follows); pos moves just past it.
std::string_view takeLine(std::string_view text, std::size_t& pos);

// line without its final LF, when it has one.
std::string_view withoutLf(std::string_view line);

}  // namespace posthorn::util
