// memory_map - texthash: and inline: tables (see memory_map.h)
#include "lib/map/memory_map.h"

#include "lib/map/map_source.h"

namespace posthorn::map {

namespace {

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
  return s;
}

// The '}' that closes the '{' at open, or npos.
std::size_t matchingBrace(std::string_view s, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < s.size(); ++i) {
    if (s[i] == '{') ++depth;
    if (s[i] == '}' && --depth == 0) return i;
  }
  return std::string_view::npos;
}

// The elements of "{ a=b, { c = d e } }": "a=b", "c = d e".
std::vector<std::string_view> inlineElements(std::string_view name, const std::string& spec) {
  auto bad = [&](const std::string& why) -> MapError {
    return MapError(spec + ": " + why + " (expected inline:{ key=value, { key = text } })");
  };
  if (name.empty() || name.front() != '{' || matchingBrace(name, 0) != name.size() - 1) {
    throw bad("the table must be enclosed in { }");
  }
  std::string_view body = name.substr(1, name.size() - 2);
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < body.size()) {
    if (isSpace(body[i]) || body[i] == ',') {
      ++i;
      continue;
    }
    if (body[i] == '{') {
      std::size_t close = matchingBrace(body, i);
      if (close == std::string_view::npos) throw bad("unmatched '{'");
      out.push_back(trim(body.substr(i + 1, close - i - 1)));
      i = close + 1;
      continue;
    }
    if (body[i] == '}') throw bad("unmatched '}'");
    std::size_t j = i;
    while (j < body.size() && !isSpace(body[j]) && body[j] != ',' && body[j] != '{' &&
           body[j] != '}') {
      ++j;
    }
    out.push_back(body.substr(i, j - i));
    i = j;
  }
  return out;
}

}  // namespace

std::unique_ptr<MemoryMap> MemoryMap::texthash(const std::string& path) {
  std::unique_ptr<MemoryMap> table(new MemoryMap("texthash:" + path));
  for (SourceEntry& e : readMapSource(path, SourceFormat::Postmap).entries) {
    table->entries_.emplace(std::move(e.key), std::move(e.value));
  }
  return table;
}

std::unique_ptr<MemoryMap> MemoryMap::inlineTable(const std::string& name) {
  std::string spec = "inline:" + name;
  std::unique_ptr<MemoryMap> table(new MemoryMap(spec));
  for (std::string_view element : inlineElements(name, spec)) {
    std::size_t eq = element.find('=');
    std::string_view key = eq == std::string_view::npos ? element : trim(element.substr(0, eq));
    if (eq == std::string_view::npos || key.empty()) {
      throw MapError(spec + ": expected key=value, not \"" + std::string(element) + "\"");
    }
    table->entries_.emplace(foldKey(key), std::string(trim(element.substr(eq + 1))));
  }
  return table;
}

std::optional<std::string> MemoryMap::lookup(std::string_view key) {
  auto it = entries_.find(foldKey(key));
  if (it == entries_.end()) return std::nullopt;
  return it->second;
}

}  // namespace posthorn::map
