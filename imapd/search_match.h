// search_match - evaluates a SearchKey tree against one message. The message
// is seen through SearchSubject (the daemon adapts its message view to it);
// the file-reading parts are asked for only when a key needs them, at most
// once per message and call.
#pragma once

#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "imapd/imap_date.h"
#include "imapd/search_key.h"
#include "lib/mailbox/maildir_flags.h"

namespace posthorn::imapd {

class SearchSubject {  // one message as SEARCH sees it
 public:
  virtual ~SearchSubject() = default;
  virtual std::uint32_t sequence() const = 0;
  virtual std::uint32_t uid() const = 0;
  virtual const mailbox::MessageFlags& flags() const = 0;
  virtual bool recent() const = 0;
  virtual std::time_t internalDate() const = 0;
  virtual std::uint64_t size() const = 0;  // RFC822.SIZE
  virtual std::uint64_t modseq() const = 0;
  // These read the message file; called only when a key needs them.
  // Every value of the field (name case-insensitive), decoded, UTF-8.
  virtual std::vector<std::string> headerValues(std::string_view name) = 0;
  virtual std::string headerText() = 0;  // all fields, decoded, UTF-8
  virtual std::string bodyText() = 0;    // body text, decoded, UTF-8
  // The Date: field's date as written, in its own zone (RFC 3501: SENT*
  // ignore time and zone); nullopt when missing or unreadable (then no
  // SENT* key matches). By default: the first Date: value through
  // parseMessageDate.
  virtual std::optional<CivilDate> sentDate();
};

struct SearchScope {
  std::uint32_t messageCount = 0;  // '*' in message numbers
  std::uint32_t maxUid = 0;        // '*' in UID sets: the highest UID in the mailbox
  const std::vector<std::uint32_t>* saved = nullptr;  // "$" (SEARCHRES), UIDs sorted ascending; null: none saved
  int timezoneOffsetMinutes = 0;   // the server's zone, for SINCE/BEFORE/ON on internal dates
};

bool matches(const SearchKey& key, SearchSubject& subject, const SearchScope& scope);

}  // namespace posthorn::imapd
