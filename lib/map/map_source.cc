// map_source - parsers for postmap-style and aliases-style table sources.
#include "lib/map/map_source.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <unordered_map>

#include "lib/util/logical_lines.h"

namespace posthorn::map {

namespace {

bool isBlank(char c) { return c == ' ' || c == '\t'; }

// Text for an error message: quoted, cut at 100 bytes.
std::string quoted(std::string_view text) {
  constexpr std::size_t kMax = 100;
  std::string out = "\"";
  out += text.substr(0, kMax);
  if (text.size() > kMax) out += "...";
  out += "\"";
  return out;
}

SourceEntry parsePostmapLine(const util::LogicalLine& l, const std::string& file) {
  std::string_view text = l.text;
  std::size_t keyEnd = 0;
  while (keyEnd < text.size() && !isBlank(text[keyEnd])) ++keyEnd;
  std::size_t valueStart = keyEnd;
  while (valueStart < text.size() && isBlank(text[valueStart])) ++valueStart;
  if (valueStart == text.size()) {
    syntaxError(file, l.line, "expected \"key whitespace value\"", text);
  }
  return {foldKey(text.substr(0, keyEnd)), std::string(text.substr(valueStart)), l.line};
}

SourceEntry parseAliasesLine(const util::LogicalLine& l, const std::string& file) {
  std::string_view text = l.text;
  std::string name;
  std::size_t colon;
  if (text.front() == '"') {
    std::size_t i = 1;
    while (i < text.size() && text[i] != '"') {
      if (text[i] == '\\' && i + 1 < text.size()) ++i;
      name += text[i++];
    }
    if (i == text.size()) syntaxError(file, l.line, "unterminated quoted name", text);
    ++i;
    while (i < text.size() && isBlank(text[i])) ++i;
    if (i == text.size() || text[i] != ':') {
      syntaxError(file, l.line, "expected \":\" after the quoted name", text);
    }
    colon = i;
  } else {
    colon = text.find(':');
    if (colon == std::string_view::npos) {
      syntaxError(file, l.line, "expected \"name: value\"", text);
    }
    std::string_view raw = text.substr(0, colon);
    while (!raw.empty() && isBlank(raw.back())) raw.remove_suffix(1);
    for (char c : raw) {
      if (isBlank(c)) syntaxError(file, l.line, "white space in an alias name (quote the name)", text);
    }
    name = raw;
  }
  if (name.empty()) syntaxError(file, l.line, "empty alias name", text);
  std::size_t valueStart = colon + 1;
  while (valueStart < text.size() && isBlank(text[valueStart])) ++valueStart;
  if (valueStart == text.size()) syntaxError(file, l.line, "no value for alias \"" + name + "\"", text);
  return {foldKey(name), std::string(text.substr(valueStart)), l.line};
}

}  // namespace

void syntaxError(const std::string& file, int line, const std::string& what,
                 std::string_view text) {
  throw MapError(file + ":" + std::to_string(line) + ": " + what + ": " + quoted(text));
}

// Table sources: only spaces and tabs indent, and every line loses its
// trailing white space (CR, FF and VT included) before anything else.
std::vector<util::LogicalLine> sourceLines(std::string_view text, const std::string& file) {
  try {
    return util::logicalLines(text, {.indent = " \t", .trimTrailing = true, .rejectNul = true});
  } catch (const util::LineError& e) {
    syntaxError(file, e.line(),
                e.kind() == util::LineError::Kind::NulByte
                    ? "NUL byte in line"
                    : "continuation line without a preceding line",
                e.text());
  }
}

MapSource parseMapSource(std::string_view text, const std::string& file, SourceFormat format) {
  MapSource source;
  source.file = file;
  std::unordered_map<std::string, int> firstLine;
  for (const util::LogicalLine& l : sourceLines(text, file)) {
    SourceEntry entry = format == SourceFormat::Aliases ? parseAliasesLine(l, file)
                                                        : parsePostmapLine(l, file);
    auto [it, inserted] = firstLine.emplace(entry.key, entry.line);
    if (!inserted) {
      source.warnings.push_back(file + ":" + std::to_string(entry.line) +
                                ": duplicate entry \"" + entry.key +
                                "\" ignored; the entry at line " + std::to_string(it->second) +
                                " is kept");
      continue;
    }
    source.entries.push_back(std::move(entry));
  }
  return source;
}

std::string readSourceText(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw MapError("cannot open " + path + ": " + std::strerror(errno));
  std::string text;
  char buffer[65536];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      throw MapError("cannot read " + path + ": " + std::strerror(err));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return text;
}

MapSource readMapSource(const std::string& path, SourceFormat format) {
  return parseMapSource(readSourceText(path), path, format);
}

}  // namespace posthorn::map
