// smtp_reply - one SMTP reply: code, enhanced status code (RFC 3463), text
//
// Reply{250, "2.1.0", "Ok"}.wire() is "250 2.1.0 Ok\r\n"; a reply with
// several lines is sent as "250-..." continuation lines, each carrying the
// enhanced code (RFC 2034). Replies that RFC 2034 exempts (the greeting,
// EHLO/HELO's 250, 354) have no enhanced code.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace posthorn::smtpd {

struct Reply {
  int code = 250;
  std::string enhanced;            // "2.1.0"; empty for none
  std::vector<std::string> lines;  // at least one; sanitised by wire()

  Reply() = default;
  Reply(int code, std::string enhanced, std::string text);

  bool positive() const { return code < 400; }
  bool transient() const { return code >= 400 && code < 500; }
  bool permanent() const { return code >= 500; }
  bool error() const { return code >= 400; }

  // The first line as Postfix logs it: "554 5.7.1 <a@b>: Relay access denied".
  std::string text() const;
  // The bytes to send.
  std::string wire() const;
};

// The enhanced code with its class made the reply code's: a 450 carries
// "4.x.x", a 554 "5.x.x" (withClass(450, "5.7.1") is "4.7.1").
std::string withClass(int code, std::string_view enhanced);

// "<" + address + ">", with control characters made harmless, for reply
// texts that quote a client's address.
std::string quoted(std::string_view address);

}  // namespace posthorn::smtpd
