// sendmail_options - the sendmail(1) command line, as Postfix's sendmail
// takes it (see man/sendmail.1)
//
//   auto opts = sendmail::parseOptions(args, "sendmail");  // throws tools::UsageError
//
// Options may come in any order, also after recipients (as with GNU
// getopt); "--" ends them, and several may share an argument (-ti). An
// option's value is the rest of its argument or the next argument (-fjane,
// -f jane). The program name chooses the
// default mode: "mailq" lists the queue, "newaliases" rebuilds aliases.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lib/queue/queue_envelope.h"

namespace posthorn::sendmail {

enum class Mode {
  Deliver,     // -bm (default): read a message from stdin
  Smtp,        // -bs: an SMTP session on stdin/stdout
  ListQueue,   // -bp, mailq
  Newaliases,  // -bi, -I, newaliases
  Flush,       // -q: wake pickup and qmgr
};

struct Options {
  Mode mode = Mode::Deliver;
  bool extractRecipients = false;  // -t
  bool ignoreDots = false;         // -i, -oi: a lone "." does not end the message
  bool senderGiven = false;
  std::string sender;              // -f / -r; "" with senderGiven = the null sender <>
  bool fullNameGiven = false;
  std::string fullName;            // -F
  std::uint8_t notify = 0;         // -N: queue::notify bits, 0 = not given
  queue::Ret ret = queue::Ret::Unspecified;             // -R full|hdrs
  std::string envid;                                    // -V
  queue::BodyType body = queue::BodyType::Unspecified;  // -B 7bit|8bitmime
  std::string configDir;           // -C / -c (a posthorn.conf path means its directory)
  bool verbose = false;            // -v
  std::vector<std::string> recipients;  // each argument split at commas
};

// args exclude argv[0]; program is argv[0]'s base name.
Options parseOptions(const std::vector<std::string>& args, const std::string& program);

// "jane, Bob <bob@example.com>,carol" -> jane, bob@example.com, carol.
std::vector<std::string> splitAddressList(const std::string& text);

// "<jane@example.com>" -> "jane@example.com"; "<>" -> "".
std::string stripAngles(const std::string& address);

}  // namespace posthorn::sendmail
