// smtp_reply - formatting SMTP replies
#include "smtpd/smtp_reply.h"

namespace posthorn::smtpd {

namespace {

// Reply text never carries CR, LF or other control characters, whatever a
// client put into an address we quote.
std::string clean(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
  return out;
}

}  // namespace

Reply::Reply(int code_, std::string enhanced_, std::string text)
    : code(code_), enhanced(std::move(enhanced_)), lines{std::move(text)} {}

std::string withClass(int code, std::string_view enhanced) {
  std::string e(enhanced);
  if (!e.empty()) e[0] = static_cast<char>('0' + code / 100);
  return e;
}

std::string Reply::text() const {
  std::string out = std::to_string(code);
  if (!enhanced.empty()) out += " " + enhanced;
  if (!lines.empty()) out += " " + clean(lines.front());
  return out;
}

std::string Reply::wire() const {
  std::string out;
  const std::string codeText = std::to_string(code);
  const std::vector<std::string> body = lines.empty() ? std::vector<std::string>{""} : lines;
  for (std::size_t i = 0; i < body.size(); ++i) {
    out += codeText;
    out += (i + 1 < body.size()) ? '-' : ' ';
    if (!enhanced.empty()) out += enhanced + " ";
    out += clean(body[i]);
    out += "\r\n";
  }
  return out;
}

std::string quoted(std::string_view address) { return "<" + clean(address) + ">"; }

}  // namespace posthorn::smtpd
