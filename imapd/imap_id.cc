// imap_id - the ID command (RFC 2971): the server's answer, the client's words for the log
#include "imapd/imap_id.h"

namespace posthorn::imapd {
namespace {

// The client's list as "name=x version=y": at most 30 pairs, keys of 32
// bytes and values of 64, control characters replaced (it goes to the log).
std::string describeId(const ImapValue& list) {
  std::string out;
  if (list.kind != ImapValue::Kind::List) return out;
  for (std::size_t i = 0; i + 1 < list.items.size() && i < 60; i += 2) {
    const auto& k = list.items[i];
    const auto& v = list.items[i + 1];
    if (!k.isString() || (!v.isString() && !v.isNil())) continue;
    std::string value = v.isNil() ? "NIL" : v.text.substr(0, 64);
    for (char& c : value)
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    std::string key = k.text.substr(0, 32);
    for (char& c : key)
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '=') c = '_';
    if (!out.empty()) out += ' ';
    out += key + "=" + value;
  }
  return out;
}

}  // namespace

std::optional<std::string> answerId(net::ClientOutput& out, const ImapCommand& c) {
  if (c.args.size() != 1 || (!c.args[0].isNil() && c.args[0].kind != ImapValue::Kind::List))
    return std::nullopt;
  out.write("* ID (\"name\" \"posthorn\" \"vendor\" \"posthorn\")\r\n");
  out.write(c.tag + " OK ID completed.\r\n");
  return describeId(c.args[0]);
}

}  // namespace posthorn::imapd
