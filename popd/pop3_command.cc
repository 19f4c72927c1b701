// pop3_command - splitting a POP3 command line into a keyword and arguments
#include "popd/pop3_command.h"

#include <cctype>

#include "lib/util/ascii.h"

namespace posthorn::popd {

std::optional<Pop3Command> parseCommand(std::string_view line) {
  Pop3Command cmd;
  const std::size_t sp = line.find(' ');
  const std::string_view word = line.substr(0, sp);
  if (word.empty() || word.size() > 4) return std::nullopt;
  for (const char c : word) {
    if (!std::isalpha(static_cast<unsigned char>(c))) return std::nullopt;
    cmd.keyword.push_back(util::asciiUpper(c));
  }
  if (sp == std::string_view::npos) return cmd;
  cmd.rest = std::string(line.substr(sp + 1));
  std::string_view rest = cmd.rest;
  while (true) {
    const std::size_t next = rest.find(' ');
    cmd.args.emplace_back(rest.substr(0, next));
    if (next == std::string_view::npos) break;
    rest.remove_prefix(next + 1);
  }
  return cmd;
}

std::optional<std::uint64_t> parseCount(std::string_view text) {
  if (text.empty() || text.size() > 10) return std::nullopt;
  std::uint64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::optional<std::size_t> parseMessageNumber(std::string_view text, std::size_t count) {
  const auto v = parseCount(text);
  if (!v || *v < 1 || *v > count) return std::nullopt;
  return static_cast<std::size_t>(*v);
}

}  // namespace posthorn::popd
