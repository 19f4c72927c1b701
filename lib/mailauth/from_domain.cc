// from_domain - the author domain: the domain of every address in the one From field
#include "lib/mailauth/from_domain.h"

#include <vector>

#include "lib/mime/header_fields.h"
#include "lib/util/ascii.h"

namespace posthorn::mailauth {

namespace {

// The value without comments and quoted strings (display names), so that
// an '@' or '<' in them is not taken for an address.
std::string withoutCommentsAndQuotes(std::string_view value) {
  std::string out;
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    if (c == '\\' && (quoted || depth > 0)) {
      ++i;
      continue;
    }
    if (quoted) {
      if (c == '"') quoted = false;
    } else if (depth > 0) {
      if (c == '(') ++depth;
      if (c == ')') --depth;
    } else if (c == '"') {
      quoted = true;
    } else if (c == '(') {
      ++depth;
    } else {
      out += c;
    }
  }
  return out;
}

// The domain after the last '@' of each address in a list.
std::vector<std::string> domains(const std::string& list) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= list.size()) {
    std::size_t end = list.find(',', start);
    if (end == std::string::npos) end = list.size();
    std::string_view mailbox(list.data() + start, end - start);
    const auto open = mailbox.find('<');
    if (open != std::string_view::npos) mailbox = mailbox.substr(open + 1, mailbox.find('>', open) - open - 1);
    const auto at = mailbox.rfind('@');
    if (at != std::string_view::npos) {
      std::string_view d = mailbox.substr(at + 1);
      while (!d.empty() && (d.back() == ' ' || d.back() == '\t' || d.back() == '>' || d.back() == ';')) d.remove_suffix(1);
      while (!d.empty() && (d.front() == ' ' || d.front() == '\t')) d.remove_prefix(1);
      if (!d.empty() && d.back() == '.') d.remove_suffix(1);
      if (!d.empty()) out.push_back(util::lower(d));
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

std::optional<std::string> fromDomain(std::string_view message, std::string* why) {
  const std::string_view header = message.substr(0, mime::headerEnd(message));
  std::vector<std::string> values;
  mime::forEachHeaderField(header, [&](const mime::HeaderField& f) {
    if (mime::headerNameEquals(f.name, "From")) values.push_back(mime::unfoldHeaderValue(f.value));
    return true;
  });
  if (values.empty()) {
    *why = "no From field";
    return std::nullopt;
  }
  if (values.size() > 1) {
    *why = "more than one From field";
    return std::nullopt;
  }
  const std::vector<std::string> found = domains(withoutCommentsAndQuotes(values.front()));
  if (found.empty()) {
    *why = "no address in the From field";
    return std::nullopt;
  }
  for (const std::string& d : found) {
    if (d != found.front()) {
      *why = "From addresses in different domains";
      return std::nullopt;
    }
  }
  return found.front();
}

}  // namespace posthorn::mailauth
