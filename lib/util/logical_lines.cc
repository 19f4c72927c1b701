// logical_lines - joins continuation lines and skips comments; physical lines (see logical_lines.h)
#include "lib/util/logical_lines.h"

#include <utility>

namespace posthorn::util {

namespace {

constexpr std::string_view kTrailingSpace = " \t\r\f\v";

std::string_view dropTrailingSpace(std::string_view s) {
  const std::size_t last = s.find_last_not_of(kTrailingSpace);
  return s.substr(0, last == std::string_view::npos ? 0 : last + 1);
}

std::string describe(LineError::Kind kind, int line) {
  return "line " + std::to_string(line) + ": " +
         (kind == LineError::Kind::NulByte ? "NUL byte in line"
                                           : "continuation line without a preceding line");
}

}  // namespace

LineError::LineError(Kind kind, int line, std::string text)
    : std::runtime_error(describe(kind, line)), kind_(kind), line_(line), text_(std::move(text)) {}

std::vector<LogicalLine> logicalLines(std::string_view text, const LineRules& rules) {
  std::vector<LogicalLine> out;
  int lineNo = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::string_view line = withoutLf(takeLine(text, pos));
    ++lineNo;
    if (rules.rejectNul) {
      if (const std::size_t nul = line.find('\0'); nul != std::string_view::npos) {
        throw LineError(LineError::Kind::NulByte, lineNo, std::string(line.substr(0, nul)));
      }
    }
    if (rules.trimTrailing) {
      line = dropTrailingSpace(line);
    } else if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    const std::size_t first = line.find_first_not_of(rules.indent);
    if (first == std::string_view::npos || line[first] == '#') continue;  // blank or comment
    if (first == 0) {
      out.push_back({lineNo, std::string(line)});
      continue;
    }
    if (out.empty()) {
      throw LineError(LineError::Kind::OrphanContinuation, lineNo, std::string(line));
    }
    out.back().text += ' ';
    out.back().text += dropTrailingSpace(line.substr(first));
  }
  return out;
}

std::string_view takeLine(std::string_view text, std::size_t& pos) {
  const std::size_t lf = text.find('\n', pos);
  const std::size_t end = lf == std::string_view::npos ? text.size() : lf + 1;
  const std::string_view line = text.substr(pos, end - pos);
  pos = end;
  return line;
}

std::string_view withoutLf(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  return line;
}

}  // namespace posthorn::util
