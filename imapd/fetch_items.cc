// fetch_items - FETCH's items and macros
#include "imapd/fetch_items.h"

namespace posthorn::imapd {
namespace {

bool addItem(const ImapValue& v, FetchItems& items, std::string* error) {
  if (v.kind != ImapValue::Kind::Atom) {
    *error = "Invalid fetch item.";
    return false;
  }
  if (v.hasSection) {
    auto section = parseFetchSection(v, error);
    if (!section) return false;
    items.sections.push_back(std::move(*section));
    return true;
  }
  if (v.partial) {
    *error = "Partial without a section.";
    return false;
  }
  const std::string& t = v.text;
  if (equalsIgnoreCase(t, "UID")) items.uid = true;
  else if (equalsIgnoreCase(t, "FLAGS")) items.flags = true;
  else if (equalsIgnoreCase(t, "INTERNALDATE")) items.internalDate = true;
  else if (equalsIgnoreCase(t, "RFC822.SIZE")) items.size = true;
  else if (equalsIgnoreCase(t, "ENVELOPE")) items.envelope = true;
  else if (equalsIgnoreCase(t, "BODYSTRUCTURE")) items.bodyStructure = true;
  else if (equalsIgnoreCase(t, "BODY")) items.body = true;
  else if (equalsIgnoreCase(t, "RFC822")) items.rfc822 = true;
  else if (equalsIgnoreCase(t, "RFC822.HEADER")) items.rfc822Header = true;
  else if (equalsIgnoreCase(t, "RFC822.TEXT")) items.rfc822Text = true;
  else {
    *error = "Unknown fetch item " + t + ".";
    return false;
  }
  return true;
}

}  // namespace

bool FetchItems::setsSeen() const {
  if (rfc822 || rfc822Text) return true;
  for (const auto& s : sections)
    if (!s.peek) return true;
  return false;
}

std::optional<FetchItems> parseFetchItems(const ImapValue& value, std::string* error) {
  FetchItems items;
  if (value.isAtom()) {
    if (equalsIgnoreCase(value.text, "ALL") || equalsIgnoreCase(value.text, "FAST") ||
        equalsIgnoreCase(value.text, "FULL")) {
      items.flags = items.internalDate = items.size = true;
      if (!equalsIgnoreCase(value.text, "FAST")) items.envelope = true;
      if (equalsIgnoreCase(value.text, "FULL")) items.body = true;
      return items;
    }
  }
  if (value.kind == ImapValue::Kind::List) {
    if (value.items.empty()) {
      *error = "Empty fetch item list.";
      return std::nullopt;
    }
    for (const auto& v : value.items)
      if (!addItem(v, items, error)) return std::nullopt;
    return items;
  }
  if (!addItem(value, items, error)) return std::nullopt;
  return items;
}

}  // namespace posthorn::imapd
