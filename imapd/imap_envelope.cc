// imap_envelope - the ENVELOPE fetch item (RFC 3501 7.4.2) from a header block
#include "imapd/imap_envelope.h"

#include <optional>

#include "imapd/imap_address.h"
#include "imapd/imap_string.h"
#include "lib/mime/header_fields.h"

namespace posthorn::imapd {

namespace {

enum Slot { kDate, kSubject, kFrom, kSender, kReplyTo, kTo, kCc, kBcc, kInReplyTo, kMessageId, kSlots };

constexpr std::string_view kNames[kSlots] = {"date", "subject", "from",        "sender",    "reply-to",
                                             "to",   "cc",      "bcc",         "in-reply-to", "message-id"};

std::string nstring(const std::optional<std::string_view>& raw) {
  if (!raw) return "NIL";
  return imapString(mime::unfoldHeaderValue(*raw, false));
}

}  // namespace

std::string imapEnvelope(std::string_view header) {
  std::optional<std::string_view> values[kSlots];
  int found = 0;
  mime::forEachHeaderField(header, [&](const mime::HeaderField& f) {
    if (f.name.size() < 2 || f.name.size() > 11) return true;
    for (int i = 0; i < kSlots; ++i) {
      if (!values[i] && mime::headerNameEquals(f.name, kNames[i])) {
        values[i] = f.value;
        ++found;
        break;
      }
    }
    return found < kSlots;
  });
  std::string addr[kSlots];
  for (int i = kFrom; i <= kBcc; ++i) addr[i] = values[i] ? imapAddressList(*values[i]) : std::string("NIL");
  if (addr[kSender] == "NIL") addr[kSender] = addr[kFrom];
  if (addr[kReplyTo] == "NIL") addr[kReplyTo] = addr[kFrom];
  return imapList({nstring(values[kDate]), nstring(values[kSubject]), addr[kFrom], addr[kSender],
                   addr[kReplyTo], addr[kTo], addr[kCc], addr[kBcc], nstring(values[kInReplyTo]),
                   nstring(values[kMessageId])});
}

}  // namespace posthorn::imapd
