// tag_list - one pass over "tag=value;" items
#include "lib/mailauth/tag_list.h"

#include "lib/util/ascii.h"

namespace posthorn::mailauth {
namespace {

std::string_view trimmed(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string tagValue(std::string_view list, std::string_view tag) {
  std::size_t pos = 0;
  while (pos < list.size()) {
    const auto end = std::min(list.find(';', pos), list.size());
    const std::string_view item = list.substr(pos, end - pos);
    pos = end + 1;
    const auto eq = item.find('=');
    if (eq != std::string_view::npos && util::equalsIgnoreCase(trimmed(item.substr(0, eq)), tag))
      return std::string(trimmed(item.substr(eq + 1)));
  }
  return "";
}

}  // namespace posthorn::mailauth
