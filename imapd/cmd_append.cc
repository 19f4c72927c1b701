// cmd_append - APPEND with flags and date (RFC 3501 6.3.11), APPENDUID (RFC 4315)
#include <fcntl.h>
#include <sys/stat.h>

#include "imapd/append_sink.h"
#include "imapd/flag_list.h"
#include "imapd/imap_date.h"
#include "imapd/imap_session.h"
#include "imapd/message_sources.h"
#include "lib/log/log.h"

namespace posthorn::imapd {

ImapSession::Next ImapSession::cmdAppend(const ImapCommand& c) {
  if (c.args.size() < 2 || c.args.size() > 4 || c.args.back().kind != ImapValue::Kind::Literal)
    return bad(c.tag, "Syntax: APPEND mailbox [(flags)] [date-time] {size}");
  const auto name = folderArgument(c, c.args[0]);
  if (!name) return Next::Continue;
  mailbox::MessageFlags flags;
  std::optional<ImapDateTime> date;
  for (std::size_t i = 1; i + 1 < c.args.size(); ++i) {
    const ImapValue& v = c.args[i];
    if (v.kind == ImapValue::Kind::List && i == 1) {
      std::string error;
      const auto f = parseFlagList(v.items, &error);
      if (!f) return bad(c.tag, error);
      flags = *f;
    } else if (v.kind == ImapValue::Kind::Quoted && !date) {
      date = parseImapDateTime(v.text);
      if (!date) return bad(c.tag, "Invalid date-time.");
    } else {
      return bad(c.tag, "Syntax: APPEND mailbox [(flags)] [date-time] {size}");
    }
  }
  const ImapValue& literal = c.args.back();
  if (!store_.folderExists(*name)) return no(c.tag, "[TRYCREATE] Mailbox doesn't exist: " + *name);
  if (literal.size == 0) return no(c.tag, "Can't save an empty message.");

  mailbox::DeliveryResult r;
  if (literal.sink) {
    auto* file = dynamic_cast<FileLiteralSink*>(literal.sink.get());
    const int fd = file != nullptr ? file->rewound() : -1;
    if (fd < 0) return no(c.tag, "[SERVERBUG] Could not keep the message while it arrived (disk full?).");
    FdSource bytes(fd);
    CrlfToLfSource lf(bytes);
    r = store_.deliver(*name, lf, flags);
  } else {
    mailbox::StringSource bytes(literal.text);
    CrlfToLfSource lf(bytes);
    r = store_.deliver(*name, lf, flags);
  }
  if (!r.ok()) {
    log::warning("user=%s: APPEND to %s failed: %s", user_.c_str(), name->c_str(), r.text.c_str());
    return no(c.tag, std::string(r.overQuota ? "[OVERQUOTA] Quota exceeded" : "[SERVERBUG] Could not store the message") +
                         " (" + r.text + ").");
  }
  if (date) {
    const timespec times[2] = {{date->time, 0}, {date->time, 0}};
    ::utimensat(AT_FDCWD, r.path.c_str(), times, 0);
  }
  std::string code;
  if (r.uid != 0) {
    mailbox::MaildirFolder folder = store_.folder(*name);
    folder.open();
    code = "[APPENDUID " + std::to_string(folder.header().uidValidity) + " " + std::to_string(r.uid) + "] ";
  }
  sendUpdates();
  tagged(c.tag, "OK " + code + "Append completed.");
  return Next::Continue;
}

}  // namespace posthorn::imapd
