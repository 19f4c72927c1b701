// fetch_items - what a FETCH asks for (RFC 3501 6.4.5), parsed once per command
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "imapd/fetch_section.h"
#include "imapd/imap_command.h"

namespace posthorn::imapd {

struct FetchItems {
  bool uid = false;
  bool flags = false;
  bool internalDate = false;
  bool size = false;        // RFC822.SIZE
  bool envelope = false;
  bool bodyStructure = false;
  bool body = false;        // BODY without a section: the non-extensible BODYSTRUCTURE
  bool rfc822 = false;      // RFC822: BODY[] under that name, sets \Seen
  bool rfc822Header = false;
  bool rfc822Text = false;  // sets \Seen
  std::vector<FetchSection> sections;

  // Something that must read the message file (or a cached value).
  bool needsFile() const { return rfc822 || rfc822Header || rfc822Text || !sections.empty(); }
  // Fetching sets \Seen (BODY[...] without .PEEK, RFC822, RFC822.TEXT).
  bool setsSeen() const;
};

// The second argument of FETCH: an item, a macro (ALL, FAST, FULL) or a
// list of items. nullopt with *error for anything unknown or malformed.
std::optional<FetchItems> parseFetchItems(const ImapValue& value, std::string* error);

}  // namespace posthorn::imapd
