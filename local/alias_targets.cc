// alias_targets - splits alias values and forward files (alias_targets.h)
#include "local/alias_targets.h"

#include <strings.h>

namespace posthorn::local {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

Target classify(std::string item) {
  // A fully quoted item ("|cmd with spaces") loses its quotes.
  if (item.size() >= 2 && item.front() == '"' && item.back() == '"')
    item = item.substr(1, item.size() - 2);
  Target t;
  if (item.rfind('|', 0) == 0) {
    t.kind = Target::Kind::Command;
    t.value = std::string(trim(std::string_view(item).substr(1)));
  } else if (item.size() > 9 && ::strncasecmp(item.c_str(), ":include:", 9) == 0) {
    t.kind = Target::Kind::Include;
    t.value = std::string(trim(std::string_view(item).substr(9)));
  } else if (item.rfind('/', 0) == 0) {
    t.kind = Target::Kind::File;
    t.value = item;
  } else if (item.rfind('\\', 0) == 0) {
    t.kind = Target::Kind::Mailbox;
    t.value = item.substr(1);
  } else {
    if (item.size() >= 2 && item.front() == '<' && item.back() == '>')
      item = item.substr(1, item.size() - 2);
    t.value = item;
  }
  return t;
}

}  // namespace

std::vector<Target> parseTargets(std::string_view text) {
  std::vector<Target> targets;
  std::string item;
  bool quoted = false, commentLine = false, lineStart = true;
  auto flush = [&] {
    const std::string_view t = trim(item);
    if (!t.empty()) targets.push_back(classify(std::string(t)));
    item.clear();
  };
  for (char c : text) {
    if (lineStart && c == '#') commentLine = true;
    if (c == '\n') {
      if (!commentLine) flush();
      item.clear();
      quoted = commentLine = false;
      lineStart = true;
      continue;
    }
    if (lineStart && (c == ' ' || c == '\t')) {
      item += c;
      continue;
    }
    lineStart = false;
    if (commentLine) continue;
    if (c == '"') quoted = !quoted;
    if (c == ',' && !quoted) {
      flush();
      continue;
    }
    item += c;
  }
  if (!commentLine) flush();
  return targets;
}

}  // namespace posthorn::local
