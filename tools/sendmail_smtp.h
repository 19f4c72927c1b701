// sendmail_smtp - `sendmail -bs`: a small RFC 5321 session on stdin/stdout
//
// For programs that speak SMTP to a local sendmail (some MUAs, cron
// replacements). Commands: EHLO, HELO, MAIL, RCPT, DATA, RSET, NOOP, VRFY
// (252), QUIT. Each accepted message goes to its own postdrop, and the
// 250 reply carries the maildrop queue ID. Line ends may be CRLF or LF;
// replies end in CRLF. Limits: command lines of 2048 bytes,
// message_size_limit (SIZE= and the data itself, 552 5.3.4), 1000
// recipients (452 4.5.3), 20 errors (then 421 and the end).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "tools/sendmail_postdrop.h"

namespace posthorn::sendmail {

struct SmtpSettings {
  std::string myhostname;  // myhostname
  std::string mailName;    // mail_name
  std::uint64_t messageSizeLimit = 0;  // 0 = none
  std::size_t recipientLimit = 1000;
  PostdropSettings postdrop;
};

class LocalSmtpSession {
 public:
  LocalSmtpSession(std::FILE* in, std::FILE* out, SmtpSettings settings);
  // Runs until QUIT or end of input; returns sendmail's exit status (0).
  int run();

 private:
  enum class Line { Complete, Partial, Eof };
  Line readLine(std::string* line, std::size_t max);
  void reply(const std::string& text);
  void command(const std::string& line);
  void mail(const std::string& args);
  void rcpt(const std::string& args);
  void data();
  void reset();

  std::FILE* in_;
  std::FILE* out_;
  SmtpSettings settings_;
  std::string helo_;
  bool esmtp_ = false;
  bool haveSender_ = false;
  std::string sender_;
  queue::BodyType body_ = queue::BodyType::Unspecified;
  std::vector<std::string> recipients_;
  int errors_ = 0;
  bool quit_ = false;
};

}  // namespace posthorn::sendmail
