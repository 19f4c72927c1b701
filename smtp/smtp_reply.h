// smtp_reply - a server's reply as the client sees it, and EHLO keywords
//
//   Reply r = readReply(stream, deadline);        // "250-..." lines joined
//   r.code == 250; r.enhanced == "2.0.0"; r.text() == "250 2.0.0 Ok"
//   Capabilities caps = Capabilities::fromEhlo(r);
//   if (caps.has("PIPELINING")) ...; caps.size (0 = no limit)
#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "smtp/smtp_stream.h"

namespace posthorn::smtp {

struct Reply {
  int code = 0;
  std::string enhanced;            // "5.1.1" when the first line has one
  std::vector<std::string> lines;  // as received, without CRLF

  int kind() const { return code / 100; }  // 2, 3, 4, 5
  // All lines joined with spaces ("550 5.1.1 <x>: user unknown"), sanitized.
  std::string text() const;
  // The enhanced code, or one derived from the reply code ("4.0.0",
  // "5.0.0", "2.0.0").
  std::string dsnStatus() const;
};

// Parses reply lines; throws StreamError (not a timeout) for a malformed
// reply. feedLine returns true when the reply is complete.
class ReplyParser {
 public:
  bool feedLine(const std::string& line);
  Reply take();

 private:
  Reply reply_;
};

Reply readReply(SmtpStream& stream, Deadline deadline);

struct Capabilities {
  std::map<std::string, std::string> keywords;  // upper-case keyword -> parameters
  std::uint64_t size = 0;                        // SIZE n; 0 = none announced
  std::vector<std::string> authMechanisms;       // upper case

  bool has(std::string_view keyword) const { return keywords.count(std::string(keyword)) != 0; }
  static Capabilities fromEhlo(const Reply& reply);
};

}  // namespace posthorn::smtp
